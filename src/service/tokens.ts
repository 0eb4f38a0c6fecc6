/**
 * Session tokens. The log holds only a random nonce and the token's hash;
 * the token is an HMAC of the nonce under the session key (src/keys.ts), so any
 * replica can answer a retried Login with the same token, and a reader of
 * the log alone cannot forge one.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";

const sessionNonceBytes = 32;

export function newSessionNonce(): string {
  return randomBytes(sessionNonceBytes).toString("base64url");
}

export function tokenFromNonce(sessionKey: Buffer, nonce: string): string {
  return createHmac("sha256", sessionKey).update(nonce).digest("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
