// Simulated chat users. Each one runs the client library itself
// (src/client/chat-client.ts) over the simulated network
// (client-transport.ts), on the simulation's clock: the library finds the
// leader, follows "not the leader" redirects, and retries a write with the
// same (client id, seq) through failovers until its deadline. The user
// records every operation in the history the checks read: its invoke, then
// ok, a definite failure, or unknown (an outcome it never learns is
// unknown, never a failure). Once logged in it follows its messages live
// with the library's follow() (followers.ts), as the terminal client does.

import { answerOf, completionOf, type Completion, type DistributiveOmit } from "../../../check/client-outcomes.ts";
import type { HistoryEvent, Operation } from "../../../check/history.ts";
import { ChatClient } from "../../../client/chat-client.ts";
import type { SimRandom } from "../random.ts";
import { SimChatTransport, type SimServers } from "./client-transport.ts";
import type { SimClock } from "../clock.ts";
import { SimFollower } from "./followers.ts";

/** What a client needs from the simulation: the replicas, the time, and the history. */
export interface ClientWorld {
  nowMs(): number;
  /** The clients' clock: deadlines, pauses and network delays run on it. */
  clock: SimClock;
  servers: SimServers;
  /** The replicas a client knows at first (its config_client.json): the founding members. */
  addresses: readonly string[];
  /** Records an operation's start, then (once) its completion, in the history checker's terms (src/check). */
  invoke(process: string, op: Operation): void;
  complete(process: string, completion: Completion): void;
  /** Records a live stream's opening or delivery. */
  record(event: DistributiveOmit<HistoryEvent, "seq">): void;
  /** An error the service or the client should never give (the run fails with it). */
  unexpected(error: unknown): void;
}

/**
 * One attempt waits this long (simulated) before the client tries again:
 * a fifth of the library's default, so that several failovers fit in a
 * safety phase. The failover deadline is the library's own.
 */
const attemptDeadlineMs = 400;
/** Share of a logged-in user's operations that are sends (the rest read new messages). */
const sendShare = 0.7;
/** Messages one ReadNewMessages asks for. */
const readCount = 5;
const simPassword = "sim-password";
/** Random bytes in a client id, as the library draws them. */
const clientIdBytes = 16;

export class SimUser {
  private readonly transport: SimChatTransport;
  private readonly client: ChatClient;
  private readonly follower: SimFollower;
  private registered = false;
  private busy = false;
  /** Logins started, numbering each one's session secret. */
  private logins = 0;
  private sends = 0;

  constructor(
    readonly name: string,
    private readonly peers: readonly string[],
    private readonly random: SimRandom,
    private readonly world: ClientWorld,
    /** Users arrive over the run, so accounts are created while faults strike too. */
    private readonly arrivesAtMs = 0,
  ) {
    this.transport = new SimChatTransport(world.servers, world.clock, random.fork());
    this.client = new ChatClient({
      // Each client starts from the replicas in an order of its own, so clients begin at different replicas and learn the leader by redirects.
      addresses: random.shuffle([...world.addresses]),
      clientId: Buffer.from(Array.from({ length: clientIdBytes }, () => random.int(0, 255))).toString("base64url"),
      transport: this.transport,
      clock: world.clock,
      attemptDeadlineMs,
      // Not random: the simulator checks behaviour, and a draw would move every schedule.
      newSessionSecret: () => `${name}-session-secret-for-login-${++this.logins}`,
    });
    this.follower = new SimFollower(name, this.client, this.transport, world);
  }

  get idle(): boolean {
    return !this.busy;
  }

  /** Starts this user's next operation (if idle and arrived): register, log in, then send or read. */
  act(): void {
    if (this.busy || this.world.nowMs() < this.arrivesAtMs) return;
    this.busy = true;
    void this.next().finally(() => {
      this.busy = false;
    });
  }

  private async next(): Promise<void> {
    const user = this.name;
    if (!this.registered) {
      const result = await this.run({ kind: "CreateAccount", user }, () => this.client.createAccount(user, simPassword));
      if (result.type === "ok" || (result.type === "fail" && result.code === "ALREADY_EXISTS")) this.registered = true;
      return;
    }
    if (!this.client.token) {
      const result = await this.run({ kind: "Login", user }, () => this.client.login(user, simPassword));
      // As the terminal client does (src/client/cli/session.ts), a session's messages are followed live from its login on.
      if (result.type === "ok") this.follower.start();
      return;
    }
    const result = this.random.chance(sendShare) ? await this.send() : await this.readNew();
    if (result.type === "fail" && result.code === "UNAUTHENTICATED") this.client.token = null;
  }

  private send() {
    const recipient = this.random.pick(this.peers);
    // Texts identify messages in the history, even unacknowledged ones: unique per run.
    const text = `${this.name}#${++this.sends}`;
    return this.run({ kind: "SendMessage", user: this.name, recipient, text }, () => this.client.sendMessage(recipient, text));
  }

  private readNew() {
    return this.run({ kind: "ReadNewMessages", user: this.name, count: readCount }, () => this.client.readNewMessages(readCount));
  }

  /** One operation through the library; records it and returns its outcome. */
  private async run(op: Operation, call: () => Promise<unknown>): Promise<Completion> {
    const process = this.client.clientId;
    this.world.invoke(process, op);
    const unansweredBefore = this.transport.unansweredWrites;
    let completion: Completion;
    try {
      completion = { type: "ok", answer: answerOf(op, await call()) };
    } catch (error) {
      completion = completionOf(error, this.transport.unansweredWrites > unansweredBefore, (unexpected) => this.world.unexpected(unexpected));
    }
    this.world.complete(process, completion);
    return completion;
  }
}
