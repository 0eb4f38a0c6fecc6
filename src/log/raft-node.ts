/**
 * The replica node: drives the deterministic consensus core with a clock,
 * SQLite and the network. For every Ready it persists (one fsynced
 * transaction), then sends, then applies, then serves reads, then advances
 * (a steady leader sends before it persists; a steady follower applies at
 * its next tick). Proposals that arrive in one turn of the event loop share that Ready:
 * one append, one fsync, one ReplicateOperation per follower.
 */
import { appendBatchEntriesMax, applyBacklogEntriesMax, pendingProposalsMax, queuedReadsMax, slowFsyncWarnMs } from "../limits.ts";
import type { Logger } from "../logger.ts";
import { processClock, type DriverClock, type RaftTiming } from "./driver-clock.ts";
import { addressOf, MembershipOperations, membershipOf, membersOf } from "./cluster-membership.ts";
import { MembershipChangeError, NotLeaderError, OverloadedError } from "./errors.ts";
import type { DriverLog } from "./driver-log.ts";
import type { DriverObserver } from "./driver-observer.ts";
import type { Membership } from "./membership.ts";
import { assert } from "./raft/assert.ts";
import { RaftCore, type RaftOptions } from "./raft/core.ts";
import { membershipFromEntry } from "./raft/membership.ts";
import type { ConfChange, Entry, Message, MessageType, NodeId, ReadState, Ready, SnapshotMessage, SnapshotMeta, SoftState } from "./raft/types.ts";
import type { LeaderInfo, ReplicaInfo, ReplicaNode, StateMachine } from "./replica-node.ts";
import type { IncomingSnapshot, OutgoingSnapshot, SnapshotEnvelope, SnapshotPort } from "./snapshot-port.ts";
import { stageTimings } from "./stage-timings.ts";

/** Log length past which a replica compacts its log (entries since the last compaction), by default. */
export const compactionEntriesMaxDefault = 50_000;
/** Entries kept after the compaction point, so a follower slightly behind still gets entries, by default. */
export const compactionTailEntriesDefault = 5_000;

export interface CompactionBounds {
  entriesMax: number;
  tailEntries: number;
}
/** A tick this late is logged as an event-loop stall. */
export const eventLoopStallWarnMs = 100;

export interface RaftNodeOptions<Result, Outgoing extends OutgoingSnapshot, Incoming extends IncomingSnapshot> {
  self: ReplicaInfo;
  /** The log, with the founding entry already written if this server founded the cluster (src/log/identity.ts). */
  log: DriverLog;
  machine: StateMachine<Result>;
  timing: RaftTiming;
  /** Ticks, batching turns and time for reports (default: the process's timers). */
  clock?: DriverClock;
  random: () => number;
  /** Sends one message to a peer; answers come back through `step`. */
  send: (message: Message) => void;
  logger: Logger;
  /** Skip the first election timeout: a new cluster's initial leader, or a cluster of one. */
  campaignAtStart?: boolean;
  snapshots: SnapshotPort<Outgoing, Incoming>;
  compaction?: CompactionBounds;
  /** The membership changed: peers to talk to now (this replica excluded). */
  onMembership?: (peers: Map<NodeId, string>) => void;
  /**
   * The node cannot go on: a broken invariant in the core or a failed write
   * to the log. The node has stopped (it touches nothing after this); the
   * replica logs it and exits, so the failure is loud and never a hang.
   */
  onFatal: (error: Error) => void;
  /** A committed config entry removed this server from the cluster; the node has stopped. */
  onRemoved?: (index: number) => void;
  /** Watches the Ready loop from inside (the simulator's invariant checks and crash points); none in a replica. */
  probe?: DriverProbe;
  /** Counts what the driver does (metrics, health); none in the simulator. */
  observer?: DriverObserver;
  /** Replication flow control (the simulator varies it to widen the interleavings); the core's defaults otherwise. */
  flowControl?: Pick<RaftOptions, "maxEntriesPerAppend" | "maxInflightAppends">;
}

/**
 * Called at each step of the Ready loop. A probe that throws stops the node
 * there, as a power cut at that point would: nothing after it runs, and
 * onFatal hears the error (the simulator's crashes are such throws).
 */
export interface DriverProbe {
  /** A Ready, before anything of it is persisted. */
  persisting(ready: Ready, core: CoreView): void;
  /** The Ready's entries and hard state are durable; nothing of it was sent yet. */
  persisted(ready: Ready, core: CoreView): void;
  /** One message of the Ready, before it leaves (or answers a waiting peer). */
  sending(message: Message, core: CoreView): void;
  /** Everything of the Ready was applied and answered; the core is told next. */
  advancing(ready: Ready, core: CoreView): void;
}

/** What may be read of the core from outside the driver: state, never a step. */
export type CoreView = Pick<
  RaftCore,
  | "currentRole"
  | "currentTerm"
  | "leader"
  | "commitIndex"
  | "lastIndex"
  | "appliedIndex"
  | "voterIds"
  | "termAt"
  | "entries"
  | "membership"
  | "snapshotMeta"
  | "progressOf"
  | "caughtUpLearner"
>;

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

/** What one replica says of itself (RaftNode.selfStatus). */
export interface SelfStatus {
  id: NodeId;
  address: string;
  /** The core's role; "stopped" once the node stopped (removed from the cluster). */
  role: string;
  term: number;
  leaderId: NodeId;
  leaderAddress: string;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  snapshotIndex: number;
  membershipRole: "voter" | "learner" | "none";
  /** Milliseconds since a leader last reached this replica; 0 on the leader, -1 when none has since start. */
  lastContactMs: number;
  members: { id: NodeId; address: string; role: string; matchIndex: number }[];
}

/** Entries one ReplicateOperation carries at most (its bytes are bounded by the core). */
export const replicateEntriesMax = 512;

/** Requests the core answers (a timeoutNow is answered by the call itself). */
const answeredTypes = new Set<MessageType>(["preVote", "vote", "append"]);

/**
 * `Outgoing` and `Incoming` are the state machine's own snapshot types: the
 * node hands them back to its caller (the transport streams and fills them)
 * but needs of them only what src/log/snapshot-port.ts declares.
 */
export class RaftNode<Result, Outgoing extends OutgoingSnapshot = OutgoingSnapshot, Incoming extends IncomingSnapshot = IncomingSnapshot>
  implements ReplicaNode<Result>
{
  private readonly core: RaftCore;
  private readonly operations: MembershipOperations;
  private readonly proposals = new Map<number, PendingProposal<Result>>();
  /** Proposals of this turn of the event loop, handed to the core together (group commit). */
  private queued: QueuedProposal<Result>[] = [];
  /** Reads waiting for the next ReadIndex request: this turn's, and those that came while one was in flight. */
  private readsQueued: PendingRead[] = [];
  /** The ReadIndex request in flight (at most one), standing for every read it carries. */
  private readonly reads = new Map<string, PendingRead>();
  /** Reads confirmed at an index the state machine has not applied yet. */
  private readonly readsAwaitingApply: { index: number; read: PendingRead }[] = [];
  private readonly leadershipListeners = new Set<() => void>();
  /** Peer requests stepped and waiting for their answer from the next Ready, by the requestId they were stepped with. */
  private readonly awaitingAnswers = new Map<number, (answer: Message | null) => void>();
  private nextRequestId = 1;
  private nextReadId = 1;
  private readyScheduled = false;
  /** A Ready's appends were sent and its persist waits for the next turn (see sendsBeforePersisting). */
  private readyInFlight = false;
  /**
   * Committed entries a follower has handed back to the core (advance) but
   * not yet applied; applied in order at the next tick, before any other
   * apply, and before anything that reads the tables. The first Ready of any
   * role change applies it, so a leader has none once it acts as one.
   */
  private applyBacklog: Entry[] = [];
  private stopTicking: (() => void) | null = null;
  private readonly clock: DriverClock;
  private softState: SoftState = { leaderId: 0, role: "follower" };
  /** This node campaigns at once at start: its first election is not a timeout (see roleChangeReason). */
  private campaignsAtStart = false;
  /** Set by close(): nothing touches the log or the state machine after it. */
  private closed = false;
  /** Followers a snapshot is streaming to now: one transfer per follower at a time. */
  private readonly snapshotsInFlight = new Set<NodeId>();
  /** The snapshot being received now, if any. */
  private incomingSnapshot: Incoming | null = null;
  private lastTickAt: number;
  /** The applied membership names this server: a config entry applied later without it is a removal. */
  private wasMember = false;
  /** When a leader last sent this replica entries or a heartbeat (for operators); null: never since start. */
  private lastLeaderContactAt: number | null = null;

  constructor(private readonly options: RaftNodeOptions<Result, Outgoing, Incoming>) {
    this.clock = options.clock ?? processClock;
    this.lastTickAt = this.clock.now();
    this.core = new RaftCore({
      id: options.self.id,
      storage: options.log,
      hardState: options.log.hardState(),
      applied: options.machine.appliedIndex(),
      random: options.random,
      electionTicks: options.timing.electionTicks,
      heartbeatTicks: options.timing.heartbeatTicks,
      maxEntriesPerAppend: replicateEntriesMax,
      ...options.flowControl,
    });
    this.operations = new MembershipOperations({
      core: this.core,
      self: options.self,
      timing: options.timing,
      logger: options.logger,
      clock: this.clock,
      appliedIndex: () => options.machine.appliedIndex(),
      snapshotIndex: () => options.log.snapshot().index,
      change: (change) => this.changeMembership(change),
      scheduleReady: () => this.scheduleReady(),
    });
    // As of the applied state, not the log's latest config: a restart re-applies the entries after it, in order.
    this.wasMember = options.machine.appliedMembershipIncludes(options.self.id);
    this.announceMembership();
    this.processReady(); // entries committed before a restart but not yet applied
    const { voters } = this.core.membership();
    const alone = voters.length === 1 && voters[0] === options.self.id;
    if (options.campaignAtStart || alone) {
      this.campaignsAtStart = true;
      this.fastForwardElectionTimeout();
    }
    this.stopTicking = this.clock.every(options.timing.tickMs, () => this.onTick());
  }

  /**
   * Runs driver work that steps the core or writes the log. A throw there
   * leaves the core and the disk out of step, so the node stops at once and
   * says why (never a silent hang with every write timing out).
   */
  private guarded(work: () => void): void {
    if (this.closed) return;
    try {
      work();
    } catch (error) {
      this.stopForGood();
      this.options.logger.error("fatal: the replica cannot go on", { error: error as Error });
      this.options.onFatal(error as Error);
    }
  }

  private stopForGood(): void {
    this.closed = true;
    this.stopTicking?.();
    this.stopTicking = null;
    this.failPending(new NotLeaderError(null));
    this.settleUnanswered();
  }

  private onTick(): void {
    this.guarded(() => this.tickOnce());
  }

  private tickOnce(): void {
    const now = this.clock.now();
    const late = now - this.lastTickAt - this.options.timing.tickMs;
    this.lastTickAt = now;
    // A stalled event loop delays heartbeats and answers: say so, it explains latency spikes and elections.
    if (late > eventLoopStallWarnMs) this.options.logger.warn("event loop stalled", { ms: Math.round(late) });
    this.options.observer?.ticked(Math.max(0, late) / 1000);
    this.applyBacklogNow();
    this.core.tick();
    if (this.core.currentRole === "leader") this.operations.promoteCaughtUpLearners();
    else this.operations.reportCatchUp();
    this.processReady();
  }

  propose(payload: string): Promise<Result> {
    if (this.proposals.size + this.queued.length >= pendingProposalsMax) {
      return Promise.reject(new OverloadedError(`${pendingProposalsMax} writes waiting`));
    }
    if (!this.leading()) return Promise.reject(new NotLeaderError(this.addressOf(this.core.leader)));
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
      this.options.observer?.proposed(batch.length, proposed.accepted ? 0 : batch.length);
      if (!proposed.accepted) {
        const error =
          proposed.reason === "tooManyUncommitted" ? new OverloadedError("log too far ahead of commit") : new NotLeaderError(this.addressOf(proposed.leaderId));
        for (const proposal of batch) proposal.reject(error);
        continue;
      }
      batch.forEach((proposal, offset) => {
        this.proposals.set(proposed.index + offset, { term: proposed.term, resolve: proposal.resolve, reject: proposal.reject });
      });
    }
  }

  assertLeader(): void {
    if (!this.leading()) throw new NotLeaderError(this.addressOf(this.core.leader));
  }

  /** A stopped node leads nothing, whatever its core last said. */
  private leading(): boolean {
    return !this.closed && this.core.currentRole === "leader";
  }

  /**
   * Resolves once this leader has applied the no-op that opened its term, so
   * its tables hold every write a predecessor acknowledged. The core knows
   * that index from the moment it became leader, in the same step.
   */
  writeBarrier(): Promise<void> {
    this.assertLeader();
    const termStart = this.core.termStartIndex;
    // The core hands out the no-op only once committed, and a leader applies what it is handed at
    // once (a follower's backlog first), so the core answers once the no-op is in; the machine (a
    // query) only until then.
    if (this.core.appliedIndex >= termStart || this.options.machine.appliedIndex() >= termStart) return Promise.resolve();
    // Not applied, so not compacted either: the entry there must be this leader's own.
    assert(this.core.termAt(termStart) === this.core.currentTerm, `leader of term ${this.core.currentTerm} has no own no-op at ${termStart}`);
    return new Promise<void>((resolve, reject) => {
      this.readsAwaitingApply.push({ index: termStart, read: { resolve, reject } });
      this.readsAwaitingApply.sort((a, b) => a.index - b.index);
    });
  }

  /** ReadIndex: resolves once this leader has confirmed it leads and applied the commit index it saw. */
  readBarrier(): Promise<void> {
    this.assertLeader();
    if (this.readsQueued.length >= queuedReadsMax) return Promise.reject(new OverloadedError(`${queuedReadsMax} reads waiting`));
    return new Promise<void>((resolve, reject) => {
      this.readsQueued.push({ resolve, reject });
      this.scheduleReady();
    });
  }

  /**
   * Hands the queued reads to the core as one ReadIndex request, so one
   * heartbeat round confirms them all (dissertation §6.4 batches reads).
   * A read that comes while a request is in flight cannot share its round
   * (the round must be sent after the read arrived), so it waits for the
   * next one: at most one round is in flight, however many reads come.
   */
  private requestQueuedReads(): void {
    if (this.readsQueued.length === 0 || this.reads.size > 0) return;
    const batch = this.readsQueued.splice(0);
    const requestId = String(this.nextReadId++);
    this.reads.set(requestId, {
      resolve: () => {
        for (const read of batch) read.resolve();
      },
      reject: (error) => {
        for (const read of batch) read.reject(error);
      },
    });
    this.core.readIndex(requestId);
  }

  leaderInfo(): LeaderInfo {
    const leaderId = this.core.leader;
    return {
      leaderId,
      leaderAddress: this.addressOf(leaderId) ?? "",
      term: this.core.currentTerm,
      replicas: membersOf(this.core).map(({ id, address }) => ({ id, address })),
      selfId: this.options.self.id,
    };
  }

  /** The core's state, read-only (status pages, the simulator's invariant checks). */
  get view(): CoreView {
    return this.core;
  }

  /** Runs `listener` whenever this replica stops being the leader. */
  onLeadershipLost(listener: () => void): () => void {
    this.leadershipListeners.add(listener);
    return () => this.leadershipListeners.delete(listener);
  }

  /** A peer's answer to one of our messages. */
  step(message: Message): void {
    if (message.to !== this.options.self.id) return;
    const commitBefore = this.core.commitIndex;
    this.guarded(() => this.core.step(message));
    if (this.core.commitIndex > commitBefore) stageTimings.mark("replicate"); // a majority has the entry
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
    if (message.type === "append" && message.term >= this.core.currentTerm) this.lastLeaderContactAt = this.clock.now();
    const requestId = this.nextRequestId++;
    this.guarded(() => this.core.step({ ...message, requestId }));
    if (this.closed) return Promise.resolve(null);
    if (!answeredTypes.has(message.type)) {
      this.scheduleReady();
      return Promise.resolve(null);
    }
    const received = stageTimings.start();
    return new Promise((resolve) => {
      this.awaitingAnswers.set(requestId, (answer) => {
        stageTimings.duration(`follower: ${message.type} received to answered`, received);
        resolve(answer);
      });
      this.scheduleReady();
    });
  }

  async close(): Promise<void> {
    this.guarded(() => this.applyBacklogNow());
    this.stopForGood();
  }

  /**
   * Ticks until this follower's election timeout fires. Only skips waiting:
   * the campaign itself follows every rule (pre-vote, then a vote).
   */
  private fastForwardElectionTimeout(): void {
    const ticksMax = 4 * this.options.timing.electionTicks * Math.max(1, this.core.membership().voters.length);
    for (let tick = 0; tick < ticksMax && this.core.currentRole === "follower"; tick++) this.core.tick();
    this.processReady();
  }

  private scheduleReady(): void {
    if (this.readyScheduled) return;
    this.readyScheduled = true;
    this.clock.soon(() => {
      this.readyScheduled = false;
      this.processReady();
    });
  }

  /** Drains the core's Ready batches: persist, then send (or answer waiting peers), then apply. */
  private processReady(): void {
    this.guarded(() => this.drainReady());
  }

  private drainReady(): void {
    this.proposeQueued();
    this.requestQueuedReads();
    // A Ready whose appends left before its persist finishes in a later turn; the core hands out no other until then.
    if (this.readyInFlight) return;
    while (this.core.hasReady()) {
      const ready = this.core.ready();
      if (ready.entries.length > 0) stageTimings.mark("append");
      if (this.sendsBeforePersisting(ready)) {
        this.readyInFlight = true;
        this.options.probe?.persisting(ready, this.core);
        this.sendMessages(ready);
        // The appends are on the wire only once this turn ends (grpc-js writes then): the fsync
        // runs in the next turn, while the followers write theirs.
        this.clock.soon(() =>
          this.guarded(() => {
            this.readyInFlight = false;
            if (!this.finishReady(ready, false)) return;
            this.drainReady();
          }),
        );
        return;
      }
      this.options.probe?.persisting(ready, this.core);
      this.persist(ready);
      this.sendMessages(ready);
      if (!this.finishReady(ready, true)) return;
    }
    this.settleUnanswered();
  }

  /**
   * A steady leader's appends may leave before its own copy is durable
   * (dissertation §10.2.1; etcd does the same): the core counts the leader
   * toward a commit only at advance(), after the persist. Anything that
   * promises something (a vote, an answer to a peer, a new term or vote, a
   * role change) or that the transport must learn first (a membership
   * change, a snapshot) waits for the fsync as usual.
   */
  private sendsBeforePersisting(ready: Ready): boolean {
    if (this.core.currentRole !== "leader" || ready.softState || ready.snapshot || ready.membership) return false;
    if (ready.entries.length === 0 || ready.messages.length === 0) return false;
    if (ready.hardState) {
      const durable = this.options.log.hardState();
      if (ready.hardState.term !== durable.term || ready.hardState.vote !== durable.vote) return false;
    }
    return ready.messages.every((message) => message.type === "append" && message.requestId === undefined);
  }

  /** One fsynced transaction for the Ready's entries, hard state and snapshot. */
  private persist(ready: Ready): void {
    const persistStarted = stageTimings.start();
    // One clock read before and one after each batch of writes (group commit), not per write: for the fsync histogram and the slow-fsync line.
    const startedAt = this.clock.now();
    if (ready.snapshot) this.options.log.persistSnapshot(ready.snapshot, ready.entries, ready.hardState);
    else if (ready.hardState || ready.entries.length > 0) this.options.log.persist(ready.entries, ready.hardState);
    const persistMs = this.clock.now() - startedAt;
    if (ready.hardState || ready.entries.length > 0) this.options.observer?.persisted(ready.entries.length, persistMs / 1000);
    // A slow disk delays every write and, past an election timeout, the heartbeats: the operator should see it.
    if (persistMs > slowFsyncWarnMs) this.options.logger.warn("slow fsync", { ms: Math.round(persistMs), entries: ready.entries.length });
    if (ready.entries.length > 0) {
      stageTimings.mark("fsync");
      stageTimings.duration(`${this.core.currentRole}: log append and fsync`, persistStarted);
    }
    this.options.probe?.persisted(ready, this.core);
    if (ready.membership) this.announceMembership();
  }

  private sendMessages(ready: Ready): void {
    for (const message of ready.messages) {
      this.options.probe?.sending(message, this.core);
      if (message.type === "snapshot") this.shipSnapshot(message);
      else if (!this.answerWaitingPeer(message)) this.options.send(message);
    }
  }

  /**
   * Applies, serves reads and advances the core; persists first when the
   * Ready's messages already left. False when the node stopped on the way
   * (removed by what it applied).
   */
  private finishReady(ready: Ready, persisted: boolean): boolean {
    if (!persisted) this.persist(ready);
    this.applyCommitted(ready);
    if (this.closed) return false;
    // After apply: a leader that commits its own removal steps down in the same Ready, and the
    // removal it committed must be answered as done, not failed with the rest.
    if (ready.softState) this.onSoftState(ready.softState);
    for (const readState of ready.readStates) this.onReadState(readState);
    this.options.probe?.advancing(ready, this.core);
    this.core.advance();
    this.requestQueuedReads(); // the request in flight may have ended: the next goes out now
    return true;
  }

  /** An answer the core tagged with a waiting call's requestId goes back as that call's reply, untagged. */
  private answerWaitingPeer(message: Message): boolean {
    if (message.requestId === undefined) return false;
    const resolve = this.awaitingAnswers.get(message.requestId);
    if (!resolve) return false;
    this.awaitingAnswers.delete(message.requestId);
    const { requestId: _local, ...answer } = message;
    resolve(answer as Message);
    return true;
  }

  /** Requests the core produced no answer for were ignored (a stale term, a lease): their calls hear so. */
  private settleUnanswered(): void {
    for (const resolve of this.awaitingAnswers.values()) resolve(null);
    this.awaitingAnswers.clear();
  }

  /**
   * A steady follower only queues the entries (applyBacklogEntriesMax says
   * why); any other Ready, a role change above all, applies the backlog and
   * its own entries at once. A config entry is applied at once too, so a
   * removal stops this server without delay.
   */
  private applyCommitted(ready: Ready): void {
    const entries = ready.committedEntries;
    this.applyBacklog.push(...entries);
    const defer =
      this.core.currentRole === "follower" &&
      !ready.softState &&
      this.applyBacklog.length < applyBacklogEntriesMax &&
      entries.every((entry) => entry.type !== "config");
    if (!defer) this.applyBacklogNow();
  }

  private applyBacklogNow(): void {
    if (this.applyBacklog.length === 0) return;
    const entries = this.applyBacklog;
    this.applyBacklog = [];
    this.apply(entries);
  }

  private apply(entries: Entry[]): void {
    stageTimings.mark("commit");
    const applyStarted = stageTimings.start();
    const results = this.options.machine.apply(entries);
    stageTimings.mark("apply");
    stageTimings.duration(`${this.core.currentRole}: apply`, applyStarted);
    entries.forEach((entry, offset) => {
      const pending = this.proposals.get(entry.index);
      if (!pending) return;
      this.proposals.delete(entry.index);
      // Another leader's entry took this index: ours was lost; the client retries with the same seq.
      if (pending.term === entry.term) pending.resolve(results[offset]!);
      else pending.reject(new NotLeaderError(this.addressOf(this.core.leader)));
    });
    const applied = entries[entries.length - 1]!.index;
    this.options.observer?.applied(entries.length, applied);
    this.noticeRemoval(entries);
    if (this.closed) return;
    while (this.readsAwaitingApply.length > 0 && this.readsAwaitingApply[0]!.index <= applied) {
      this.readsAwaitingApply.shift()!.read.resolve();
    }
    this.maybeCompact(applied);
  }

  /**
   * Leader: the index of the committed config that left `id` out, when `id`
   * (asking for votes, so it believes it is a voter) is no member; null
   * otherwise. A removed server may never receive the entry that removed it
   * (the leader stops replicating to it once the entry is appended), so the
   * leader tells it when it campaigns.
   */
  removedAt(id: NodeId): number | null {
    if (this.core.currentRole !== "leader") return null;
    const { voters, learners, configIndex } = this.core.membership();
    if (voters.includes(id) || learners.includes(id) || configIndex > this.core.commitIndex) return null;
    return configIndex;
  }

  /** The leader said this server is no member since `index` (see removedAt): it stops. */
  learnRemoval(index: number): void {
    if (this.closed) return;
    this.options.logger.warn("the leader says this server was removed from the cluster; stopping", { index });
    this.stopForGood();
    this.options.onRemoved?.(index);
  }

  /**
   * A committed config entry without this server, after one with it: the
   * cluster removed it. It stops (its answers were settled above), rather
   * than campaign in a cluster that ignores it. A joiner is never in a config
   * before the one that adds it, so it is never mistaken for removed.
   */
  private noticeRemoval(entries: readonly Entry[]): void {
    const self = this.options.self.id;
    for (const entry of entries) {
      if (entry.type !== "config") continue;
      const { voters, learners } = membershipFromEntry(entry);
      const member = voters.includes(self) || learners.includes(self);
      if (member) this.wasMember = true;
      else if (this.wasMember) {
        this.options.logger.warn("this server was removed from the cluster; stopping", { index: entry.index });
        this.stopForGood();
        this.options.onRemoved?.(entry.index);
        return;
      }
    }
  }

  /** Drops the log prefix once it passes the bound; the projections are the state up to `applied`. */
  private maybeCompact(applied: number): void {
    const log = this.options.log;
    const { entriesMax, tailEntries } = this.options.compaction ?? {
      entriesMax: compactionEntriesMaxDefault,
      tailEntries: compactionTailEntriesDefault,
    };
    const point = applied - tailEntries;
    if (log.lastIndex() - log.snapshot().index <= entriesMax || point <= log.snapshot().index) return;
    const started = this.clock.now();
    log.compact(point);
    this.options.logger.info("compacted the log", { upTo: point, ms: Math.round(this.clock.now() - started) });
  }

  private onReadState(readState: ReadState): void {
    const read = this.reads.get(readState.requestId);
    if (!read) return;
    this.reads.delete(readState.requestId);
    if (!readState.ok) {
      read.reject(new NotLeaderError(this.addressOf(readState.leaderId)));
      return;
    }
    this.applyBacklogNow();
    if (this.options.machine.appliedIndex() >= readState.index) {
      read.resolve();
      return;
    }
    this.readsAwaitingApply.push({ index: readState.index, read });
    this.readsAwaitingApply.sort((a, b) => a.index - b.index);
  }

  private onSoftState(softState: SoftState): void {
    const before = this.softState;
    const wasLeader = before.role === "leader";
    this.softState = softState;
    const why = roleChangeReason(before, softState, this.campaignsAtStart);
    this.campaignsAtStart = false;
    this.options.logger.info(`role ${softState.role}`, { term: this.core.currentTerm, leader: softState.leaderId, why });
    this.options.observer?.roleChanged(softState.role, softState.leaderId, this.core.currentTerm);
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
    for (const read of this.readsQueued.splice(0)) read.reject(error);
    for (const { read } of this.readsAwaitingApply.splice(0)) read.reject(error);
  }

  private addressOf(id: NodeId): string | null {
    return addressOf(this.core, id);
  }

  private announceMembership(): void {
    const peers = new Map<NodeId, string>();
    for (const member of membersOf(this.core)) if (member.id !== this.options.self.id) peers.set(member.id, member.address);
    this.options.onMembership?.(peers);
  }

  // ------------------------------------------------------------ snapshots

  /** Leader: a follower needs entries that were compacted away; stream it the state instead. */
  private shipSnapshot(message: SnapshotMessage): void {
    const to = message.to;
    if (this.snapshotsInFlight.has(to)) return;
    let reader: Outgoing;
    try {
      reader = this.options.snapshots.open();
    } catch (error) {
      this.options.logger.warn("cannot read a snapshot", { to, error: error as Error });
      this.core.reportSnapshot(to, "failed");
      return;
    }
    this.snapshotsInFlight.add(to);
    this.options.logger.info("sending a snapshot", { to, index: reader.header.index });
    const envelope = { from: this.options.self.id, to, term: message.term };
    const sentAt = this.clock.now();
    void this.options.snapshots.send(envelope, reader).then((answer) => {
      this.snapshotsInFlight.delete(to);
      const fields = { to, index: reader.header.index, ms: Math.round(this.clock.now() - sentAt) };
      if (answer) this.options.logger.info("snapshot sent", fields);
      else this.options.logger.warn("snapshot transfer failed; it is tried again", fields);
      this.options.observer?.snapshotTransferred("sent", answer !== null);
      if (this.closed) return;
      this.core.reportSnapshot(to, answer ? "finished" : "failed");
      if (answer) this.core.step(answer);
      this.scheduleReady();
    });
  }

  /** Follower: a snapshot starts arriving. Refused when it comes from a stale term. */
  beginSnapshot(envelope: SnapshotEnvelope, header: SnapshotMeta): Incoming {
    if (envelope.to !== this.options.self.id || envelope.term < this.core.currentTerm) {
      throw new Error(`snapshot from a stale term ${envelope.term} (now ${this.core.currentTerm})`);
    }
    // One transfer at a time: a newer one (a retry, a new leader) replaces an older one still streaming.
    this.incomingSnapshot?.abort();
    this.incomingSnapshot = this.options.snapshots.stage(header);
    return this.incomingSnapshot;
  }

  /**
   * Follower: the snapshot arrived whole and verified. If the core wants it,
   * it is swapped in durably first, then the core is told; either way the
   * core's answer goes back to the leader.
   */
  installSnapshot(envelope: SnapshotEnvelope, staging: Incoming): Message | null {
    const message: SnapshotMessage = { type: "snapshot", ...envelope, snapshot: staging.header };
    if (this.incomingSnapshot === staging) this.incomingSnapshot = null;
    if (this.closed) return null;
    const requestId = this.nextRequestId++;
    let answer: Message | null = null;
    this.awaitingAnswers.set(requestId, (reply) => (answer = reply));
    this.guarded(() => {
      this.applyBacklogNow(); // in order: the install replaces the tables as of the point
      if (this.core.snapshotWanted(message)) {
        this.options.snapshots.install(staging);
        this.options.logger.info("installed a snapshot", { index: staging.header.index });
        this.options.observer?.snapshotTransferred("received", true);
      } else {
        staging.abort();
      }
      this.core.step({ ...message, requestId });
    });
    this.processReady();
    return answer;
  }

  // ------------------------------------------------------------ membership

  /** Leader: proposes a membership change and resolves once it is committed. */
  private changeMembership(change: ConfChange): Promise<Membership> {
    const proposed = this.core.proposeConfChange(change);
    if (!proposed.accepted) {
      if (proposed.reason === "notLeader" || proposed.reason === "transferring") {
        return Promise.reject(new NotLeaderError(this.addressOf(proposed.leaderId)));
      }
      return Promise.reject(new MembershipChangeError(change, proposed.reason));
    }
    return new Promise<Membership>((resolve, reject) => {
      this.proposals.set(proposed.index, {
        term: proposed.term,
        resolve: () => resolve(membershipOf(this.core)),
        reject,
      });
      this.scheduleReady();
    });
  }

  addLearner(id: number, address: string): Promise<Membership> {
    return this.operations.addLearner(id, address);
  }

  removeServer(id: number): Promise<Membership> {
    return this.operations.removeServer(id);
  }

  transferLeader(id: number): Promise<{ leaderId: number; leaderAddress: string }> {
    return this.operations.transferLeader(id);
  }

  status() {
    return this.operations.status();
  }

  /** This replica's own state, for operators: any member answers it, leader or not (`admin status` asks each). */
  selfStatus(): SelfStatus {
    const core = this.core;
    const self = this.options.self;
    const { voters, learners } = core.membership();
    const leading = !this.closed && core.currentRole === "leader";
    const leaderId = this.closed ? 0 : core.leader;
    return {
      id: self.id,
      address: self.address,
      role: this.closed ? "stopped" : core.currentRole,
      term: core.currentTerm,
      leaderId,
      leaderAddress: this.addressOf(leaderId) ?? "",
      commitIndex: core.commitIndex,
      appliedIndex: this.options.machine.appliedIndex(),
      lastIndex: core.lastIndex,
      snapshotIndex: this.options.log.snapshot().index,
      membershipRole: voters.includes(self.id) ? "voter" : learners.includes(self.id) ? "learner" : "none",
      lastContactMs: leading ? 0 : this.lastLeaderContactAt === null ? -1 : Math.round(this.clock.now() - this.lastLeaderContactAt),
      members: membersOf(core).map(({ id, address, role }) => ({ id, address, role, matchIndex: 0 })),
    };
  }
}

/**
 * Why the role changed, in the operator's words: what started an election,
 * and why a leader stepped down (quorum lost, or a newer leader).
 */
export function roleChangeReason(before: SoftState, after: SoftState, campaignsAtStart: boolean): string {
  switch (after.role) {
    case "preCandidate":
      if (campaignsAtStart) return "campaigning at once at start (--initial_leader on an empty log, or the only voter)";
      if (before.role !== "follower") return "the last election ended without a leader: trying again";
      if (before.leaderId !== 0) return `election timeout: no word from leader ${before.leaderId} within the election timeout`;
      return "election timeout: no leader heard from";
    case "candidate":
      if (before.role === "preCandidate") return "pre-vote won: a majority would vote for this replica";
      if (before.role === "follower") return "the leader handed its leadership over (transfer): campaigning at once";
      return "the election ended without a winner: trying again";
    case "leader":
      return "won the election";
    default:
      if (before.role === "leader") {
        return after.leaderId === 0
          ? "stepped down: quorum lost, no majority heard from within an election timeout"
          : `stepped down: replica ${after.leaderId} leads a newer term`;
      }
      if (before.role === "preCandidate" || before.role === "candidate") {
        return after.leaderId === 0 ? "lost the election" : `replica ${after.leaderId} won the election`;
      }
      return after.leaderId === 0 ? "no leader known" : `following leader ${after.leaderId}`;
  }
}
