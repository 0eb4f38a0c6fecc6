/**
 * Keys derived from the cluster secret, one per purpose, with HKDF
 * (RFC 5869; SHA-256, a fixed salt naming this program, the purpose as
 * `info`). The secret itself never goes on the wire: a peer call carries
 * the peer key, an admin call the admin key, and the session key never
 * leaves the replica. So whoever captures a peer call (the transport is
 * plain gRPC) or holds an operator's admin key learns neither the secret
 * nor the other keys: HKDF's output reveals nothing of its input key or of
 * its output for another `info` (RFC 5869 §3.2). Every replica derives the
 * same keys from the same secret.
 */
import { hkdfSync } from "node:crypto";

export interface ClusterKeys {
  /** Presented on every replica-to-replica call: Raft messages, snapshots, joins. */
  peer: string;
  /** Presented on AdminService calls (bun run admin). */
  admin: string;
  /** Derives session tokens (src/service/tokens.ts); never sent. */
  session: Buffer;
}

/** RFC 5869 §3.1: a salt need not be secret; a fixed one separates this program's keys from any other use of the secret. */
const salt = "chat-replicated cluster keys";
const keyBytes = 32;

export function deriveClusterKeys(clusterSecret: string): ClusterKeys {
  const derive = (purpose: string) => Buffer.from(hkdfSync("sha256", clusterSecret, salt, `${purpose} key v1`, keyBytes));
  return { peer: derive("peer").toString("base64url"), admin: derive("admin").toString("base64url"), session: derive("session") };
}
