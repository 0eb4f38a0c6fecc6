// Simulated chat users. Each one behaves as the client library does
// (src/client/chat-client.ts): it sends to the replica it believes leads,
// follows "not the leader" redirects, and retries a write with the same
// (client id, seq) after a timeout or a failover, until a deadline; an
// outcome it never learns is recorded as unknown, never as a failure.
// Every operation goes into the history the checks read.

import { NotLeaderError, OverloadedError } from "../../../log/errors.ts";
import { ChatError } from "../../../projections/operations.ts";
import type { Caller, ChatService } from "../../../service/chat-service.ts";
import type { SimRandom } from "../random.ts";

export type Outcome = "ok" | "fail" | "unknown";

export interface HistoryEntry {
  client: string;
  user: string;
  kind: "createAccount" | "login" | "send" | "readNew";
  /** Simulated ms at invocation and completion. */
  invokedAt: number;
  completedAt: number;
  outcome: Outcome;
  /** For sends: the recipient and the (unique) text; for fails: the error code and message. */
  recipient?: string;
  text?: string;
  id?: number;
  error?: string;
  /** For reads: the ids returned. */
  ids?: number[];
}

/** What a client needs from the simulation: the replicas it can reach now, and the time. */
export interface ClientWorld {
  nowMs(): number;
  /** The service of replica `id` if the client can reach it now (up, not paused, not cut off from clients). */
  reach(id: number): ChatService | null;
  replicaIds(): number[];
  record(entry: HistoryEntry): void;
  /** An error the service should never throw (the run fails with it). */
  unexpected(error: unknown): void;
}

/** One call waits this long (simulated) before the client tries elsewhere with the same seq. */
export const callTimeoutMs = 400;
/** A write is retried this long before its outcome is reported unknown (the client library's failover deadline). */
export const retryDeadlineMs = 15_000;

/** Chance that a user's next operation goes to a replica picked at random rather than the one it believes leads. */
const wanderChance = 0.2;

type Attempt<T> = (service: ChatService, caller: Caller) => Promise<T>;

export class SimUser {
  private seq = 0;
  private token: string | null = null;
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
    if (!this.registered) {
      const outcome = await this.call("createAccount", {}, (service, caller) => service.createAccount(caller, this.name, "sim-password"));
      if (outcome.outcome === "ok" || outcome.error?.startsWith("ALREADY_EXISTS")) this.registered = true;
      return;
    }
    if (!this.token) {
      const result = await this.call("login", {}, (service, caller) => service.login(caller, this.name, "sim-password"));
      if (result.outcome === "ok") this.token = (result.value as { token: string }).token;
      return;
    }
    if (this.random.chance(0.7)) {
      const recipient = this.random.pick(this.peers);
      const text = `${this.clientId}#${this.seq + 1}`;
      const result = await this.call("send", { recipient, text }, (service, caller) => service.sendMessage(caller, recipient, text));
      if (result.error?.startsWith("UNAUTHENTICATED")) this.token = null;
      return;
    }
    const result = await this.call("readNew", {}, (service, caller) => service.readNewMessages(caller, 5));
    if (result.error?.startsWith("UNAUTHENTICATED")) this.token = null;
  }

  /** One operation with the client library's retries; records it and returns its outcome. */
  private async call<T>(kind: HistoryEntry["kind"], detail: Partial<HistoryEntry>, attempt: Attempt<T>) {
    this.seq += 1;
    const caller: Caller = { request: { clientId: this.clientId, seq: this.seq }, ...(this.token ? { token: this.token } : {}) };
    const invokedAt = this.world.nowMs();
    const entry: HistoryEntry = { client: this.clientId, user: this.name, kind, invokedAt, completedAt: invokedAt, outcome: "unknown", ...detail };
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
        entry.outcome = "ok";
        value = answer.value;
        break;
      }
      if (answer.kind === "definite") {
        entry.outcome = "fail";
        entry.error = answer.error;
        break;
      }
      this.target = answer.redirect ?? this.random.pick(this.world.replicaIds());
      await this.pause();
    }
    entry.completedAt = this.world.nowMs();
    if (entry.outcome === "ok" && kind === "send") entry.id = (value as { id: number }).id;
    if (entry.outcome === "ok" && kind === "readNew") entry.ids = (value as { messages: { id: number }[] }).messages.map((message) => message.id);
    this.world.record(entry);
    return { outcome: entry.outcome, value, error: entry.error };
  }

  /** The answer of one attempt, or "retry" after the call timeout (the abandoned call may still complete). */
  private withTimeout<T>(pending: Promise<T>): Promise<{ kind: "ok"; value: T } | { kind: "definite"; error: string } | { kind: "retry"; redirect?: number }> {
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

/** What the client library makes of an error: a definite answer, or a reason to retry; null for a bug. */
function classify(error: unknown): { kind: "definite"; error: string } | { kind: "retry"; redirect?: number } | null {
  if (error instanceof ChatError) return { kind: "definite", error: `${error.code}: ${error.message}` };
  if (error instanceof NotLeaderError) return { kind: "retry", redirect: replicaIdOf(error.leaderAddress) };
  if (error instanceof OverloadedError) return { kind: "retry" };
  return null;
}

/** Simulated replicas are addressed "sim:<id>". */
function replicaIdOf(address: string | null): number | undefined {
  const match = address ? /^sim:(\d+)$/.exec(address) : null;
  return match ? Number(match[1]) : undefined;
}
