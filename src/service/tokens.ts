/**
 * Session tokens. A token is HMAC-SHA256 under the session key (src/keys.ts)
 * of two random parts: the leader's nonce, written in the Login entry so
 * every replica knows it, and the client's session secret, sent with the
 * Login and again with every retry of it, of which the log keeps only a
 * digest (inside the request binding, src/service/request-binding.ts). The
 * sessions table keeps the token's SHA-256. So nothing a replica stores,
 * even together with the cluster secret, gives a token: it takes the
 * client's secret too.
 *
 * Why the client contributes: a Login retried after a failover may be
 * answered by another replica from the stored result, and it must return
 * the same token, to that client only. The stored result holds the nonce;
 * the retry brings the secret; the binding proves it is the same secret,
 * so the same token is computed again, and a replay without the secret
 * gets none. A token that was the client's secret alone would rest on the
 * client's randomness alone; the nonce and the session key make each
 * session's token fresh and the replica's to vouch for.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";

const sessionNonceBytes = 32;
const sessionSecretBytes = 32;

export function newSessionNonce(): string {
  return randomBytes(sessionNonceBytes).toString("base64url");
}

/** What a client sends with a Login (the client library calls this once per login, not per retry). */
export function newSessionSecret(): string {
  return randomBytes(sessionSecretBytes).toString("base64url");
}

export function sessionToken(sessionKey: Buffer, nonce: string, sessionSecret: string): string {
  return createHmac("sha256", sessionKey).update(`${nonce}.${sessionSecret}`).digest("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Who logs in, for the request binding: a digest of the session secret, never the secret. */
export function hashSessionSecret(sessionSecret: string): string {
  return createHash("sha256").update(sessionSecret).digest("hex");
}
