// Simulated chat users. Each one behaves as the client library does
// (src/client/chat-client.ts): it sends to the replica it believes leads,
// follows "not the leader" redirects, and retries a write with the same
// (client id, seq) after a timeout or a failover, until a deadline; an
// outcome it never learns is recorded as unknown, never as a failure.
// Every operation goes into the history the checks read.

import { NotLeaderError, OverloadedError } from "../../../log/errors.ts";
import { ChatError } from "../../../projections/operations.ts";
import type { Caller, ChatService } from "../../../service/chat-service.ts";
import type { Answer, DefiniteFailureCode, Operation, SeenMessage } from "../../../check/history.ts";
import type { SimRandom } from "../random.ts";

/** What a client needs from the simulation: the replicas it can reach now, the time, and the history. */
export interface ClientWorld {
  nowMs(): number;
  /** The service of replica `id` if the client can reach it now (up, not paused). */
  reach(id: number): ChatService | null;
  replicaIds(): number[];
  /** Records an operation's start, then (once) its completion, in the history checker's terms (src/check). */
  invoke(process: string, op: Operation): void;
  complete(process: string, completion: Completion): void;
  /** An error the service should never throw (the run fails with it). */
  unexpected(error: unknown): void;
}

export type Completion = { type: "ok"; answer: Answer } | { type: "fail"; code: DefiniteFailureCode; message: string } | { type: "unknown"; reason: string };

/** One call waits this long (simulated) before the client tries elsewhere with the same seq. */
export const callTimeoutMs = 400;
/** A write is retried this long before its outcome is reported unknown (the client library's failover deadline). */
export const retryDeadlineMs = 15_000;

/** Chance that a user's next operation goes to a replica picked at random rather than the one it believes leads. */
const wanderChance = 0.2;
/** Share of a logged-in user's operations that are sends (the rest read new messages). */
const sendShare = 0.7;
/** Messages one ReadNewMessages asks for. */
const readCount = 5;
const simPassword = "sim-password";

type Attempt<T> = (service: ChatService, caller: Caller) => Promise<T>;

export class SimUser {
  private seq = 0;
  /** The session's token once logged in (a follower of this user's messages uses it too). */
  token: string | null = null;
  private registered = false;
  private target: number;
  private busy = false;

  constructor(
    readonly name: string,
    private readonly clientId: string,
    private readonly peers: readonly string[],
    private readonly random: SimRandom,
    private readonly world: ClientWorld,
    /** Users arrive over the run, so accounts are created while faults strike too. */
    private readonly arrivesAtMs = 0,
  ) {
    this.target = random.pick(world.replicaIds());
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
    // Clients disagree about who leads (each learned it at another moment): now and then one asks another replica.
    if (this.random.chance(wanderChance)) this.target = this.random.pick(this.world.replicaIds());
    const user = this.name;
    if (!this.registered) {
      const result = await this.call({ kind: "CreateAccount", user }, (service, caller) => service.createAccount(caller, user, simPassword));
      if (result.type === "ok" || (result.type === "fail" && result.code === "ALREADY_EXISTS")) this.registered = true;
      return;
    }
    if (!this.token) {
      // One per login, kept by its retries; not random: the simulator checks behaviour, and a draw would move every schedule.
      const sessionSecret = `${this.clientId}-session-secret-for-login-${this.seq + 1}`;
      const result = await this.call({ kind: "Login", user }, (service, caller) => service.login(caller, user, simPassword, sessionSecret));
      if (result.type === "ok") this.token = result.value.token;
      return;
    }
    const result = this.random.chance(sendShare) ? await this.send() : await this.readNew();
    if (result.type === "fail" && result.code === "UNAUTHENTICATED") this.token = null;
  }

  private send() {
    const recipient = this.random.pick(this.peers);
    const text = `${this.clientId}#${this.seq + 1}`;
    return this.call({ kind: "SendMessage", user: this.name, recipient, text }, (service, caller) => service.sendMessage(caller, recipient, text));
  }

  private readNew() {
    return this.call({ kind: "ReadNewMessages", user: this.name, count: readCount }, (service, caller) => service.readNewMessages(caller, readCount));
  }

  /** One operation with the client library's retries; records it and returns its outcome. */
  private async call<T>(op: Operation, attempt: Attempt<T>): Promise<Completion & { value: T }> {
    this.seq += 1;
    const caller: Caller = { request: { clientId: this.clientId, seq: this.seq }, ...(this.token ? { token: this.token } : {}) };
    const invokedAt = this.world.nowMs();
    this.world.invoke(this.clientId, op);
    let completion: Completion = { type: "unknown", reason: `no answer within ${retryDeadlineMs} ms` };
    let value: T | undefined;
    while (this.world.nowMs() - invokedAt < retryDeadlineMs) {
      const service = this.world.reach(this.target);
      if (!service) {
        this.target = this.random.pick(this.world.replicaIds());
        await this.pause();
        continue;
      }
      const answer = await this.withTimeout(attempt(service, caller));
      if (answer.kind === "ok") {
        value = answer.value;
        completion = { type: "ok", answer: answerOf(op, answer.value) };
        break;
      }
      if (answer.kind === "definite") {
        completion = answer.completion;
        break;
      }
      this.target = answer.redirect ?? this.random.pick(this.world.replicaIds());
      await this.pause();
    }
    this.world.complete(this.clientId, completion);
    return { ...completion, value: value as T };
  }

  /** The answer of one attempt, or "retry" after the call timeout (the abandoned call may still complete). */
  private withTimeout<T>(
    pending: Promise<T>,
  ): Promise<{ kind: "ok"; value: T } | { kind: "definite"; completion: Completion } | { kind: "retry"; redirect?: number }> {
    const deadline = this.world.nowMs() + callTimeoutMs;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (answer: Parameters<typeof resolve>[0]) => {
        if (!settled) resolve(answer);
        settled = true;
      };
      pending.then(
        (value) => settle({ kind: "ok", value }),
        (error: unknown) => {
          const answer = classify(error);
          if (!answer) this.world.unexpected(error);
          settle(answer ?? { kind: "retry" });
        },
      );
      const poll = () => {
        if (settled) return;
        if (this.world.nowMs() >= deadline) settle({ kind: "retry" });
        else this.timers.push(poll);
      };
      this.timers.push(poll);
    });
  }

  /** Waits for one simulated tick. */
  private pause(): Promise<void> {
    return new Promise((resolve) => this.timers.push(resolve));
  }

  /** Callbacks to run at the next tick (timeouts and pauses in simulated time). */
  private timers: (() => void)[] = [];

  tick(): void {
    const due = this.timers;
    this.timers = [];
    for (const timer of due) timer();
  }
}

/**
 * What the client library makes of an error: a definite answer, or a reason
 * to retry; null for a bug. FAILED_PRECONDITION (a retry the service no
 * longer remembers) is no definite failure: the first attempt may have
 * happened, so it is recorded as unknown.
 */
function classify(error: unknown): { kind: "definite"; completion: Completion } | { kind: "retry"; redirect?: number } | null {
  if (error instanceof ChatError) {
    if (error.code === "FAILED_PRECONDITION") return { kind: "definite", completion: { type: "unknown", reason: error.message } };
    // Users send well-formed requests and repeat a seq only to retry the same request: a bug in them or in the service.
    if (error.code === "INVALID_ARGUMENT") return null;
    return { kind: "definite", completion: { type: "fail", code: error.code as DefiniteFailureCode, message: error.message } };
  }
  if (error instanceof NotLeaderError) return { kind: "retry", redirect: replicaIdOf(error.leaderAddress) };
  if (error instanceof OverloadedError) return { kind: "retry" };
  return null;
}

/** The checker's view of a successful answer. */
function answerOf(op: Operation, value: unknown): Answer {
  switch (op.kind) {
    case "SendMessage":
      return { kind: "SendMessage", id: (value as { id: number }).id };
    case "Login":
      return { kind: "Login", unreadCount: (value as { unreadCount: number }).unreadCount };
    case "ReadNewMessages": {
      const { messages, unreadRemaining } = value as { messages: SeenMessage[]; unreadRemaining: number };
      return { kind: "ReadNewMessages", messages: messages.map(({ id, sender, recipient, text }) => ({ id, sender, recipient, text })), unreadRemaining };
    }
    default:
      return { kind: op.kind } as Answer;
  }
}

/** Simulated replicas are addressed "sim:<id>". */
function replicaIdOf(address: string | null): number | undefined {
  const match = address ? /^sim:(\d+)$/.exec(address) : null;
  return match ? Number(match[1]) : undefined;
}
