/**
 * The recorded history the checker reads, and the verdicts it gives. Plain
 * data only (no classes, no Maps, no Infinity), so a failing history can be
 * written out as JSON and replayed.
 */

/**
 * A definite failure: the service refused and nothing happened. Only when
 * no earlier attempt of the same operation may have been applied: a refusal
 * of a retry after a timeout (FAILED_PRECONDITION for a retry older than the
 * result window, above all) is recorded as `unknown`.
 */
export const definiteFailureCodes = ["INVALID_ARGUMENT", "NOT_FOUND", "ALREADY_EXISTS", "UNAUTHENTICATED", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED"] as const;
export type DefiniteFailureCode = (typeof definiteFailureCodes)[number];

/** A client operation; `user` is the caller (the session's owner). */
export type Operation =
  | { kind: "CreateAccount"; user: string }
  | { kind: "Login"; user: string }
  | { kind: "Logout"; user: string }
  | { kind: "SendMessage"; user: string; recipient: string; text: string }
  | { kind: "ReadNewMessages"; user: string; count: number }
  | { kind: "ListMessages"; user: string; pageSize: number; beforeId: number }
  | { kind: "MarkRead"; user: string; ids: number[] }
  | { kind: "DeleteMessages"; user: string; ids: number[] }
  | { kind: "DeleteAccount"; user: string };

export type OperationKind = Operation["kind"];

/** A message as an answer or a live stream showed it. */
export interface SeenMessage {
  id: number;
  sender: string;
  recipient: string;
  text: string;
}

/** What an `ok` completion answered; `kind` repeats the operation's. */
export type Answer =
  | { kind: "CreateAccount" }
  | { kind: "Login"; unreadCount: number }
  | { kind: "Logout" }
  | { kind: "SendMessage"; id: number }
  | { kind: "ReadNewMessages"; messages: SeenMessage[]; unreadRemaining: number }
  | { kind: "ListMessages"; messages: SeenMessage[] }
  | { kind: "MarkRead"; marked: number }
  | { kind: "DeleteMessages"; deleted: number }
  | { kind: "DeleteAccount" };

/**
 * `seq` orders all events of a history (strictly increasing). A process runs
 * one operation at a time: its invoke is followed by exactly one `ok`, `fail`
 * or `unknown` of the same process before its next invoke. A process that
 * subscribes is one live subscription (one `follow()`), across its reopens.
 */
export type HistoryEvent =
  | { type: "invoke"; seq: number; process: string; op: Operation }
  | { type: "ok"; seq: number; process: string; answer: Answer }
  | { type: "fail"; seq: number; process: string; code: DefiniteFailureCode; message: string }
  /** Timeout, lost connection, UNAVAILABLE after sending: it may or may not have happened. */
  | { type: "unknown"; seq: number; process: string; reason: string }
  /** A stream (re)opened: the `after_id` asked for and the `stream-position` header answered. */
  | { type: "subscribe"; seq: number; process: string; user: string; afterId: number; position: number }
  | { type: "deliver"; seq: number; process: string; user: string; message: SeenMessage };

export interface FinalMessage extends SeenMessage {
  read: boolean;
  /** A replica that keeps tombstones says so; absent rows are deleted too. */
  deleted: boolean;
}

/** One replica's chat tables, read after the run has quiesced. */
export interface ReplicaFinalState {
  replica: string;
  accounts: string[];
  messages: FinalMessage[];
  projectionHash?: string;
}

export interface History {
  events: HistoryEvent[];
  replicas: ReplicaFinalState[];
}

export type PropertyName =
  | "noAcknowledgedWriteLost"
  | "appliedAtMostOnce"
  | "sendOrderFollowsRealTime"
  | "accountsLinearizable"
  | "subscribersSeeNoGapNoDuplicate"
  | "replicasConverge";

export type Verdict = "pass" | "fail" | "inconclusive";

/** One broken rule (or one search that gave up), with the events that show it. */
export interface Finding {
  message: string;
  events: HistoryEvent[];
}

export interface PropertyResult {
  verdict: Verdict;
  findings: Finding[];
}

export interface CheckResult {
  /** "fail" if any property failed, else "inconclusive" if any was, else "pass". */
  verdict: Verdict;
  properties: Record<PropertyName, PropertyResult>;
}
