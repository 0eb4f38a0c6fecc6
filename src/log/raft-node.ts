/**
 * The replica node: drives the deterministic consensus core with a clock,
 * SQLite and the network. For every Ready it persists (one fsynced
 * transaction), then sends, then applies, then serves reads, then advances.
 * Proposals that arrive in one turn of the event loop share that Ready:
 * one append, one fsync, one ReplicateOperation per follower.
 */
import { appendBatchEntriesMax, pendingProposalsMax } from "../limits.ts";
import type { Logger } from "../logger.ts";
import { NotLeaderError, OverloadedError } from "./errors.ts";
import type { LogStore } from "./log-store.ts";
import { RaftCore } from "./raft/core.ts";
import type { Entry, Message, MessageType, NodeId, ReadState, Ready, SoftState } from "./raft/types.ts";
import { SqliteRaftStorage, toLogEntry } from "./raft-storage.ts";
import type { LeaderInfo, ReplicaInfo, ReplicaNode, StateMachine } from "./replica-node.ts";

export interface RaftTiming {
  tickMs: number;
  heartbeatTicks: number;
  electionTicks: number;
}

export interface RaftNodeOptions<Result> {
  self: ReplicaInfo;
  /** Every voter, this replica included. */
  replicas: ReplicaInfo[];
  log: LogStore;
  machine: StateMachine<Result>;
  timing: RaftTiming;
  random: () => number;
  /** Sends one message to a peer; answers come back through `step`. */
  send: (message: Message) => void;
  logger: Logger;
  /** Skip the first election timeout: a new cluster's initial leader, or a cluster of one. */
  campaignAtStart?: boolean;
}

interface PendingProposal<Result> {
  term: number;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

interface QueuedProposal<Result> {
  payload: string;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

interface PendingRead {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Entries one ReplicateOperation carries at most (its bytes are bounded by the core). */
export const replicateEntriesMax = 512;

/** The answer a request of each type gets, for matching a Ready's message to the RPC waiting for it. */
const answerType: Partial<Record<MessageType, MessageType>> = {
  preVote: "preVoteResponse",
  vote: "voteResponse",
  append: "appendResponse",
};

export class RaftNode<Result> implements ReplicaNode<Result> {
  private readonly core: RaftCore;
  private readonly storage: SqliteRaftStorage;
  private readonly proposals = new Map<number, PendingProposal<Result>>();
  /** Proposals of this turn of the event loop, handed to the core together (group commit). */
  private queued: QueuedProposal<Result>[] = [];
  private readonly reads = new Map<string, PendingRead>();
  /** Reads confirmed at an index the state machine has not applied yet. */
  private readonly readsAwaitingApply: { index: number; read: PendingRead }[] = [];
  private readonly leadershipListeners = new Set<() => void>();
  /** Peer requests stepped and waiting for their answer from the next Ready, oldest first. */
  private awaitingAnswers: { to: NodeId; type: MessageType; resolve: (answer: Message | null) => void }[] = [];
  private nextReadId = 1;
  private readyScheduled = false;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private softState: SoftState = { leaderId: 0, role: "follower" };
  /** Set by close(): nothing touches the log or the state machine after it. */
  private closed = false;

  constructor(private readonly options: RaftNodeOptions<Result>) {
    this.storage = new SqliteRaftStorage(options.log);
    this.core = new RaftCore({
      id: options.self.id,
      voters: options.replicas.map((replica) => replica.id),
      storage: this.storage,
      hardState: options.log.hardState(),
      applied: options.machine.appliedIndex(),
      random: options.random,
      electionTicks: options.timing.electionTicks,
      heartbeatTicks: options.timing.heartbeatTicks,
      maxEntriesPerAppend: replicateEntriesMax,
    });
    this.processReady(); // entries committed before a restart but not yet applied
    if (options.campaignAtStart || options.replicas.length === 1) this.fastForwardElectionTimeout();
    this.ticker = setInterval(() => {
      this.core.tick();
      this.processReady();
    }, options.timing.tickMs);
  }

  propose(payload: string): Promise<Result> {
    if (this.proposals.size + this.queued.length >= pendingProposalsMax) {
      return Promise.reject(new OverloadedError(`${pendingProposalsMax} writes waiting`));
    }
    if (this.core.currentRole !== "leader") return Promise.reject(new NotLeaderError(this.addressOf(this.core.leader)));
    return new Promise<Result>((resolve, reject) => {
      this.queued.push({ payload, resolve, reject });
      this.scheduleReady();
    });
  }

  /** Hands this turn's proposals to the core in batches: one append and one message per follower each. */
  private proposeQueued(): void {
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, appendBatchEntriesMax);
      const proposed = this.core.proposeBatch(batch.map((proposal) => proposal.payload));
      if (!proposed.accepted) {
        const error =
          proposed.reason === "tooManyUncommitted"
            ? new OverloadedError("log too far ahead of commit")
            : new NotLeaderError(this.addressOf(proposed.leaderId));
        for (const proposal of batch) proposal.reject(error);
        continue;
      }
      batch.forEach((proposal, offset) => {
        this.proposals.set(proposed.index + offset, { term: proposed.term, resolve: proposal.resolve, reject: proposal.reject });
      });
    }
  }

  assertLeader(): void {
    if (this.core.currentRole !== "leader") throw new NotLeaderError(this.addressOf(this.core.leader));
  }

  /** ReadIndex: resolves once this leader has confirmed it leads and applied the commit index it saw. */
  readBarrier(): Promise<void> {
    this.assertLeader();
    const requestId = String(this.nextReadId++);
    return new Promise<void>((resolve, reject) => {
      this.reads.set(requestId, { resolve, reject });
      this.core.readIndex(requestId);
      this.scheduleReady();
    });
  }

  leaderInfo(): LeaderInfo {
    const leaderId = this.core.leader;
    return {
      leaderId,
      leaderAddress: this.addressOf(leaderId) ?? "",
      term: this.core.currentTerm,
      replicas: this.options.replicas,
      selfId: this.options.self.id,
    };
  }

  /** Runs `listener` whenever this replica stops being the leader. */
  onLeadershipLost(listener: () => void): () => void {
    this.leadershipListeners.add(listener);
    return () => this.leadershipListeners.delete(listener);
  }

  /** A peer's answer to one of our messages. */
  step(message: Message): void {
    if (message.to !== this.options.self.id) return;
    this.core.step(message);
    this.scheduleReady();
  }

  /**
   * A peer's request. Requests that arrive in one turn of the event loop are
   * stepped together and share one Ready: one fsync answers them all. Each
   * is answered with the core's response to it, sent only after that Ready
   * was persisted; null when the core ignored the request.
   */
  handlePeerMessage(message: Message): Promise<Message | null> {
    if (message.to !== this.options.self.id || this.closed) return Promise.resolve(null);
    this.core.step(message);
    const type = answerType[message.type];
    if (!type) {
      this.scheduleReady();
      return Promise.resolve(null);
    }
    return new Promise((resolve) => {
      this.awaitingAnswers.push({ to: message.from, type, resolve });
      this.scheduleReady();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.failPending(new NotLeaderError(null));
    for (const waiting of this.awaitingAnswers.splice(0)) waiting.resolve(null);
  }

  /**
   * Ticks until this follower's election timeout fires. Only skips waiting:
   * the campaign itself follows every rule (pre-vote, then a vote).
   */
  private fastForwardElectionTimeout(): void {
    const ticksMax = 4 * this.options.timing.electionTicks * this.options.replicas.length;
    for (let tick = 0; tick < ticksMax && this.core.currentRole === "follower"; tick++) this.core.tick();
    this.processReady();
  }

  private scheduleReady(): void {
    if (this.readyScheduled) return;
    this.readyScheduled = true;
    setImmediate(() => {
      this.readyScheduled = false;
      this.processReady();
    });
  }

  /** Drains the core's Ready batches: persist, then send (or answer waiting peers), then apply. */
  private processReady(): void {
    if (this.closed) return;
    this.proposeQueued();
    while (this.core.hasReady()) {
      const ready = this.core.ready();
      if (ready.softState) this.onSoftState(ready.softState);
      if (ready.hardState || ready.entries.length > 0) this.storage.persist(ready.entries, ready.hardState);
      for (const message of ready.messages) {
        if (!this.answerWaitingPeer(message)) this.options.send(message);
      }
      this.apply(ready);
      for (const readState of ready.readStates) this.onReadState(readState);
      this.core.advance();
    }
    // Requests the core produced no answer for were ignored (a stale term, a lease).
    for (const waiting of this.awaitingAnswers.splice(0)) waiting.resolve(null);
  }

  private answerWaitingPeer(message: Message): boolean {
    const position = this.awaitingAnswers.findIndex((waiting) => waiting.to === message.to && waiting.type === message.type);
    if (position < 0) return false;
    this.awaitingAnswers.splice(position, 1)[0]!.resolve(message);
    return true;
  }

  private apply(ready: Ready): void {
    if (ready.committedEntries.length === 0) return;
    const entries: Entry[] = ready.committedEntries;
    const results = this.options.machine.apply(entries.map(toLogEntry));
    entries.forEach((entry, offset) => {
      const pending = this.proposals.get(entry.index);
      if (!pending) return;
      this.proposals.delete(entry.index);
      // Another leader's entry took this index: ours was lost; the client retries with the same seq.
      if (pending.term === entry.term) pending.resolve(results[offset]!);
      else pending.reject(new NotLeaderError(this.addressOf(this.core.leader)));
    });
    const applied = entries[entries.length - 1]!.index;
    while (this.readsAwaitingApply.length > 0 && this.readsAwaitingApply[0]!.index <= applied) {
      this.readsAwaitingApply.shift()!.read.resolve();
    }
  }

  private onReadState(readState: ReadState): void {
    const read = this.reads.get(readState.requestId);
    if (!read) return;
    this.reads.delete(readState.requestId);
    if (!readState.ok) return read.reject(new NotLeaderError(this.addressOf(readState.leaderId)));
    if (this.options.machine.appliedIndex() >= readState.index) return read.resolve();
    this.readsAwaitingApply.push({ index: readState.index, read });
    this.readsAwaitingApply.sort((a, b) => a.index - b.index);
  }

  private onSoftState(softState: SoftState): void {
    const wasLeader = this.softState.role === "leader";
    this.softState = softState;
    this.options.logger.info(`role ${softState.role}`, { term: this.core.currentTerm, leader: softState.leaderId });
    if (wasLeader && softState.role !== "leader") {
      // Outcomes are unknown now: the writes may still commit under the new
      // leader, so clients retry them there with the same seq.
      this.failPending(new NotLeaderError(this.addressOf(softState.leaderId)));
      for (const listener of this.leadershipListeners) listener();
    }
  }

  private failPending(error: Error): void {
    for (const proposal of this.queued.splice(0)) proposal.reject(error);
    for (const pending of this.proposals.values()) pending.reject(error);
    this.proposals.clear();
    for (const read of this.reads.values()) read.reject(error);
    this.reads.clear();
    for (const { read } of this.readsAwaitingApply.splice(0)) read.reject(error);
  }

  private addressOf(id: NodeId): string | null {
    return this.options.replicas.find((replica) => replica.id === id)?.address ?? null;
  }
}
