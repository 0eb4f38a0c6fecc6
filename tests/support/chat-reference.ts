/**
 * A reference model of the chat service (README "Chat semantics") that
 * records what clients would see as a history for src/check/history.ts:
 * every invoke, answer, refusal, unknown outcome and live delivery, then
 * the final state as three identical replicas. Each operation takes effect
 * atomically between its invoke and its completion (an unknown one possibly
 * after it), so every history it records is linearizable by construction:
 * run one command at a time, or interleaved by a schedule.
 *
 * It is written apart from the checker's per-user model on purpose: the
 * property tests compare the two.
 */
import type { Answer, DefiniteFailureCode, FinalMessage, History, HistoryEvent, Operation, SeenMessage } from "../../src/check/history.ts";

/** What happens to a command: answered, or applied with the answer lost, or lost before applying. */
export type Fate = "answered" | "unknownApplied" | "unknownLost";

export type Command =
  | { kind: "create" | "login" | "logout" | "list" | "deleteAccount"; user: string; fate: Fate; slot?: number }
  | { kind: "send"; user: string; recipient: string; fate: Fate; slot?: number }
  | { kind: "read"; user: string; count: number; fate: Fate; slot?: number }
  /** `pick` chooses among the ids the history has shown so far; past the end, an id that never existed. */
  | { kind: "markRead" | "deleteMessages"; user: string; pick: number; fate: Fate; slot?: number }
  | { kind: "subscribe" | "reopen"; user: string; slot?: number };

type StreamCommand = Extract<Command, { kind: "subscribe" | "reopen" }>;
type OperationCommand = Exclude<Command, StreamCommand>;

function isStreamCommand(command: Command): command is StreamCommand {
  return command.kind === "subscribe" || command.kind === "reopen";
}

type Result = { answer: Answer } | { code: DefiniteFailureCode };

/** One operation on its way: invoked, then applied (or not, as its fate says), then completed. */
export interface Invocation {
  process: string;
  op: Operation;
  fate: Fate;
  result: Result | null;
}

/** A client process: a user may act through several at once (`slot`). */
function processOf(command: Command): string {
  return `p-${command.user}-${command.slot ?? 0}`;
}

/** An id no message ever gets in a short run. */
const missingMessageId = 1_000_000;
/** History pages the reference answers ListMessages with. */
const listPageSize = 5;

interface Subscription {
  process: string;
  position: number;
  lastId: number | null;
}

export class ReferenceChat {
  private readonly events: HistoryEvent[] = [];
  private readonly accounts = new Map<string, number>();
  private readonly messages = new Map<number, FinalMessage>();
  private readonly subscriptions = new Map<string, Subscription>();
  /** Ids some answer or delivery has shown: all a client could name. */
  private readonly shownIds: number[] = [];
  /** The log's last index; index 1 is the founding entry. */
  private logIndex = 1;
  private seq = 0;
  private textsSent = 0;
  private streamsOpened = 0;

  history(): History {
    const accounts = [...this.accounts.keys()];
    const messages = [...this.messages.values()];
    const replicas = ["r1", "r2", "r3"].map((replica) => ({ replica, accounts, messages, projectionHash: "same" }));
    return { events: this.events, replicas };
  }

  invoke(command: OperationCommand): Invocation {
    const invocation = { process: processOf(command), op: this.operationOf(command), fate: command.fate, result: null };
    this.record({ type: "invoke", seq: 0, process: invocation.process, op: invocation.op });
    return invocation;
  }

  /** The operation takes effect now, unless its fate is to be lost. */
  apply(invocation: Invocation): void {
    if (invocation.fate === "unknownLost") return;
    const result = this.applyOperation(invocation.op);
    invocation.result = result;
    if (invocation.op.kind === "SendMessage" && "answer" in result) this.deliverLive(this.messages.get(this.logIndex)!);
  }

  complete(invocation: Invocation): void {
    const { process, result } = invocation;
    if (invocation.fate !== "answered" || !result) {
      this.record({ type: "unknown", seq: 0, process, reason: "answer lost" });
    } else if ("answer" in result) {
      this.record({ type: "ok", seq: 0, process, answer: result.answer });
      this.show(result.answer);
    } else {
      this.record({ type: "fail", seq: 0, process, code: result.code, message: result.code });
    }
  }

  private operationOf(command: OperationCommand): Operation {
    const { user } = command;
    switch (command.kind) {
      case "create":
        return { kind: "CreateAccount", user };
      case "login":
        return { kind: "Login", user };
      case "logout":
        return { kind: "Logout", user };
      case "list":
        return { kind: "ListMessages", user, pageSize: listPageSize, beforeId: 0 };
      case "deleteAccount":
        return { kind: "DeleteAccount", user };
      case "send":
        return { kind: "SendMessage", user, recipient: command.recipient, text: `text-${++this.textsSent}` };
      case "read":
        return { kind: "ReadNewMessages", user, count: command.count };
      case "markRead":
        return { kind: "MarkRead", user, ids: [this.shownIds[command.pick] ?? missingMessageId] };
      case "deleteMessages":
        return { kind: "DeleteMessages", user, ids: [this.shownIds[command.pick] ?? missingMessageId] };
    }
  }

  private applyOperation(op: Operation): Result {
    const createdIndex = this.accounts.get(op.user);
    if (op.kind === "CreateAccount") {
      if (createdIndex !== undefined) return { code: "ALREADY_EXISTS" };
      this.accounts.set(op.user, ++this.logIndex);
      return { answer: { kind: "CreateAccount" } };
    }
    if (createdIndex === undefined) return { code: "UNAUTHENTICATED" };
    switch (op.kind) {
      case "Login":
        this.logIndex++;
        return { answer: { kind: "Login", unreadCount: this.unreadOf(op.user).length } };
      case "Logout":
        return { answer: { kind: "Logout" } };
      case "SendMessage":
        return this.send(op.user, op.recipient, op.text);
      case "ReadNewMessages":
        return this.readNew(op.user, op.count);
      case "ListMessages":
        return { answer: { kind: "ListMessages", messages: this.historyOf(op.user, createdIndex) } };
      case "MarkRead":
        return this.touch(op.ids, (message) => message.recipient === op.user, "MarkRead");
      case "DeleteMessages": {
        const party = (message: FinalMessage) => message.recipient === op.user || (message.sender === op.user && message.id > createdIndex);
        return this.touch(op.ids, party, "DeleteMessages");
      }
      case "DeleteAccount":
        this.deleteAccount(op.user);
        return { answer: { kind: "DeleteAccount" } };
    }
  }

  private send(sender: string, recipient: string, text: string): Result {
    if (!this.accounts.has(recipient)) return { code: "NOT_FOUND" };
    const id = ++this.logIndex;
    this.messages.set(id, { id, sender, recipient, text, read: false, deleted: false });
    return { answer: { kind: "SendMessage", id } };
  }

  private unreadOf(user: string): FinalMessage[] {
    return [...this.messages.values()].filter((message) => message.recipient === user && !message.read).sort((a, b) => a.id - b.id);
  }

  private readNew(user: string, count: number): Result {
    const taken = this.unreadOf(user).slice(0, count);
    if (taken.length > 0) this.logIndex++;
    for (const message of taken) message.read = true;
    const messages = taken.map(({ id, sender, recipient, text }) => ({ id, sender, recipient, text }));
    return { answer: { kind: "ReadNewMessages", messages, unreadRemaining: this.unreadOf(user).length } };
  }

  private historyOf(user: string, createdIndex: number): SeenMessage[] {
    return [...this.messages.values()]
      .filter((message) => message.recipient === user || (message.sender === user && message.id > createdIndex))
      .sort((a, b) => b.id - a.id)
      .slice(0, listPageSize)
      .map(({ id, sender, recipient, text }) => ({ id, sender, recipient, text }));
  }

  /** MarkRead or DeleteMessages: refused whole unless every id names a message the caller may touch. */
  private touch(ids: readonly number[], mine: (message: FinalMessage) => boolean, kind: "MarkRead" | "DeleteMessages"): Result {
    for (const id of ids) {
      const message = this.messages.get(id);
      if (!message) return { code: "NOT_FOUND" };
      if (!mine(message)) return { code: "PERMISSION_DENIED" };
    }
    this.logIndex++;
    for (const id of ids) {
      if (kind === "MarkRead") this.messages.get(id)!.read = true;
      else this.messages.delete(id);
    }
    return { answer: kind === "MarkRead" ? { kind, marked: ids.length } : { kind, deleted: ids.length } };
  }

  private deleteAccount(user: string): void {
    this.logIndex++;
    for (const [id, message] of this.messages) {
      if (message.recipient === user || (message.sender === user && !message.read)) this.messages.delete(id);
    }
    this.accounts.delete(user);
    this.subscriptions.delete(user);
  }

  openStream({ kind, user }: StreamCommand): void {
    const current = this.subscriptions.get(user);
    if (kind === "subscribe" && !current && this.accounts.has(user)) {
      const subscription = { process: `live-${user}-${++this.streamsOpened}`, position: this.logIndex, lastId: null };
      this.subscriptions.set(user, subscription);
      this.record({ type: "subscribe", seq: 0, process: subscription.process, user, afterId: 0, position: this.logIndex });
    }
    if (kind === "reopen" && current) {
      const afterId = current.lastId ?? current.position;
      this.record({ type: "subscribe", seq: 0, process: current.process, user, afterId, position: this.logIndex });
    }
  }

  private deliverLive(message: FinalMessage): void {
    const subscription = this.subscriptions.get(message.recipient);
    if (!subscription) return;
    const { id, sender, recipient, text } = message;
    subscription.lastId = id;
    this.shownIds.push(id);
    this.record({ type: "deliver", seq: 0, process: subscription.process, user: recipient, message: { id, sender, recipient, text } });
  }

  /** The ids an answer showed become nameable by later commands. */
  private show(answer: Answer): void {
    if (answer.kind === "SendMessage") this.shownIds.push(answer.id);
    if (answer.kind === "ReadNewMessages" || answer.kind === "ListMessages") {
      this.shownIds.push(...answer.messages.map((message) => message.id));
    }
  }

  private record(event: HistoryEvent): void {
    this.events.push({ ...event, seq: ++this.seq });
  }
}

/** One command at a time: invoked, applied, completed. */
export function runSequentially(commands: readonly Command[]): History {
  const chat = new ReferenceChat();
  for (const command of commands) {
    if (isStreamCommand(command)) {
      chat.openStream(command);
      continue;
    }
    const invocation = chat.invoke(command);
    chat.apply(invocation);
    chat.complete(invocation);
  }
  return chat.history();
}

/**
 * Each process runs its commands in order, one at a time; `schedule` picks,
 * step by step, which process moves on (invoke, apply, complete) or which
 * unknown operation takes effect after its completion.
 */
export function runConcurrently(commands: readonly Command[], schedule: readonly number[]): History {
  const chat = new ReferenceChat();
  const queues = new Map<string, Command[]>();
  for (const command of commands) queues.set(processOf(command), [...(queues.get(processOf(command)) ?? []), command]);
  const running = new Map<string, { invocation: Invocation; applied: boolean }>();
  const late: Invocation[] = [];
  const advance = (process: string): void => {
    const current = running.get(process);
    if (!current) {
      const command = queues.get(process)!.shift()!;
      if (isStreamCommand(command)) chat.openStream(command);
      else running.set(process, { invocation: chat.invoke(command), applied: false });
      return;
    }
    const { invocation } = current;
    if (!current.applied && invocation.fate === "answered") {
      chat.apply(invocation);
      current.applied = true;
      return;
    }
    // An answer lost in flight: the process moves on, and the operation may still take effect later.
    if (invocation.fate === "unknownApplied" && !current.applied) late.push(invocation);
    chat.complete(invocation);
    running.delete(process);
  };
  for (let step = 0; ; step++) {
    const ready = [...queues].filter(([process, queue]) => running.has(process) || queue.length > 0).map(([process]) => process);
    const moves = [
      ...ready.map((process) => () => advance(process)),
      ...late.map((invocation) => () => {
        late.splice(late.indexOf(invocation), 1);
        chat.apply(invocation);
      }),
    ];
    if (moves.length === 0) return chat.history();
    moves[(schedule[step % schedule.length] ?? 0) % moves.length]!();
  }
}
