/**
 * The chaos run's users: each runs the real client library
 * (src/client/chat-client.ts) over gRPC through its own fault proxies, one
 * operation at a time: it registers, logs in (and follows its messages
 * live from then on, as the terminal client does), then sends, reads new
 * messages, lists, marks read, deletes messages, logs out, and now and then
 * deletes its account and starts over. Every operation goes into the
 * history: its invoke, then ok, a definite failure, or unknown.
 */
import { answerOf, completionOf, type Completion } from "../check/client-outcomes.ts";
import type { Answer, Operation } from "../check/history.ts";
import { ChatClient, ChatClientError, type Subscription } from "../client/chat-client.ts";
import type { SimRandom } from "../tools/sim/random.ts";
import type { Recorder } from "./recorder.ts";
import { ChaosTransport } from "./transport.ts";

/** What a logged-in user does next, by weight. */
const operationWeights = [
  ["send", 45],
  ["readNew", 20],
  ["list", 10],
  ["markRead", 7],
  ["delete", 8],
  ["logout", 3],
  ["deleteAccount", 1],
] as const;
type Choice = (typeof operationWeights)[number][0];
/** Messages one ReadNewMessages asks for; one ListMessages page. */
const readCount = 5;
const listPageSize = 10;
/** Ids one MarkRead or DeleteMessages names at most. */
const idsPerRequestMax = 3;
/** Ids a user remembers having seen (the newest), to name in MarkRead and DeleteMessages. */
const seenIdsMax = 50;
const chaosPassword = "chaos-password";

export class ChaosUser {
  private readonly transport: ChaosTransport;
  private readonly client: ChatClient;
  private registered = false;
  private sends = 0;
  private follows = 0;
  private subscription: Subscription | null = null;
  private readonly seenIds: number[] = [];
  /** Operations answered ok, so the run can tell who got through after healing. */
  okCount = 0;

  constructor(
    readonly name: string,
    private readonly peers: readonly string[],
    addresses: readonly string[],
    route: (address: string) => string,
    private readonly random: SimRandom,
    private readonly recorder: Recorder,
  ) {
    this.transport = new ChaosTransport(route);
    this.client = new ChatClient({ addresses: random.shuffle([...addresses]), transport: this.transport });
  }

  /** Runs one operation, whatever comes next for this user. */
  async step(): Promise<void> {
    const user = this.name;
    if (!this.registered) {
      const result = await this.run({ kind: "CreateAccount", user }, () => this.client.createAccount(user, chaosPassword));
      if (result.type === "ok" || (result.type === "fail" && result.code === "ALREADY_EXISTS")) this.registered = true;
      return;
    }
    if (!this.client.token) {
      const result = await this.run({ kind: "Login", user }, () => this.client.login(user, chaosPassword));
      if (result.type === "ok") this.follow();
      if (result.type === "fail" && result.code === "NOT_FOUND") this.registered = false;
      return;
    }
    const result = await this.loggedIn(this.choose());
    if (result.type === "fail" && result.code === "UNAUTHENTICATED") this.endSession();
  }

  close(): void {
    this.subscription?.cancel();
    this.client.close();
  }

  private choose(): Choice {
    const total = operationWeights.reduce((sum, [, weight]) => sum + weight, 0);
    let draw = this.random.int(0, total - 1);
    for (const [choice, weight] of operationWeights) {
      if (draw < weight) return choice;
      draw -= weight;
    }
    return "send";
  }

  private async loggedIn(chosen: Choice): Promise<Completion> {
    const user = this.name;
    // MarkRead and DeleteMessages name only ids something showed this user (the checker's recording rule).
    const choice = (chosen === "markRead" || chosen === "delete") && this.seenIds.length === 0 ? "readNew" : chosen;
    switch (choice) {
      case "send": {
        const recipient = this.random.pick(this.peers);
        // Texts identify messages in the history, even unacknowledged ones: unique per run.
        const text = `${user}#${++this.sends}`;
        return this.run({ kind: "SendMessage", user, recipient, text }, () => this.client.sendMessage(recipient, text));
      }
      case "readNew":
        return this.run({ kind: "ReadNewMessages", user, count: readCount }, () => this.client.readNewMessages(readCount));
      case "list":
        return this.run({ kind: "ListMessages", user, pageSize: listPageSize, beforeId: 0 }, () => this.client.listMessages(listPageSize, 0));
      case "markRead": {
        const ids = this.someSeenIds();
        return this.run({ kind: "MarkRead", user, ids }, () => this.client.markRead(ids));
      }
      case "delete": {
        const ids = this.someSeenIds();
        return this.run({ kind: "DeleteMessages", user, ids }, () => this.client.deleteMessages(ids));
      }
      case "logout": {
        const result = await this.run({ kind: "Logout", user }, () => this.client.logout());
        if (result.type !== "fail") this.endSession();
        return result;
      }
      case "deleteAccount": {
        const result = await this.run({ kind: "DeleteAccount", user }, () => this.client.deleteAccount(chaosPassword));
        if (result.type !== "fail") {
          // Gone, or maybe gone: start over with a new account of the same name (ALREADY_EXISTS tells the other case).
          this.endSession();
          this.registered = false;
        }
        return result;
      }
    }
  }

  /** A few ids of messages to this user that it saw (answers, deliveries); there is at least one. */
  private someSeenIds(): number[] {
    const count = this.random.int(1, Math.min(idsPerRequestMax, this.seenIds.length));
    return [...new Set(Array.from({ length: count }, () => this.random.pick(this.seenIds)))];
  }

  private see(id: number): void {
    this.seenIds.push(id);
    if (this.seenIds.length > seenIdsMax) this.seenIds.shift();
  }

  private endSession(): void {
    this.subscription?.cancel();
    this.subscription = null;
    this.client.token = null;
  }

  /** Follows this session's messages live (a previous session's follow was cancelled when it ended). */
  private follow(): void {
    this.subscription?.cancel();
    this.follows += 1;
    const process = `follow-${this.name}-${this.follows}`;
    const user = this.name;
    this.transport.onStreamStart = (afterId, { position }) => this.recorder.record({ type: "subscribe", process, user, afterId, position });
    this.subscription = this.client.follow(0, {
      onMessage: ({ id, sender, recipient, text }) => {
        this.see(id);
        this.recorder.record({ type: "deliver", process, user, message: { id, sender, recipient, text } });
      },
      onEnd: () => {
        this.subscription = null;
      },
    });
  }

  /** One operation through the library; records it and returns its outcome. */
  private async run(op: Operation, call: () => Promise<unknown>): Promise<Completion> {
    const process = this.client.clientId;
    this.recorder.invoke(process, op);
    const unansweredBefore = this.transport.unansweredWrites;
    let completion: Completion;
    try {
      completion = { type: "ok", answer: answerOf(op, await call()) };
      this.okCount++;
      this.noteSeen(completion.answer);
    } catch (error) {
      completion = completionOf(error, this.transport.unansweredWrites > unansweredBefore, (unexpected) => this.noteUnexpected(unexpected));
    }
    this.recorder.complete(process, completion);
    return completion;
  }

  private noteUnexpected(error: unknown): void {
    this.recorder.unexpected.push(`${this.name}: ${error instanceof ChatClientError ? `${error.code}: ${error.message}` : String(error)}`);
  }

  /** Messages to this user, the ones it may mark read or delete. */
  private noteSeen(answer: Answer): void {
    if (answer.kind !== "ReadNewMessages" && answer.kind !== "ListMessages") return;
    for (const message of answer.messages) if (message.recipient === this.name) this.see(message.id);
  }
}
