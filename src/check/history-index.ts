/**
 * Reads a history once into what every property needs: each operation with
 * its invoke and completion, and a catalog of messages (which SendMessage
 * made which id) gathered from answers, live deliveries and final states;
 * and the small facts several properties share (real-time precedence, what
 * may have removed a message, how to describe an operation).
 */
import type { Answer, DefiniteFailureCode, Finding, History, HistoryEvent, Operation, PropertyResult, SeenMessage } from "./history-model.ts";

/** The history breaks the recording rules; no verdict about the service can be given. */
export class MalformedHistoryError extends Error {
  override readonly name = "MalformedHistoryError";
}

export type Outcome = "ok" | "fail" | "unknown";

type InvokeEvent = Extract<HistoryEvent, { type: "invoke" }>;
type CompletionEvent = Extract<HistoryEvent, { type: "ok" | "fail" | "unknown" }>;

export interface OperationRecord {
  /** Position among the history's operations, in invoke order. */
  index: number;
  process: string;
  op: Operation;
  invoke: InvokeEvent;
  /** Null when the history ended first: read as `unknown`. */
  completion: CompletionEvent | null;
  outcome: Outcome;
  invokeSeq: number;
  /** Infinity when unknown: such an operation may take effect at any later time, or never. */
  completeSeq: number;
}

export function answerOf<K extends Answer["kind"]>(record: OperationRecord, kind: K): Extract<Answer, { kind: K }> | null {
  const completion = record.completion;
  return completion?.type === "ok" && completion.answer.kind === kind ? (completion.answer as Extract<Answer, { kind: K }>) : null;
}

export function failureCodeOf(record: OperationRecord): DefiniteFailureCode | null {
  return record.completion?.type === "fail" ? record.completion.code : null;
}

/** The events that show an operation: its invoke and its completion. */
export function eventsOf(...records: OperationRecord[]): HistoryEvent[] {
  return records.flatMap((record) => (record.completion ? [record.invoke, record.completion] : [record.invoke]));
}

export function describeOperation(record: OperationRecord): string {
  const { op } = record;
  const args = describeArguments(op);
  const completion = record.completion;
  const result =
    completion === null
      ? "no completion"
      : completion.type === "ok"
        ? `ok${describeAnswer(completion.answer)}`
        : completion.type === "fail"
          ? `fail ${completion.code}`
          : "unknown";
  const window = `@${record.invokeSeq}..${completion ? completion.seq : "end"}`;
  return `${op.kind}(${args}) by ${record.process} ${result} ${window}`;
}

function describeArguments(op: Operation): string {
  switch (op.kind) {
    case "SendMessage":
      return `${op.user}→${op.recipient}, ${JSON.stringify(op.text)}`;
    case "ReadNewMessages":
      return `${op.user}, ${op.count}`;
    case "MarkRead":
    case "DeleteMessages":
      return `${op.user}, [${op.ids.join(",")}]`;
    default:
      return op.user;
  }
}

function describeAnswer(answer: Answer): string {
  switch (answer.kind) {
    case "SendMessage":
      return ` id=${answer.id}`;
    case "Login":
      return ` unread=${answer.unreadCount}`;
    case "ReadNewMessages":
      return ` [${answer.messages.map((message) => message.id).join(",")}] remaining=${answer.unreadRemaining}`;
    default:
      return "";
  }
}

/** Every message some event or replica showed, and the SendMessage that made it (by its unique text). */
export interface CatalogEntry {
  send: OperationRecord;
  /** Null when no answer, delivery or replica ever showed the message. */
  id: number | null;
}

export interface IndexedHistory {
  history: History;
  operations: OperationRecord[];
  subscriptionEvents: Extract<HistoryEvent, { type: "subscribe" | "deliver" }>[];
  sendsByText: Map<string, OperationRecord>;
  catalog: Map<OperationRecord, CatalogEntry>;
  /** The send whose message got this id, as far as anything showed. */
  sendById: Map<number, OperationRecord>;
}

export function indexHistory(history: History): IndexedHistory {
  checkSequenceNumbers(history.events);
  const operations = pairOperations(history.events);
  const sendsByText = indexSendsByText(operations);
  const catalog = new Map<OperationRecord, CatalogEntry>();
  for (const send of sendsByText.values()) catalog.set(send, { send, id: answerOf(send, "SendMessage")?.id ?? null });
  for (const message of seenMessages(history, operations)) {
    const send = sendsByText.get(message.text);
    const entry = send && catalog.get(send);
    // A seen id that disagrees with the ack is a lost write, reported by its property; the ack's id stays.
    if (entry && entry.id === null) entry.id = message.id;
  }
  const sendById = new Map<number, OperationRecord>();
  for (const entry of catalog.values()) if (entry.id !== null) sendById.set(entry.id, entry.send);
  const subscriptionEvents = history.events.filter(
    (event): event is Extract<HistoryEvent, { type: "subscribe" | "deliver" }> => event.type === "subscribe" || event.type === "deliver",
  );
  return { history, operations, subscriptionEvents, sendsByText, catalog, sendById };
}

function checkSequenceNumbers(events: readonly HistoryEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    if (!(events[i]!.seq > events[i - 1]!.seq)) {
      throw new MalformedHistoryError(`event seq ${events[i]!.seq} does not follow ${events[i - 1]!.seq}`);
    }
  }
}

function pairOperations(events: readonly HistoryEvent[]): OperationRecord[] {
  const operations: OperationRecord[] = [];
  const pending = new Map<string, OperationRecord>();
  for (const event of events) {
    if (event.type === "invoke") {
      if (pending.has(event.process)) {
        throw new MalformedHistoryError(`process ${event.process} invoked at ${event.seq} with an operation pending`);
      }
      const record: OperationRecord = {
        index: operations.length,
        process: event.process,
        op: event.op,
        invoke: event,
        completion: null,
        outcome: "unknown",
        invokeSeq: event.seq,
        completeSeq: Infinity,
      };
      operations.push(record);
      pending.set(event.process, record);
    } else if (event.type === "ok" || event.type === "fail" || event.type === "unknown") {
      const record = pending.get(event.process);
      if (!record) throw new MalformedHistoryError(`process ${event.process} completed at ${event.seq} with nothing pending`);
      if (event.type === "ok" && event.answer.kind !== record.op.kind) {
        throw new MalformedHistoryError(`${record.op.kind} at ${record.invokeSeq} answered as ${event.answer.kind}`);
      }
      pending.delete(event.process);
      record.completion = event;
      record.outcome = event.type;
      if (event.type !== "unknown") record.completeSeq = event.seq;
    }
  }
  return operations;
}

/** Texts identify messages: the generator makes every SendMessage's text unique. */
function indexSendsByText(operations: readonly OperationRecord[]): Map<string, OperationRecord> {
  const byText = new Map<string, OperationRecord>();
  for (const record of operations) {
    if (record.op.kind !== "SendMessage") continue;
    if (byText.has(record.op.text)) {
      throw new MalformedHistoryError(`two SendMessage invocations share the text ${JSON.stringify(record.op.text)}`);
    }
    byText.set(record.op.text, record);
  }
  return byText;
}

function seenMessages(history: History, operations: readonly OperationRecord[]): SeenMessage[] {
  const fromAnswers = operations.flatMap((record) => answerOf(record, "ReadNewMessages")?.messages ?? answerOf(record, "ListMessages")?.messages ?? []);
  const fromStreams = history.events.flatMap((event) => (event.type === "deliver" ? [event.message] : []));
  const fromReplicas = history.replicas.flatMap((replica) => replica.messages);
  return [...fromAnswers, ...fromStreams, ...fromReplicas];
}

/** A non-failed operation: it happened (ok) or may have (unknown). */
export function mayHaveHappened(record: OperationRecord): boolean {
  return record.outcome !== "fail";
}

/** `earlier` completed before `later` was invoked: every linearization orders them so. */
export function precedes(earlier: OperationRecord, later: OperationRecord): boolean {
  return earlier.completeSeq < later.invokeSeq;
}

/** Operations that may have removed `send`'s message after it was applied. */
export function possibleRemovers(indexed: IndexedHistory, send: OperationRecord, id: number): OperationRecord[] {
  if (send.op.kind !== "SendMessage") return [];
  const { user: sender, recipient } = send.op;
  const removers = removersOf(indexed);
  // Deleting the sender removes its unread messages; whether this one was read is not known here.
  const candidates = new Set([
    ...(removers.byMessageId.get(id) ?? []),
    ...(removers.accountDeletes.get(recipient) ?? []),
    ...(removers.accountDeletes.get(sender) ?? []),
  ]);
  return [...candidates].filter((record) => mayHaveHappened(record) && !precedes(record, send));
}

interface Removers {
  /** DeleteMessages operations by each id they name. */
  byMessageId: Map<number, OperationRecord[]>;
  /** DeleteAccount operations by the user they delete. */
  accountDeletes: Map<string, OperationRecord[]>;
}

/** Built once per history: scanning every operation per message made the checks quadratic in a long run. */
const removersCache = new WeakMap<IndexedHistory, Removers>();

function removersOf(indexed: IndexedHistory): Removers {
  const cached = removersCache.get(indexed);
  if (cached) return cached;
  const removers: Removers = { byMessageId: new Map(), accountDeletes: new Map() };
  const push = <K>(map: Map<K, OperationRecord[]>, key: K, record: OperationRecord) => map.set(key, [...(map.get(key) ?? []), record]);
  for (const record of indexed.operations) {
    if (record.op.kind === "DeleteMessages") for (const id of record.op.ids) push(removers.byMessageId, id, record);
    if (record.op.kind === "DeleteAccount") push(removers.accountDeletes, record.op.user, record);
  }
  removersCache.set(indexed, removers);
  return removers;
}

/** A property with no findings passes. */
export function resultOf(findings: Finding[]): PropertyResult {
  return { verdict: findings.length === 0 ? "pass" : "fail", findings };
}
