/**
 * A reference model of the chat service (README "Chat semantics") that runs
 * commands one at a time and records what a client would see as a history
 * for src/check/history.ts: every answer, refusal, unknown outcome and live
 * delivery, then the final state as three identical replicas.
 *
 * It is written apart from the checker's per-user model on purpose: the
 * property test compares the two.
 */
import type {
  Answer,
  DefiniteFailureCode,
  FinalMessage,
  History,
  HistoryEvent,
  Operation,
  SeenMessage,
} from "../../src/check/history.ts";

/** What happens to a command: answered, or applied with the answer lost, or lost before applying. */
export type Fate = "answered" | "unknownApplied" | "unknownLost";

export type Command =
  | { kind: "create" | "login" | "logout" | "list" | "deleteAccount"; user: string; fate: Fate }
  | { kind: "send"; user: string; recipient: string; fate: Fate }
  | { kind: "read"; user: string; count: number; fate: Fate }
  /** `pick` chooses among the ids the history has shown so far; past the end, an id that never existed. */
  | { kind: "markRead" | "deleteMessages"; user: string; pick: number; fate: Fate }
  | { kind: "subscribe" | "reopen"; user: string };

type StreamCommand = Extract<Command, { kind: "subscribe" | "reopen" }>;

function isStreamCommand(command: Command): command is StreamCommand {
  return command.kind === "subscribe" || command.kind === "reopen";
}

type Result = { answer: Answer } | { code: DefiniteFailureCode };

/** An id no message ever gets in a short run. */
const missingMessageId = 1_000_000;
/** History pages the reference answers ListMessages with. */
const listPageSize = 5;

interface Subscription {
  process: string;
  position: number;
  lastId: number | null;
}

export class SequentialChat {
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

  run(commands: readonly Command[]): History {
    for (const command of commands) this.execute(command);
    const accounts = [...this.accounts.keys()];
    const messages = [...this.messages.values()];
    const replicas = ["r1", "r2", "r3"].map((replica) => ({ replica, accounts, messages, projectionHash: "same" }));
    return { events: this.events, replicas };
  }

  private execute(command: Command): void {
    if (isStreamCommand(command)) return this.openStream(command.kind, command.user);
    const process = `p-${command.user}`;
    const op = this.operationOf(command);
    this.record({ type: "invoke", seq: 0, process, op });
    if (command.fate === "unknownLost") return this.record({ type: "unknown", seq: 0, process, reason: "lost" });
    const result = this.apply(op);
    if (command.fate === "unknownApplied") this.record({ type: "unknown", seq: 0, process, reason: "answer lost" });
    else if ("answer" in result) this.record({ type: "ok", seq: 0, process, answer: result.answer });
    else this.record({ type: "fail", seq: 0, process, code: result.code, message: result.code });
    if (command.fate === "answered") this.show(result);
    if (op.kind === "SendMessage" && "answer" in result) this.deliverLive(this.messages.get(this.logIndex)!);
  }

  private operationOf(command: Exclude<Command, StreamCommand>): Operation {
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

  private apply(op: Operation): Result {
    const createdIndex = this.accounts.get(op.user);
    if (op.kind === "CreateAccount") {
      if (createdIndex !== undefined) return { code: "ALREADY_EXISTS" };
      this.accounts.set(op.user, ++this.logIndex);
      return { answer: { kind: "CreateAccount" } };
    }
    if (createdIndex === undefined) return { code: op.kind === "Login" ? "NOT_FOUND" : "UNAUTHENTICATED" };
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
        const party = (message: FinalMessage) =>
          message.recipient === op.user || (message.sender === op.user && message.id > createdIndex);
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

  private openStream(kind: "subscribe" | "reopen", user: string): void {
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
  private show(result: Result): void {
    if (!("answer" in result)) return;
    const { answer } = result;
    if (answer.kind === "SendMessage") this.shownIds.push(answer.id);
    if (answer.kind === "ReadNewMessages" || answer.kind === "ListMessages") {
      this.shownIds.push(...answer.messages.map((message) => message.id));
    }
  }

  private record(event: HistoryEvent): void {
    this.events.push({ ...event, seq: ++this.seq });
  }
}
