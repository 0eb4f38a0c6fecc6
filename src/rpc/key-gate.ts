/**
 * The one gate of every replica-to-replica and admin call, checked on the
 * call's metadata before its body is read: a request without the key of its
 * purpose (src/keys.ts) is refused with UNAUTHENTICATED and never decoded.
 * Decoding a few megabytes of protobuf takes the thread that runs the
 * consensus clock for hundreds of milliseconds, so an unauthenticated
 * ReplicateOperation used to depose a leader. grpc-js reads a unary or
 * streaming request only once its handler has the metadata; the gate keeps
 * the metadata back, so the body stays unread.
 *
 * With TLS the gate also wants a client certificate the cluster's CA signed
 * (mutual TLS): the key alone, captured or leaked, no longer opens the door.
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../logger.ts";
import { refusalLogIntervalMs } from "../limits.ts";
import { presentedKey, secretMatches } from "./cluster-secret.ts";
import { hasVerifiedClientCertificate } from "./tls.ts";

export interface GateKeys {
  peer: string;
  admin: string;
}

export interface GateOptions {
  /** TLS is on: peer and admin calls need a client certificate signed by the CA. */
  requireClientCertificate: boolean;
  /** Refusals are logged, at most one line per refusalLogIntervalMs (a flood of them must not flood the log). */
  logger?: Logger;
}

/** Logs the first refusal of each kind, then at most one per interval with the count of those it held back. */
function refusalReporter(logger: Logger | undefined): (what: string, reason: string, peer: string) => void {
  const kinds = new Map<string, { lastAt: number; heldBack: number }>();
  return (what, reason, peer) => {
    if (!logger) return;
    const now = Date.now();
    const kind = kinds.get(what) ?? { lastAt: Number.NEGATIVE_INFINITY, heldBack: 0 };
    kinds.set(what, kind);
    if (now - kind.lastAt < refusalLogIntervalMs) {
      kind.heldBack++;
      return;
    }
    logger.warn(`refused ${what}: ${reason}`, { from: peer, ...(kind.heldBack > 0 ? { alsoRefusedSinceLastLine: kind.heldBack } : {}) });
    kind.lastAt = now;
    kind.heldBack = 0;
  };
}

/** The key a method's path requires, and how a refusal names it; null for the client API. */
function requiredKey(path: string, keys: GateKeys): { key: string; what: string } | null {
  if (path.startsWith("/chat.PeerService/")) return { key: keys.peer, what: path.endsWith("/JoinCluster") ? "joins" : "peer calls" };
  if (path.startsWith("/chat.AdminService/")) return { key: keys.admin, what: "admin calls" };
  return null;
}

export function keyGate(keys: GateKeys, options: GateOptions = { requireClientCertificate: false }): grpc.ServerInterceptor {
  const report = refusalReporter(options.logger);
  return (method, call) => {
    const required = requiredKey(method.path, keys);
    // The client API passes unchanged (an interceptor without hooks forwards everything).
    if (!required) return new grpc.ServerInterceptingCall(call);
    const refuse = (details: string) => {
      report(required.what, details, call.getPeer());
      call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details, metadata: new grpc.Metadata() });
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, forward) => {
            if (options.requireClientCertificate && !hasVerifiedClientCertificate(call)) {
              refuse(`${required.what} need a client certificate signed by the cluster's CA (mutual TLS)`);
            } else if (!secretMatches(required.key, presentedKey(metadata))) refuse(`${required.what} need the cluster secret`);
            else forward(metadata);
          },
        }),
    });
  };
}
