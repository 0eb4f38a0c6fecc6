/**
 * What a stored result answers. The exactly-once store (client_results)
 * is keyed by (client id, seq), values anyone who sees the traffic or the
 * database knows, so a result is also bound to a digest of the operation's
 * kind, the request's fields and the caller's identity. The leader writes
 * the binding into the entry, every replica's apply loop stores it with
 * the result, and a retry is answered only when its own binding is the
 * same (checkSameRequest in src/projections/rules.ts).
 *
 * Passwords are left out: a fast digest of a password in the log would be
 * a shortcut around argon2id for whoever reads it. A stored CreateAccount
 * or Login answer is given only after the password is checked again,
 * against the account's argon2id hash (src/service/chat-service.ts).
 */
import { createHash } from "node:crypto";
import type { ChatOperationType } from "../projections/operations.ts";

/** The request as validated: what makes two requests the same. */
export type RequestFields = readonly (string | number | readonly number[])[];

/**
 * `caller`: the caller's identity: the digest of its session token for the
 * operations that need a session, of its session secret for a Login, ""
 * for a CreateAccount (which proves nothing but its password).
 */
export function requestBinding(type: ChatOperationType, fields: RequestFields, caller: string): string {
  return createHash("sha256")
    .update(JSON.stringify([type, fields, caller]))
    .digest("hex");
}
