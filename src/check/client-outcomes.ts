/**
 * How an operation of a history ends, read from what the client library
 * returned: the users of the whole-replica simulation and of the chaos run
 * both record their operations through these, so the checker judges the
 * two alike (docs/history-checker.md).
 */
import { ChatClientError } from "../client/chat-client.ts";
import { definiteFailureCodes, type Answer, type DefiniteFailureCode, type HistoryEvent, type Operation, type SeenMessage } from "./history.ts";

export type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
/** An operation's ending as a history records it, less the process and sequence number the recorder adds. */
export type Completion = DistributiveOmit<Extract<HistoryEvent, { type: "ok" | "fail" | "unknown" }>, "seq" | "process">;

/** Statuses no well-formed request should get: each is a finding, besides an unknown outcome. */
const bugCodes = new Set(["INTERNAL", "UNKNOWN", "INVALID_ARGUMENT", "UNIMPLEMENTED", "DATA_LOSS"]);

/** The checker's view of a successful answer. */
export function answerOf(op: Operation, value: unknown): Answer {
  switch (op.kind) {
    case "SendMessage":
      return { kind: "SendMessage", id: (value as { id: number }).id };
    case "Login":
      return { kind: "Login", unreadCount: (value as { unreadCount: number }).unreadCount };
    case "ReadNewMessages": {
      const { messages, unreadRemaining } = value as { messages: SeenMessage[]; unreadRemaining: number };
      return { kind: "ReadNewMessages", messages: messages.map(seen), unreadRemaining };
    }
    case "ListMessages":
      return { kind: "ListMessages", messages: (value as { messages: SeenMessage[] }).messages.map(seen) };
    case "MarkRead":
      return { kind: "MarkRead", marked: (value as { marked?: number }).marked ?? 0 };
    case "DeleteMessages":
      return { kind: "DeleteMessages", deleted: (value as { deleted?: number }).deleted ?? 0 };
    default:
      return { kind: op.kind } as Answer;
  }
}

/**
 * What the library's error means for the history. A refusal is a definite
 * failure only if no attempt before it went unanswered: that attempt may
 * still be applied, since a retry can be refused while it is pending.
 * FAILED_PRECONDITION (a retry older than the result window) and the
 * library giving up after its failover deadline are unknown; a status that
 * means a bug is unknown too, and `unexpected` hears of it.
 */
export function completionOf(error: unknown, afterUnanswered: boolean, unexpected: (error: unknown) => void): Completion {
  if (!(error instanceof ChatClientError) || bugCodes.has(error.code)) {
    unexpected(error);
    return { type: "unknown", reason: String(error) };
  }
  const reason = `${error.code}: ${error.message}`;
  if (!isDefiniteFailure(error.code)) return { type: "unknown", reason };
  if (afterUnanswered) return { type: "unknown", reason: `${reason} (after an attempt that got no answer)` };
  return { type: "fail", code: error.code, message: error.message };
}

function isDefiniteFailure(code: string): code is DefiniteFailureCode {
  return (definiteFailureCodes as readonly string[]).includes(code);
}

function seen({ id, sender, recipient, text }: SeenMessage): SeenMessage {
  return { id, sender, recipient, text };
}
