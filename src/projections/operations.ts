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
      /**
       * The leader's random part of the token (src/service/tokens.ts), so a
       * retry can answer the same token; useless without the client's part.
       */
      sessionNonce: string;
      /**
       * How long the session may go unused: the leader's configured value,
       * stamped here like its time, so every replica ends it alike. Absent
       * in entries written before sessions expired (see sessions.idleMs in
       * schema.ts).
       */
      sessionIdleMs?: number;
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

/** The operation of one type, e.g. OperationOf<"SendMessage">. */
export type OperationOf<T extends ChatOperationType> = Extract<ChatOperation, { type: T }>;

/** What each operation answers when the apply loop (src/projections/apply.ts) accepts it. */
export interface OperationValues {
  CreateAccount: { username: string };
  /** `unread` is counted when the session starts; `nonce` lets the service derive the session token again, with the retry's session secret. */
  Login: { username: string; unread: number; nonce: string };
  Logout: Record<string, never>;
  /** The message id is the entry's log index; `sentAtMs` the leader's time in the entry. */
  SendMessage: { id: number; sentAtMs: number };
  MarkRead: { marked: number; ids: number[] };
  /** The messages taken and how many were left unread, at that point of the log. */
  ReadNew: { ids: number[]; unreadRemaining: number };
  DeleteMessages: { deleted: number };
  DeleteAccount: Record<string, never>;
}

/** What every log entry of type "command" carries. */
export interface OperationEnvelope {
  /** The leader's clock when it accepted the write: projections never read a clock. */
  atMs: number;
  clientId?: string;
  seq?: number;
  /**
   * With clientId and seq: what the stored result will answer (kind,
   * request fields, caller; see src/service/request-binding.ts). Absent in
   * entries written before results were bound, which read as "".
   */
  binding?: string;
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

/** The answer to an operation of type T (by default, of any type), as applied and as stored for retries. */
export type OperationResult<T extends ChatOperationType = ChatOperationType> = { ok: true; value: OperationValues[T] } | Rejection;

export function reject(code: ErrorCode, message: string): Rejection {
  return { ok: false, code, message };
}

/** An accepted operation's answer; `type` (the operation's) picks the value's type. */
export function accepted<T extends ChatOperationType>(_type: T, value: OperationValues[T]): OperationResult<T> {
  return { ok: true, value };
}

/**
 * The value answered to an operation of type `type`, or its rejection
 * thrown. The result is the one its own entry produced, or for a retry the
 * one of the entry with the same (client id, seq), which carried the same
 * operation (a client reuses a seq only to retry a request). That link lives
 * in the log, not in the types: this is the one place it is asserted.
 */
export function answerTo<T extends ChatOperationType>(_type: T, result: OperationResult): OperationValues[T] {
  if (!result.ok) throw ChatError.from(result);
  return result.value as OperationValues[T];
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
