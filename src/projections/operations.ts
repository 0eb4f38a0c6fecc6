/**
 * Chat operations as they are written in the log, and their results.
 * An operation records a decision already taken by the leader: it holds
 * hashes, never a plain password or session token.
 */

export type ChatOperation =
  | { type: "CreateAccount"; username: string; passwordHash: string }
  | {
      type: "Login";
      username: string;
      /** Log index that created the account whose password was checked. */
      accountIndex: number;
      tokenHash: string;
      /** Random value the token was derived from, so a retry can answer the same token. */
      sessionNonce: string;
    }
  | { type: "Logout"; username: string; tokenHash: string }
  | { type: "SendMessage"; username: string; tokenHash: string; recipient: string; text: string }
  | { type: "MarkRead"; username: string; tokenHash: string; ids: number[] }
  /**
   * ReadNewMessages: which messages are the oldest unread is decided when the
   * entry is applied, so the messages taken and the count left are those of
   * one point of the log (the read's linearization point), not of the
   * leader's tables before it proposed.
   */
  | { type: "ReadNew"; username: string; tokenHash: string; count: number }
  | { type: "DeleteMessages"; username: string; tokenHash: string; ids: number[] }
  | { type: "DeleteAccount"; username: string; tokenHash: string };

export type ChatOperationType = ChatOperation["type"];

/** What every log entry of type "command" carries. */
export interface OperationEnvelope {
  /** The leader's clock when it accepted the write: projections never read a clock. */
  atMs: number;
  clientId?: string;
  seq?: number;
  op: ChatOperation;
}

export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "FAILED_PRECONDITION"
  | "RESOURCE_EXHAUSTED"
  | "UNAVAILABLE";

export interface Rejection {
  ok: false;
  code: ErrorCode;
  message: string;
}

export type OperationResult = { ok: true; value: Record<string, unknown> } | Rejection;

export function reject(code: ErrorCode, message: string): Rejection {
  return { ok: false, code, message };
}

/** A request that cannot be served; `code` maps to a gRPC status in src/rpc. */
export class ChatError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ChatError";
  }

  static from(rejection: Rejection): ChatError {
    return new ChatError(rejection.code, rejection.message);
  }
}
