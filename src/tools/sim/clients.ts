// Simulated clients. Writers propose {clientId, seq} to whichever node they
// think leads, and retry the same (clientId, seq) until the node that accepted
// it has applied it; only then is the write acknowledged and the next seq
// started. Readers issue ReadIndex requests and check that the answer reflects
// every write acknowledged before the read began (linearizability).

import type { Entry, NodeId, ProposeResult, ReadState } from "../../log/raft/index.ts";
import type { SimRandom } from "./random.ts";
import { SimViolation, type ClientCommand, type ToyStateMachine } from "./state-machine.ts";

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
/** Ticks a writer waits after a "not leader" before trying again. */
export const clientBackoffTicks = 2;

/** What clients need from the cluster; the runner implements it. */
export interface ClientPort {
  nodeIds: readonly NodeId[];
  /** undefined when the node is down (the request is lost). The node's Ready loop runs only at `settle`. */
  propose(node: NodeId, data: string): ProposeResult | undefined;
  /**
   * Runs the node's Ready loop. Separate from propose: a leader that is its
   * own majority commits and applies within that loop, and the writer must
   * know what it waits for before then, or it misses its own acknowledgement
   * (seed 42338 with 3 nodes, once a removal left the leader the only voter).
   */
  settle(node: NodeId): void;
  /** false when the node is down. */
  readIndex(node: NodeId, requestId: string): boolean;
  stateMachine(node: NodeId): ToyStateMachine | undefined;
}

interface PendingProposal {
  node: NodeId;
  index: number;
  term: number;
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
    const command: ClientCommand = { clientId: this.clientId, seq: this.seq };
    const result = this.port.propose(this.target, JSON.stringify(command));
    if (result?.accepted) {
      this.pending = { node: this.target, index: result.index, term: result.term, sentAt: now };
      this.port.settle(this.target);
      return;
    }
    if (result) this.port.settle(this.target);
    const hint = result && result.leaderId !== 0 ? result.leaderId : undefined;
    this.target = hint ?? this.random.pick(this.port.nodeIds);
    this.nextTryAt = now + clientBackoffTicks;
  }

  /** A node applied an entry: acknowledge if it is our pending proposal, retry if another entry took its slot. */
  onApplied(node: NodeId, entry: Entry, stateMachine: ToyStateMachine, now: number): boolean {
    const pending = this.pending;
    if (!this.waiting || !pending || pending.node !== node || pending.index !== entry.index) return false;
    if (entry.term !== pending.term) {
      this.pending = null;
      this.nextTryAt = now;
      return false;
    }
    if ((stateMachine.lastSeq.get(this.clientId) ?? 0) < this.seq) {
      throw new SimViolation("acknowledged writes are applied", `${this.clientId}:${this.seq} acked by node ${node} but not in its state machine`);
    }
    this.acked = this.seq;
    this.timeoutTicks = this.retryTicks;
    this.waiting = false;
    this.pending = null;
    return true;
  }
}

interface PendingRead {
  requestId: string;
  node: NodeId;
  /** clientId -> highest acknowledged seq when the read was issued. */
  ackedAtStart: Map<string, number>;
  index: number;
}

export class Reader {
  private counter = 0;
  private target: NodeId;
  /** Reads confirmed by ReadIndex, waiting for the node to apply up to their index. */
  private waiting: PendingRead[] = [];
  private issued = new Map<string, PendingRead>();
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
    const requestId = `read-${++this.counter}`;
    const ackedAtStart = new Map(this.writers.map((writer) => [writer.clientId, writer.acked]));
    const node = this.random.chance(readRandomTargetShare) ? this.random.pick(this.port.nodeIds) : this.target;
    // Registered before the call: a node may answer within readIndex() itself.
    this.issued.set(requestId, { requestId, node, ackedAtStart, index: 0 });
    if (this.port.readIndex(node, requestId)) return;
    this.issued.delete(requestId);
    this.target = this.random.pick(this.port.nodeIds);
  }

  onReadState(node: NodeId, state: ReadState): void {
    const read = this.issued.get(state.requestId);
    if (!read || read.node !== node) return;
    this.issued.delete(state.requestId);
    if (!state.ok) {
      this.target = state.leaderId !== 0 ? state.leaderId : this.random.pick(this.port.nodeIds);
      return;
    }
    read.index = state.index;
    this.waiting.push(read);
    this.serveApplied(node);
  }

  /** Serves reads whose index the node has applied; each must see every write acked before it began. */
  serveApplied(node: NodeId): void {
    const stateMachine = this.port.stateMachine(node);
    if (!stateMachine) return;
    this.waiting = this.waiting.filter((read) => {
      if (read.node !== node || stateMachine.appliedIndex < read.index) return true;
      for (const [clientId, acked] of read.ackedAtStart) {
        const seen = stateMachine.lastSeq.get(clientId) ?? 0;
        if (seen < acked)
          throw new SimViolation(
            "linearizable reads",
            `${read.requestId} on node ${node} at index ${read.index} sees ${clientId}:${seen}, but ${acked} was acked before it began`,
          );
      }
      this.checked++;
      return false;
    });
  }

  /** A crash loses the node's in-memory read queue. */
  onCrash(node: NodeId): void {
    this.waiting = this.waiting.filter((read) => read.node !== node);
    for (const [requestId, read] of this.issued) if (read.node === node) this.issued.delete(requestId);
  }
}
