/**
 * The chat rules that depend on state, as pure checks. The leader runs them
 * before appending (so a rejected request appends nothing) and the apply
 * loop runs them again (so two racing writes resolve identically on every
 * replica). One definition, two callers.
 */
import { clientSeqAheadMax } from "../limits.ts";
import { reject, type ChatOperation, type Rejection } from "./operations.ts";
import type { ChatState, ClientWindow, SessionRow } from "./queries.ts";

/** `atMs`: the leader's time, stamped into the entry (the apply loop) or about to be (the leader). */
export function checkOperation(state: ChatState, op: ChatOperation, atMs: number): Rejection | null {
  switch (op.type) {
    case "CreateAccount":
      return state.account(op.username) ? reject("ALREADY_EXISTS", "Username already taken") : null;
    case "Login":
      return checkLogin(state, op.username, op.accountIndex) ?? checkNewSession(state, op.tokenHash);
    case "Logout":
      return checkLogout(state, op.username, op.tokenHash);
    case "SendMessage":
      return checkSession(state, op.username, op.tokenHash, atMs) ?? checkRecipient(state, op.recipient);
    case "MarkRead":
      return checkSession(state, op.username, op.tokenHash, atMs) ?? checkMessages(state, op.username, op.ids, "recipient");
    case "ReadNew":
      return checkSession(state, op.username, op.tokenHash, atMs);
    case "DeleteMessages":
      return checkSession(state, op.username, op.tokenHash, atMs) ?? checkMessages(state, op.username, op.ids, "party");
    case "DeleteAccount":
      return checkSession(state, op.username, op.tokenHash, atMs);
  }
}

function checkLogin(state: ChatState, username: string, accountIndex: number): Rejection | null {
  const account = state.account(username);
  if (!account) return reject("NOT_FOUND", "No such user");
  // The password was checked against this incarnation of the account.
  if (account.createdIndex !== accountIndex) return reject("UNAUTHENTICATED", "Account changed, log in again");
  return null;
}

function checkNewSession(state: ChatState, tokenHash: string): Rejection | null {
  return state.session(tokenHash) === null ? null : reject("ALREADY_EXISTS", "Session already exists, log in again");
}

/** Logging out twice is not an error; ending someone else's session is. */
function checkLogout(state: ChatState, username: string, tokenHash: string): Rejection | null {
  const owner = state.session(tokenHash)?.username;
  return owner === undefined || owner === username ? null : reject("UNAUTHENTICATED", "Session belongs to another user");
}

export function checkSession(state: ChatState, username: string, tokenHash: string, atMs: number): Rejection | null {
  const session = state.session(tokenHash);
  if (session?.username !== username) return reject("UNAUTHENTICATED", "Session expired or logged out, log in again");
  if (sessionIdle(session, atMs)) return sessionExpired();
  return null;
}

/**
 * Unused for longer than its idle time, by leader time: the time stamped
 * into the entry being applied against the one stamped into the session's
 * latest use, both from the log, so every replica decides alike. A leader
 * whose clock runs ahead by more than the idle time ends sessions early
 * (their users log in again; nothing is lost); one whose clock runs behind
 * cannot revive a session, as a later use never moves its time back.
 */
export function sessionIdle(session: SessionRow, atMs: number): boolean {
  return session.idleMs > 0 && atMs - session.lastUsedAtMs > session.idleMs;
}

export function sessionExpired(): Rejection {
  return reject("UNAUTHENTICATED", "Session expired: unused for longer than its idle time; log in again");
}

function checkRecipient(state: ChatState, recipient: string): Rejection | null {
  return state.account(recipient) ? null : reject("NOT_FOUND", `Recipient does not exist: ${recipient}`);
}

/**
 * Every id must name a message the caller may touch: one sent to them
 * ("recipient"), or one they sent or received ("party").
 */
function checkMessages(state: ChatState, username: string, ids: readonly number[], allowed: "recipient" | "party"): Rejection | null {
  // Messages a deleted namesake sent predate this account: not the caller's.
  const accountIndex = state.account(username)?.createdIndex ?? Infinity;
  for (const id of ids) {
    const message = state.message(id);
    if (!message) return reject("NOT_FOUND", `No message with id ${id}`);
    const sentByCaller = message.sender === username && id > accountIndex;
    const mine = message.recipient === username || (allowed === "party" && sentByCaller);
    if (!mine) return reject("PERMISSION_DENIED", `Message ${id} is not yours`);
  }
  return null;
}

/**
 * A write's seq against its client's stored results, for a seq with no
 * result stored. One at or below the seqs forgotten to keep the window may
 * have been applied, its result gone, so running it could apply it twice;
 * one far beyond the newest is no retry and no write in flight (see
 * clientSeqAheadMax). The leader refuses both before proposing (nothing is
 * appended) and the apply loop again, for a write that raced past the
 * leader's check.
 */
export function checkClientSeq(window: ClientWindow, seq: number): Rejection | null {
  const { newestSeq, forgottenThroughSeq } = window;
  if (seq <= forgottenThroughSeq) {
    return reject("FAILED_PRECONDITION", `client sequence ${seq} is too old: this client's results through ${forgottenThroughSeq} were forgotten`);
  }
  if (seq > newestSeq + clientSeqAheadMax) {
    return reject("INVALID_ARGUMENT", `client sequence ${seq} is too far ahead of this client's newest (${newestSeq}): at most ${clientSeqAheadMax} beyond it`);
  }
  return null;
}

/**
 * A stored result answers a (client id, seq) only for the request it was
 * stored for. A pair seen again with another binding is a replay by
 * someone else, a client id reused by accident, or a seq taken by another
 * caller first: it gets this refusal, never the stored answer.
 */
export function checkSameRequest(storedBinding: string, binding: string, seq: number): Rejection | null {
  return storedBinding === binding ? null : differentRequest(seq);
}

export function differentRequest(seq: number): Rejection {
  return reject(
    "INVALID_ARGUMENT",
    `client-seq ${seq} of this client-id already answered a different request (another operation, other fields or another caller); ` +
      "a retry must repeat its request from the same session, and a new request needs a new client-seq",
  );
}
