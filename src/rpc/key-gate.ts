/**
 * The one gate of every replica-to-replica and admin call, checked on the
 * call's metadata before its body is read: a request without the key of its
 * purpose (src/keys.ts) is refused with UNAUTHENTICATED and never decoded.
 * Decoding a few megabytes of protobuf takes the thread that runs the
 * consensus clock for hundreds of milliseconds, so an unauthenticated
 * ReplicateOperation used to depose a leader. grpc-js reads a unary or
 * streaming request only once its handler has the metadata; the gate keeps
 * the metadata back, so the body stays unread.
 */
import * as grpc from "@grpc/grpc-js";
import { presentedKey, secretMatches } from "./cluster-secret.ts";

export interface GateKeys {
  peer: string;
  admin: string;
}

/** The key a method's path requires, and how a refusal names it; null for the client API. */
function requiredKey(path: string, keys: GateKeys): { key: string; what: string } | null {
  if (path.startsWith("/chat.PeerService/")) return { key: keys.peer, what: path.endsWith("/JoinCluster") ? "joins" : "peer calls" };
  if (path.startsWith("/chat.AdminService/")) return { key: keys.admin, what: "admin calls" };
  return null;
}

export function keyGate(keys: GateKeys): grpc.ServerInterceptor {
  return (method, call) => {
    const required = requiredKey(method.path, keys);
    // The client API passes unchanged (an interceptor without hooks forwards everything).
    if (!required) return new grpc.ServerInterceptingCall(call);
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, forward) => {
            if (secretMatches(required.key, presentedKey(metadata))) forward(metadata);
            else call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: `${required.what} need the cluster secret`, metadata: new grpc.Metadata() });
          },
        }),
    });
  };
}
