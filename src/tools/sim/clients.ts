// Simulated clients of the consensus simulator. Writers do what the chat
// service does for a write: pass the leader's write barrier, check the
// state (which must hold every write committed in an earlier term), then propose
// {clientId, seq} through the driver (RaftNode.propose); they retry the same
// (clientId, seq) elsewhere after a refusal or a timeout. A write is
// acknowledged when a driver answers it, and only then is the next seq started. Readers pass a leader's read barrier
// (RaftNode.readBarrier, batched ReadIndex) and check that the state they
// then read reflects every write acknowledged before the read began
// (linearizability).

import { NotLeaderError, OverloadedError } from "../../log/errors.ts";
import type { NodeId } from "../../log/raft/index.ts";
import { idOfAddress, type SimDriver } from "./node.ts";
import type { SimRandom } from "./random.ts";
import { SimViolation, type ClientCommand, type ToyResult, type ToyStateMachine } from "./state-machine.ts";

/** Default ticks a writer waits for an answer before retrying the same command elsewhere. */
export const clientRetryTicksDefault = 25;
/** Share of reads sent to a random node instead of the presumed leader (finds deposed leaders). */
const readRandomTargetShare = 0.3;
/**
 * Retry timeouts double up to this factor: a client that re-proposes at a fixed
 * short interval into a slow cluster grows the log faster than it commits
 * (found by seed 2, 5 nodes: congestion collapse in the liveness phase).
 */
const retryBackoffFactorMax = 8;
/** Ticks a writer waits after a refusal before trying again. */
export const clientBackoffTicks = 2;

/** What clients need from the cluster; the runner implements it. */
export interface ClientPort {
  nodeIds: readonly NodeId[];
  nowTicks(): number;
  /** The node's driver when a request sent now reaches it (up, not paused); null when the request is lost. */
  driver(node: NodeId): SimDriver | null;
  stateMachine(node: NodeId): ToyStateMachine | undefined;
  /** A broken invariant noticed in an answer's callback: the run fails with it. */
  fail(error: Error): void;
}

interface PendingProposal {
  node: NodeId;
  sentAt: number;
}

export class Writer {
  seq = 0;
  acked = 0;
  waiting = false;
  target: NodeId;
  pending: PendingProposal | null = null;
  nextTryAt = 0;
  private timeoutTicks: number;
  /** The term of the entry that carried each acknowledged seq (acks[seq - 1]). */
  private readonly ackTerms: number[] = [];

  constructor(
    readonly clientId: string,
    private readonly random: SimRandom,
    private readonly port: ClientPort,
    private readonly retryTicks = clientRetryTicksDefault,
  ) {
    this.timeoutTicks = retryTicks;
    this.target = random.pick(port.nodeIds);
  }

  /** Starts the next command if idle (with the given chance), or retries the current one when due. */
  step(now: number, startChance: number): void {
    if (!this.waiting) {
      if (!this.random.chance(startChance)) return;
      this.seq++;
      this.waiting = true;
      this.pending = null;
      this.nextTryAt = now;
    }
    if (this.pending && now - this.pending.sentAt >= this.timeoutTicks) {
      this.pending = null;
      this.timeoutTicks = Math.min(this.timeoutTicks * 2, this.retryTicks * retryBackoffFactorMax);
    }
    if (!this.pending && now >= this.nextTryAt) this.attempt(now);
  }

  private attempt(now: number): void {
    const node = this.target;
    const driver = this.port.driver(node);
    if (!driver) {
      this.retryLater(now, undefined);
      return;
    }
    const seq = this.seq;
    const command: ClientCommand = { clientId: this.clientId, seq };
    this.pending = { node, sentAt: now };
    // The term the barrier was asked in (it refuses a follower): a leader deposed while its barrier
    // waited may see it resolve later, and its state then answers for that term, not the new one
    // (seed 11683: the propose that follows is refused; found by a run of 20,000 seeds).
    const term = driver.view.currentTerm;
    new Promise<void>((resolve) => resolve(driver.writeBarrier()))
      .then(() => {
        this.checkBarrier(node, term);
        return driver.propose(JSON.stringify(command));
      })
      .then(
        (result) => this.onAnswer(node, seq, result),
        (error: unknown) => this.onRefused(seq, error),
      );
  }

  /**
   * Past the write barrier, the state of a leader of `term` holds every write
   * committed in an earlier term (Leader Completeness, then its own no-op
   * applied): the chat service checks a write against that state.
   */
  private checkBarrier(node: NodeId, term: number): void {
    const stateMachine = this.port.stateMachine(node);
    if (!stateMachine) return; // crashed since: the proposal that follows fails
    const seen = stateMachine.lastSeq.get(this.clientId) ?? 0;
    const mustSee = this.ackTerms.findLastIndex((ackTerm) => ackTerm < term) + 1;
    if (seen < mustSee) {
      this.port.fail(
        new SimViolation(
          "a leader's write barrier sees every write of earlier terms",
          `node ${node}, leader of term ${term}, has ${this.clientId} up to ${seen}; ${mustSee} was acknowledged in term ${this.ackTerms[mustSee - 1]}`,
        ),
      );
    }
  }

  /** Any attempt of the current seq that is answered acknowledges it: all carry the same command. */
  private onAnswer(node: NodeId, seq: number, result: ToyResult): void {
    if (!this.waiting || seq !== this.seq) return;
    if (result.seen < seq) {
      this.port.fail(
        new SimViolation("acknowledged writes are applied", `${this.clientId}:${seq} answered by node ${node}, which applied up to ${result.seen}`),
      );
      return;
    }
    this.acked = seq;
    this.ackTerms.push(result.term);
    this.timeoutTicks = this.retryTicks;
    this.waiting = false;
    this.pending = null;
  }

  private onRefused(seq: number, error: unknown): void {
    if (!this.waiting || seq !== this.seq) return;
    if (error instanceof NotLeaderError) this.retryLater(this.port.nowTicks(), idOfAddress(error.leaderAddress));
    else if (error instanceof OverloadedError) this.retryLater(this.port.nowTicks(), this.target);
    else this.port.fail(error instanceof Error ? error : new Error(String(error)));
  }

  private retryLater(now: number, hint: NodeId | undefined): void {
    this.pending = null;
    this.target = hint ?? this.random.pick(this.port.nodeIds);
    this.nextTryAt = now + clientBackoffTicks;
  }
}

export class Reader {
  private counter = 0;
  private target: NodeId;
  checked = 0;

  constructor(
    private readonly random: SimRandom,
    private readonly port: ClientPort,
    private readonly writers: readonly Writer[],
  ) {
    this.target = random.pick(port.nodeIds);
  }

  step(chance: number): void {
    if (!this.random.chance(chance)) return;
    const name = `read-${++this.counter}`;
    const ackedAtStart = new Map(this.writers.map((writer) => [writer.clientId, writer.acked]));
    const node = this.random.chance(readRandomTargetShare) ? this.random.pick(this.port.nodeIds) : this.target;
    const driver = this.port.driver(node);
    if (!driver) {
      this.target = this.random.pick(this.port.nodeIds);
      return;
    }
    let barrier: Promise<void>;
    try {
      barrier = driver.readBarrier();
    } catch (error) {
      this.onRefused(error);
      return;
    }
    barrier.then(
      () => this.check(name, node, ackedAtStart),
      (error: unknown) => this.onRefused(error),
    );
  }

  /** The read is served from the node's state now: it must see every write acknowledged before the read began. */
  private check(name: string, node: NodeId, ackedAtStart: ReadonlyMap<string, number>): void {
    const stateMachine = this.port.stateMachine(node);
    if (!stateMachine) return; // crashed before serving it: the client hears nothing
    for (const [clientId, acked] of ackedAtStart) {
      const seen = stateMachine.lastSeq.get(clientId) ?? 0;
      if (seen < acked) {
        this.port.fail(
          new SimViolation(
            "linearizable reads",
            `${name} on node ${node} at applied index ${stateMachine.appliedIndex} sees ${clientId}:${seen}, but ${acked} was acked before it began`,
          ),
        );
        return;
      }
    }
    this.checked++;
  }

  private onRefused(error: unknown): void {
    if (error instanceof NotLeaderError) this.target = idOfAddress(error.leaderAddress) ?? this.random.pick(this.port.nodeIds);
    else if (!(error instanceof OverloadedError)) this.port.fail(error instanceof Error ? error : new Error(String(error)));
  }
}
