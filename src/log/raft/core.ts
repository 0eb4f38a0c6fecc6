// RaftCore: the Raft consensus algorithm as a deterministic state machine, in
// the shape of etcd-io/raft. Inputs: tick() (time), step(message), propose(),
// readIndex(), proposeConfChange(), transferLeadership(), reportSnapshot().
// Output: Ready batches (persist, then send, then apply), each acknowledged
// with advance(). No I/O, no clock, no global randomness.
//
// Membership (dissertation §4.1, single-server changes): a node uses the
// latest "config" entry in its log as soon as it is appended, else its
// snapshot's membership, else none. A new cluster's first voters are a config
// entry at index 1 (see bootstrapEntry), so membership always comes from
// durable storage: a node that knows none (a server waiting to be added)
// never campaigns. Learners get entries but count in no quorum and never
// campaign.
//
// Section references: "paper" = Ongaro & Ousterhout, "In Search of an
// Understandable Consensus Algorithm" (2014); "dissertation" = Ongaro,
// "Consensus: Bridging Theory and Practice" (2014).

import { assert } from "./assert.ts";
import {
  assertLimits,
  learnerPromotionLagEntries,
  defaultRankTicks,
  electionTicksDefault,
  heartbeatTicksDefault,
  maxBytesPerAppendDefault,
  maxCommittedEntriesPerReady,
  maxEntriesPerAppendDefault,
  maxInflightAppendsDefault,
  maxPendingReadsDefault,
  maxUncommittedEntriesDefault,
  type Limits,
} from "./constants.ts";
import { LogView } from "./log-view.ts";
import { ConfigTracker } from "./config-tracker.ts";
import { applyConfChange, copyMembership, sameMembership } from "./membership.ts";
import { LeaderState } from "./leader-state.ts";
import type { Progress } from "./progress.ts";
import { hasQuorum, majorityIndex, tallyVotes } from "./quorum.ts";
import {
  noNode,
  type AppendMessage,
  type AppendResponseMessage,
  type ConfChange,
  type Entry,
  type HardState,
  type LogStorage,
  type Membership,
  type Message,
  type NodeId,
  type PeerProgress,
  type PreVoteMessage,
  type ProposeResult,
  type ReadState,
  type Ready,
  type Role,
  type SnapshotMessage,
  type SnapshotMeta,
  type SoftState,
  type TimeoutNowMessage,
  type TransferResult,
  type VoteMessage,
} from "./types.ts";

export interface RaftOptions extends Partial<Limits> {
  id: NodeId;
  /** Durable log, as persisted by the driver from earlier Ready batches. */
  storage: LogStorage;
  /** Last persisted HardState ({term: 0, vote: 0, commit: 0} for a new node). */
  hardState: HardState;
  /** Index the state machine has applied durably; committed entries after it are handed out again. */
  applied: number;
  /** Seeded generator in [0, 1): the only source of chance (election timeout jitter). */
  random: () => number;
}

/** What ready() handed out, so advance() knows what became durable and applied. */
interface HandedOut {
  lastEntryIndex: number;
  lastEntryTerm: number;
  appliedTo: number;
  /** Index of the snapshot handed out in Ready.snapshot, 0 if none. */
  snapshotIndex: number;
}

type Outgoing = Message extends infer M ? (M extends Message ? Omit<M, "from" | "term"> & { term?: number } : never) : never;

export class RaftCore {
  readonly id: NodeId;
  private voters: NodeId[];
  private learners: NodeId[] = [];
  private config: Membership;
  /** Which membership the log establishes (dissertation §4.1). */
  private readonly configs: ConfigTracker;
  /** What only a leader keeps; null on every other role. */
  private lead: LeaderState | null = null;
  /** Follower: the highest commit index a leader has announced, even past our log (for progress reports only). */
  private leaderCommitSeen = 0;
  private readonly limits: Limits;
  private readonly random: () => number;
  private readonly log: LogView;

  // Persistent state (paper figure 2); reaches the disk through Ready.hardState.
  private term: number;
  private vote: NodeId;

  // Volatile state.
  private role: Role = "follower";
  private leaderId: NodeId = noNode;
  /** Ticks since the last valid leader contact (follower) or last check-quorum round (leader). */
  private electionElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** (Pre-)candidate only: answers received in the current campaign. */
  private votes = new Map<NodeId, boolean>();

  // Output buffers and Ready bookkeeping.
  private messages: Message[] = [];
  private readStates: ReadState[] = [];
  private lastSoftState: SoftState;
  private lastHardState: HardState;
  private lastMembership: Membership;
  private handedOut: HandedOut | null = null;
  /** The request being stepped, if the driver tagged it: its answer carries the same requestId. */
  private answering: { requestId: number; from: NodeId } | null = null;

  constructor(options: RaftOptions) {
    assert(options.id >= 1, "node ids start at 1");
    this.limits = resolveLimits(options);
    assertLimits(this.limits);
    this.id = options.id;
    this.random = options.random;
    this.term = options.hardState.term;
    this.vote = options.hardState.vote;
    this.log = new LogView(options.storage, options.hardState.commit, options.applied);
    this.configs = new ConfigTracker(this.log);
    this.config = this.configs.membership;
    this.voters = this.config.voters;
    this.learners = this.config.learners;
    this.lastMembership = this.config;
    this.lastSoftState = this.softState();
    this.lastHardState = this.hardState();
    this.becomeFollower(this.term, noNode);
  }

  // ---------------------------------------------------------------- queries

  softState(): SoftState {
    return { leaderId: this.leaderId, role: this.role };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  get currentTerm(): number {
    return this.term;
  }

  get currentRole(): Role {
    return this.role;
  }

  get leader(): NodeId {
    return this.leaderId;
  }

  get commitIndex(): number {
    return this.log.committed;
  }

  get appliedIndex(): number {
    return this.log.applied;
  }

  get lastIndex(): number {
    return this.log.lastIndex();
  }

  get voterIds(): readonly NodeId[] {
    return this.voters;
  }

  get learnerIds(): readonly NodeId[] {
    return this.learners;
  }

  /** The membership in use (latest config entry, committed or not; dissertation §4.1), with the members' addresses. */
  membership(): Membership {
    return copyMembership(this.config);
  }

  /** Addresses of the current members, from their config entry ("" when unknown). */
  membershipAddresses(): Record<NodeId, string> {
    return { ...this.config.addresses };
  }

  /** The snapshot the log starts after (index 0 when none); includes one accepted but not yet persisted. */
  snapshotMeta(): SnapshotMeta {
    return this.log.snapshot();
  }

  /** Leader only: what it knows of a member's log; the driver promotes a learner once `match` is close to lastIndex. */
  progressOf(id: NodeId): PeerProgress | undefined {
    const peer = this.lead?.progress.get(id);
    if (!peer) return undefined;
    return { match: peer.match, next: peer.next, state: peer.state, pendingSnapshot: peer.pendingSnapshot };
  }

  /**
   * Leader only: index of the no-op that opened this leader's term, known as
   * soon as step() or tick() made it leader; 0 on any other role. Until it
   * is applied, the state machine may lack writes a predecessor acknowledged.
   */
  get termStartIndex(): number {
    return this.lead?.termStart ?? 0;
  }

  /**
   * The highest commit index any leader has announced to this node: how far
   * the cluster is, for a catching-up server's progress report. Not a
   * commit index (this node has not verified those entries).
   */
  get announcedCommitIndex(): number {
    return Math.max(this.leaderCommitSeen, this.log.committed);
  }

  /**
   * Leader only: a learner that has caught up (dissertation §4.2.1): its log
   * is within learnerPromotionLagEntries of ours and holds at least the
   * config entry that made it a learner, so a silent joiner is never
   * promoted. The replica's membership operations and the simulator's admin
   * both promote by this one rule.
   */
  caughtUpLearner(): NodeId | undefined {
    if (!this.lead) return undefined;
    const caughtUp = Math.max(this.config.configIndex, this.log.lastIndex() - learnerPromotionLagEntries);
    return this.learners.find((id) => (this.lead!.progress.get(id)?.match ?? 0) >= caughtUp);
  }

  /** Leader only: the voter a leadership transfer is handing over to, 0 when none. */
  get transferee(): NodeId {
    return this.lead?.transferee ?? noNode;
  }

  /** Entries [lo, hiExclusive) this node retains (durable or not); for tools and tests. */
  entries(lo: number, hiExclusive: number): Entry[] {
    return this.log.slice(Math.max(lo, this.log.firstIndex()), Math.min(hiExclusive, this.log.lastIndex() + 1));
  }

  /**
   * Would step() install this snapshot now (newer than our commit, from a
   * current leader)? The driver checks this right before it swaps in the
   * streamed state, in the same turn as the step(); if false, it discards the
   * streamed state and still steps the message (the core answers it).
   */
  snapshotWanted(message: SnapshotMessage): boolean {
    if (message.to !== this.id || message.term < this.term) return false;
    if (message.term === this.term && this.role === "leader") return false;
    return message.snapshot.index > this.log.committed;
  }
  /** Term of the entry at index in this node's log (durable or not); undefined if absent. */
  termAt(index: number): number | undefined {
    return this.log.term(index);
  }

  /** Leader only: the peer's match index, for tests and metrics. */
  matchIndexOf(id: NodeId): number | undefined {
    return this.lead?.progress.get(id)?.match;
  }

  /** The leader's own state; only leader code paths ask for it. */
  private get leading(): LeaderState {
    assert(this.lead !== null, `node ${this.id} used leader state as a ${this.role}`);
    return this.lead;
  }

  // ---------------------------------------------------------------- inputs

  /** One unit of logical time. Followers and candidates count toward an election; leaders toward heartbeats. */
  tick(): void {
    if (this.role === "leader") this.tickLeader();
    else this.tickElection();
  }

  propose(data: string): ProposeResult {
    return this.proposeBatch([data]);
  }

  /**
   * Appends several commands at once and sends one Append per follower for
   * all of them (group commit). They take consecutive indexes from the one
   * returned; all are accepted or none.
   */
  proposeBatch(data: readonly string[]): ProposeResult {
    assert(data.length > 0, "an empty proposal batch");
    if (this.role !== "leader") return { accepted: false, reason: "notLeader", leaderId: this.leaderId };
    if (this.leading.transferee !== noNode) return { accepted: false, reason: "transferring", leaderId: this.leading.transferee };
    if (this.log.lastIndex() + data.length - this.log.committed > this.limits.maxUncommittedEntries) {
      return { accepted: false, reason: "tooManyUncommitted", leaderId: this.id };
    }
    const first = this.log.lastIndex() + 1;
    const entries: Entry[] = data.map((item, offset) => ({ index: first + offset, term: this.term, type: "command", data: item }));
    this.appendToLog(entries);
    for (const peer of this.peers()) this.sendPendingAppends(peer);
    return { accepted: true, index: first, term: this.term };
  }

  /**
   * One single-server membership change (dissertation §4.1), proposed as a
   * "config" entry holding the whole new membership; it takes effect on each
   * node as soon as that node appends it. Refused unless this leader has
   * committed an entry of its own term (Ongaro's 2015 single-server change bug; docs/safety-rules.md) and no
   * other change is uncommitted. New servers join as learners and are
   * promoted once caught up (§4.2.1).
   */
  proposeConfChange(change: ConfChange): ProposeResult {
    if (this.role !== "leader") return { accepted: false, reason: "notLeader", leaderId: this.leaderId };
    if (this.leading.transferee !== noNode) return { accepted: false, reason: "transferring", leaderId: this.leading.transferee };
    if (this.log.termOf(this.log.committed) !== this.term) return { accepted: false, reason: "ownTermNotCommitted", leaderId: this.id };
    if (this.config.configIndex > this.log.committed) return { accepted: false, reason: "changeInProgress", leaderId: this.id };
    const data = applyConfChange(this.config, change);
    if (!data) return { accepted: false, reason: "invalidChange", leaderId: this.id };
    if (this.log.lastIndex() + 1 - this.log.committed > this.limits.maxUncommittedEntries) {
      return { accepted: false, reason: "tooManyUncommitted", leaderId: this.id };
    }
    const index = this.log.lastIndex() + 1;
    this.appendToLog([{ index, term: this.term, type: "config", data: JSON.stringify(data) }]);
    for (const peer of this.peers()) this.sendPendingAppends(peer);
    // A smaller quorum may already cover more of the log (e.g. a lagging voter removed).
    this.advanceCommit();
    return { accepted: true, index, term: this.term };
  }

  /**
   * Leadership transfer (dissertation §3.10): stop accepting proposals, bring
   * `to` up to date, then tell it to campaign at once ("timeoutNow"). Given up
   * after an election timeout. A transfer to another target replaces this one.
   */
  transferLeadership(to: NodeId): TransferResult {
    if (this.role !== "leader") return { started: false, reason: "notLeader" };
    if (to === this.id) return { started: false, reason: "self" };
    if (!this.voters.includes(to)) return { started: false, reason: "notVoter" };
    const lead = this.leading;
    if (lead.transferee === to) return { started: true };
    lead.transferee = to;
    lead.transferElapsed = 0;
    if (lead.of(to).match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to, true);
    return { started: true };
  }

  /**
   * The driver's outcome of streaming a snapshot to `to` (leader only). Either
   * way the follower goes back to probing, paused until its next answer or
   * heartbeat reply: after "finished" from just past the snapshot, after
   * "failed" from its last known match (which sends a fresh snapshot if needed).
   */
  reportSnapshot(to: NodeId, status: "finished" | "failed"): void {
    if (this.role !== "leader") return;
    const peer = this.leading.progress.get(to);
    if (peer?.state !== "snapshot") return;
    const next = status === "finished" ? Math.max(peer.match, peer.pendingSnapshot) + 1 : peer.match + 1;
    peer.becomeProbe(next);
    peer.probeSent = true;
  }

  /** Linearizable read (dissertation §6.4). The answer arrives as a ReadState in a later Ready. */
  readIndex(requestId: string): void {
    if (!this.lead || this.lead.reads.isFull()) {
      this.readStates.push({ requestId, ok: false, leaderId: this.role === "leader" ? this.id : this.leaderId });
      return;
    }
    // A new leader does not know the commit index of its predecessor until it
    // commits an entry of its own term (dissertation §6.4 step 1).
    if (this.log.termOf(this.log.committed) !== this.term) {
      this.leading.reads.deferUntilOwnCommit(requestId);
      return;
    }
    this.leading.reads.add(requestId, this.log.committed);
    if (!(this.voters.length === 1 && this.voters[0] === this.id)) {
      this.broadcastHeartbeat();
      return;
    }
    // A single voter is its own majority: the round is confirmed as soon as it starts.
    this.leading.reads.startRound();
    this.confirmReads();
  }

  step(message: Message): void {
    assert(message.to === this.id, `message for ${message.to} stepped into ${this.id}`);
    this.answering = message.requestId === undefined ? null : { requestId: message.requestId, from: message.from };
    try {
      this.stepMessage(message);
    } finally {
      this.answering = null;
    }
  }

  private stepMessage(message: Message): void {
    // Vote requests are heard whoever sends them, as Raft's RequestVote receiver does (paper figure 2):
    // a server our (possibly stale) config does not list yet may be a voter the newer config added, and
    // refusing it can leave no electable candidate (simulator seed 27318 with 5 nodes). A removed server
    // cannot disrupt a healthy cluster: pre-vote and the leader lease (dissertation §9.6, §4.2.3) keep its
    // campaigns from changing anyone's term, and the leader tells it it was removed (src/rpc/peer-server.ts).
    if (message.term > this.term && !this.onHigherTerm(message)) return;
    if (message.term < this.term) {
      this.onLowerTerm(message);
      return;
    }
    switch (message.type) {
      case "preVote":
      case "vote":
        this.handleVoteRequest(message);
        return;
      case "preVoteResponse":
      case "voteResponse":
        this.handleVoteResponse(message.from, message.type === "preVoteResponse", message.granted, message.term);
        return;
      case "append":
        this.handleAppend(message);
        return;
      case "appendResponse":
        if (this.role === "leader") this.handleAppendResponse(message);
        return;
      case "timeoutNow":
        this.handleTimeoutNow(message);
        return;
      case "snapshot":
        this.handleSnapshot(message);
        return;
    }
  }

  // ---------------------------------------------------------------- Ready

  hasReady(): boolean {
    if (this.handedOut !== null) return false;
    if (this.messages.length > 0 || this.readStates.length > 0) return true;
    if (this.log.hasUnstable() || this.log.committed > this.log.applied) return true;
    if (this.log.unstableSnapshot() !== null || !sameMembership(this.config, this.lastMembership)) return true;
    return !sameSoftState(this.softState(), this.lastSoftState) || !sameHardState(this.hardState(), this.lastHardState);
  }

  ready(): Ready {
    assert(this.handedOut === null, "ready() called again before advance()");
    const entries = this.log.unstableEntries();
    const committedEntries = this.log.slice(this.log.applied + 1, Math.min(this.log.committed, this.log.applied + maxCommittedEntriesPerReady) + 1);
    const ready: Ready = { entries, messages: this.messages, committedEntries, readStates: this.readStates };
    const softState = this.softState();
    if (!sameSoftState(softState, this.lastSoftState)) ready.softState = this.lastSoftState = softState;
    const hardState = this.hardState();
    if (!sameHardState(hardState, this.lastHardState)) ready.hardState = this.lastHardState = hardState;
    const snapshot = this.log.unstableSnapshot();
    if (snapshot) ready.snapshot = snapshot;
    if (!sameMembership(this.config, this.lastMembership)) {
      this.lastMembership = this.config;
      ready.membership = copyMembership(this.config);
    }
    this.messages = [];
    this.readStates = [];
    const lastEntry = entries[entries.length - 1];
    this.handedOut = {
      lastEntryIndex: lastEntry?.index ?? 0,
      lastEntryTerm: lastEntry?.term ?? 0,
      appliedTo: committedEntries[committedEntries.length - 1]?.index ?? this.log.applied,
      snapshotIndex: snapshot?.index ?? 0,
    };
    return ready;
  }

  /** The driver has persisted the last Ready's state and entries, sent its messages and applied its committed entries. */
  advance(): void {
    const handed = this.handedOut;
    assert(handed !== null, "advance() without ready()");
    this.handedOut = null;
    if (handed.snapshotIndex > 0) this.log.stableSnapshotTo(handed.snapshotIndex);
    if (handed.lastEntryIndex > 0) this.log.stableTo(handed.lastEntryIndex, handed.lastEntryTerm);
    if (handed.appliedTo > this.log.applied) this.log.appliedTo(handed.appliedTo);
    if (this.role !== "leader") return;
    // The leader counts itself toward a commit only once its own copy is durable
    // (etcd-io/etcd#14370).
    this.leading.of(this.id).maybeUpdate(this.log.durableLastIndex());
    this.advanceCommit();
  }

  // ---------------------------------------------------------------- terms

  /** Returns false when the message must be dropped without effect. */
  private onHigherTerm(message: Message): boolean {
    const isVoteRequest = message.type === "preVote" || message.type === "vote";
    // Dissertation §4.2.3: a server that heard from a leader within the minimum
    // election timeout neither updates its term nor grants a vote, so a
    // rejoining partitioned server cannot depose a healthy leader. A transfer
    // target's vote request is the exception: the leader asked for it (§3.10).
    const transfer = message.type === "vote" && message.transfer === true;
    if (isVoteRequest && this.inLease() && !transfer) return false;
    // A pre-vote is hypothetical: it never changes anyone's term (dissertation §9.6).
    if (message.type === "preVote") return true;
    if (message.type === "preVoteResponse" && message.granted) return true;
    // Paper §5.1: a higher term makes us a follower at once.
    const fromLeader = message.type === "append" || message.type === "snapshot" || message.type === "timeoutNow";
    this.becomeFollower(message.term, fromLeader ? message.from : noNode);
    return true;
  }

  private onLowerTerm(message: Message): void {
    // Tell a stale leader or pre-candidate about the newer term so it steps
    // down; other stale messages are dropped (paper §5.1).
    if (message.type === "append" || message.type === "snapshot") {
      const rejectedIndex = message.type === "append" ? message.prevIndex : 0;
      this.send({
        type: "appendResponse",
        to: message.from,
        success: false,
        matchIndex: 0,
        rejectedIndex,
        conflictIndex: 0,
        conflictTerm: 0,
        heartbeatRound: 0,
      });
    } else if (message.type === "preVote") {
      this.send({ type: "preVoteResponse", to: message.from, granted: false });
    }
  }

  private inLease(): boolean {
    return this.leaderId !== noNode && this.electionElapsed < this.limits.electionTicks;
  }

  // ---------------------------------------------------------------- roles

  private becomeFollower(term: number, leaderId: NodeId): void {
    if (term !== this.term) {
      assert(term > this.term, `term went backwards: ${this.term} -> ${term}`);
      this.term = term;
      this.vote = noNode;
    }
    this.resetVolatile(leaderId);
    this.role = "follower";
  }

  private becomePreCandidate(): void {
    // Pre-candidacy changes neither term nor vote (dissertation §9.6).
    this.resetVolatile(noNode);
    this.role = "preCandidate";
    this.votes.set(this.id, true);
  }

  private becomeCandidate(): void {
    this.term += 1;
    this.vote = this.id;
    this.resetVolatile(noNode);
    this.role = "candidate";
    this.votes.set(this.id, true);
  }

  private becomeLeader(): void {
    assert(this.role === "candidate", "only a candidate becomes leader");
    this.resetVolatile(this.id);
    this.role = "leader";
    // Paper §8 / figure 8: a no-op of the new term lets earlier entries commit
    // indirectly and tells the leader its commit index for reads.
    const termStart = this.log.lastIndex() + 1;
    const lead = new LeaderState(termStart, this.limits.maxPendingReads, this.limits.maxInflightAppends);
    this.lead = lead;
    for (const member of [this.id, ...this.peers()]) lead.track(member, termStart);
    const self = lead.of(this.id);
    self.maybeUpdate(this.log.durableLastIndex());
    self.becomeReplicate();
    this.appendToLog([{ index: termStart, term: this.term, type: "noop", data: "" }]);
    this.broadcastAppend(true);
  }

  /** Clears per-role state; every role change goes through here. */
  private resetVolatile(leaderId: NodeId): void {
    if (this.lead) this.failPendingReads(leaderId);
    this.lead = null;
    this.leaderId = leaderId;
    this.electionElapsed = 0;
    this.randomizedElectionTimeout = this.nextElectionTimeout();
    this.votes = new Map();
  }

  /**
   * Randomized timeout (paper §5.2), offset by the node's rank among voters so
   * the lowest id tends to time out first: the seed's "lowest id wins" kept as
   * a preference, never as a safety rule.
   */
  private nextElectionTimeout(): number {
    const rank = Math.max(0, this.voters.indexOf(this.id));
    const jitter = Math.floor(this.random() * this.limits.electionTicks);
    return this.limits.electionTicks + rank * this.limits.electionRankTicks + jitter;
  }

  // ---------------------------------------------------------------- ticks

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed < this.randomizedElectionTimeout) return;
    if (!this.voters.includes(this.id)) return;
    this.campaign(true);
  }

  private tickLeader(): void {
    const lead = this.leading;
    lead.heartbeatElapsed++;
    this.electionElapsed++;
    // A transfer that has not completed within an election timeout is
    // abandoned and proposals flow again (dissertation §3.10).
    if (lead.transferee !== noNode && ++lead.transferElapsed >= this.limits.electionTicks) lead.stopTransfer();
    if (this.electionElapsed >= this.limits.electionTicks) {
      this.electionElapsed = 0;
      if (!this.checkQuorum()) return;
    }
    if (lead.heartbeatElapsed >= this.limits.heartbeatTicks) {
      lead.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
  }

  /**
   * Check-quorum (dissertation §6.2): a leader that has not heard from a
   * majority within an election timeout steps down, so a partitioned leader
   * stops accepting writes and reads it could never commit or confirm.
   */
  private checkQuorum(): boolean {
    const { progress } = this.leading;
    const active = hasQuorum(this.voters, (id) => id === this.id || progress.get(id)!.recentActive);
    for (const [id, peer] of progress) peer.recentActive = id === this.id;
    if (!active) this.becomeFollower(this.term, noNode);
    return active;
  }

  // ---------------------------------------------------------------- elections

  private campaign(preVote: boolean, transfer = false): void {
    if (preVote) this.becomePreCandidate();
    else this.becomeCandidate();
    const voteTerm = preVote ? this.term + 1 : this.term;
    if (tallyVotes(this.voters, this.votes) === "won") {
      this.onCampaignWon(preVote);
      return;
    }
    const lastLogIndex = this.log.lastIndex();
    const lastLogTerm = this.log.lastTerm();
    for (const voter of this.voters) {
      if (voter === this.id) continue;
      if (transfer) this.send({ type: "vote", to: voter, term: voteTerm, lastLogIndex, lastLogTerm, transfer: true });
      else this.send({ type: preVote ? "preVote" : "vote", to: voter, term: voteTerm, lastLogIndex, lastLogTerm });
    }
  }

  private onCampaignWon(preVote: boolean): void {
    if (preVote) this.campaign(false);
    else this.becomeLeader();
  }

  /** RequestVote receiver (paper figure 2, §5.2, §5.4.1), shared by pre-votes. */
  private handleVoteRequest(message: PreVoteMessage | VoteMessage): void {
    const preVote = message.type === "preVote";
    const canVote = this.vote === message.from || (this.vote === noNode && this.leaderId === noNode) || (preVote && message.term > this.term);
    // A node outside its own membership (removed, or joining and not yet told
    // of its config) grants nothing. A learner does answer: the candidate only
    // asks it because the candidate's newer config made it a voter (a promote
    // it has not received yet), and only that config's voters are counted;
    // refusing could leave no electable candidate while the promotion is in
    // flight (etcd-io/raft lets learners vote for the same reason).
    const granted = canVote && this.isMember(this.id) && this.log.isUpToDate(message.lastLogIndex, message.lastLogTerm);
    if (granted && !preVote) {
      // At most one vote per term; it reaches the disk in the same Ready as this response.
      this.vote = message.from;
      this.electionElapsed = 0;
    }
    const type = preVote ? "preVoteResponse" : "voteResponse";
    this.send({ type, to: message.from, term: granted ? message.term : this.term, granted });
  }

  private handleVoteResponse(from: NodeId, preVote: boolean, granted: boolean, term: number): void {
    if (this.role !== (preVote ? "preCandidate" : "candidate")) return;
    if (!this.voters.includes(from)) return;
    // A grant echoes the term asked for; a rejection carries the voter's own term.
    const expectedTerm = preVote && granted ? this.term + 1 : this.term;
    if (term !== expectedTerm) return;
    this.votes.set(from, granted);
    const result = tallyVotes(this.voters, this.votes);
    if (result === "won") this.onCampaignWon(preVote);
    else if (result === "lost") this.becomeFollower(this.term, noNode);
  }

  // ---------------------------------------------------------------- follower side of replication

  /** AppendEntries receiver (paper figure 2, §5.3). */
  private handleAppend(message: AppendMessage): void {
    assert(this.role !== "leader", `two leaders in term ${this.term}: ${this.id} and ${message.from}`);
    if (this.role !== "follower") this.becomeFollower(message.term, message.from);
    this.leaderId = message.from;
    this.electionElapsed = 0;
    this.leaderCommitSeen = Math.max(this.leaderCommitSeen, message.leaderCommit);
    const { prevIndex, prevTerm, entries } = this.skipCommittedPrefix(message);
    if (!this.log.matchTerm(prevIndex, prevTerm)) {
      this.rejectAppend(message, prevIndex, prevTerm);
      return;
    }
    // Truncate only at the first conflicting entry, never on a duplicate or a
    // reordered older Append whose entries we already hold (paper §5.3 step 3).
    const conflict = this.log.findConflict(entries);
    if (conflict !== 0) this.appendToLog(entries.slice(conflict - entries[0]!.index));
    const lastVerified = prevIndex + entries.length;
    // Commit only what this Append verified (paper figure 2, step 5).
    this.log.commitTo(Math.min(message.leaderCommit, lastVerified));
    this.sendAppendResponse(message, true, lastVerified, 0, 0);
  }

  /**
   * Entries at or below our commit index are committed, so they match the
   * leader's (Leader Completeness, paper §5.4). Skip them rather than re-check,
   * so a late Append that starts below the commit index still makes progress.
   */
  private skipCommittedPrefix(message: AppendMessage): { prevIndex: number; prevTerm: number; entries: Entry[] } {
    const committed = this.log.committed;
    if (message.prevIndex >= committed) return message;
    const skipped = committed - message.prevIndex;
    for (const entry of message.entries.slice(0, skipped)) {
      // Entries compacted into our snapshot have no term left to compare.
      const ours = this.log.term(entry.index);
      assert(ours === undefined || ours === entry.term, `leader ${message.from} sent entry ${entry.index}@${entry.term} conflicting with a committed entry`);
    }
    return { prevIndex: committed, prevTerm: this.log.termOf(committed), entries: message.entries.slice(skipped) };
  }

  private rejectAppend(message: AppendMessage, prevIndex: number, prevTerm: number): void {
    const hintIndex = this.log.lastIndexAtOrBeforeTerm(Math.min(prevIndex, this.log.lastIndex()), prevTerm);
    this.sendAppendResponse(message, false, 0, hintIndex, this.log.term(hintIndex) ?? 0, prevIndex);
  }

  /** Leadership transfer target (dissertation §3.10): campaign now, skipping pre-vote, flagged so voters in a lease still answer. */
  private handleTimeoutNow(_message: TimeoutNowMessage): void {
    if (this.role === "leader" || !this.voters.includes(this.id)) return;
    this.campaign(false, true);
  }

  /**
   * InstallSnapshot receiver (dissertation §5.1). The driver has already
   * installed the state durably (it checked snapshotWanted() first). A
   * snapshot at or below our commit index is old news: answer with our
   * commit, never roll back committed entries. Otherwise the log restarts
   * after the snapshot (LogView.restore says which entries survive), commit =
   * applied = its index, and its membership applies unless a kept config
   * entry is newer.
   */
  private handleSnapshot(message: SnapshotMessage): void {
    assert(this.role !== "leader", `two leaders in term ${this.term}: ${this.id} and ${message.from}`);
    if (this.role !== "follower") this.becomeFollower(message.term, message.from);
    this.leaderId = message.from;
    this.electionElapsed = 0;
    const snapshot = message.snapshot;
    // The one predicate the driver also asked before it swapped the state in.
    if (this.snapshotWanted(message)) {
      this.log.restore(snapshot);
      this.configs.onRestore(snapshot.index);
      this.setMembership(this.configs.membership);
    }
    // Our commit index is now at least the snapshot's: all of it matches the leader.
    this.send({
      type: "appendResponse",
      to: message.from,
      success: true,
      matchIndex: this.log.committed,
      rejectedIndex: 0,
      conflictIndex: 0,
      conflictTerm: 0,
      heartbeatRound: 0,
    });
  }

  private sendAppendResponse(
    message: AppendMessage,
    success: boolean,
    matchIndex: number,
    conflictIndex: number,
    conflictTerm: number,
    rejectedIndex = 0,
  ): void {
    this.send({
      type: "appendResponse",
      to: message.from,
      success,
      matchIndex,
      rejectedIndex,
      conflictIndex,
      conflictTerm,
      heartbeatRound: message.heartbeatRound,
    });
  }

  // ---------------------------------------------------------------- leader side of replication

  private handleAppendResponse(message: AppendResponseMessage): void {
    const peer = this.leading.progress.get(message.from);
    if (!peer) return;
    peer.recentActive = true;
    if (message.heartbeatRound > 0) {
      peer.onHeartbeatReply();
      if (message.heartbeatRound > peer.ackedRound) {
        peer.ackedRound = message.heartbeatRound;
        this.confirmReads();
      }
    }
    if (!message.success) {
      const hintNext = this.log.lastIndexAtOrBeforeTerm(message.conflictIndex, message.conflictTerm) + 1;
      if (peer.maybeDecreaseTo(message.rejectedIndex, hintNext)) this.sendAppend(message.from, true);
      return;
    }
    const grew = peer.maybeUpdate(message.matchIndex);
    if (peer.state === "snapshot") {
      // The snapshot landed, or the follower caught up some other way: resume appends.
      if (peer.match >= peer.pendingSnapshot || peer.match + 1 >= this.log.firstIndex()) peer.becomeReplicate();
    } else if (grew && peer.state === "probe") {
      peer.becomeReplicate();
    }
    if (grew) {
      this.advanceCommit();
      if (this.role !== "leader") return;
    }
    if (message.from === this.leading.transferee && peer.match === this.log.lastIndex()) this.sendTimeoutNow(message.from);
    // A lagging peer that answers a heartbeat gets an Append at its `next` even
    // if nothing new is there: if optimistic appends were lost, its rejection
    // resets the pipeline instead of leaving `next` stuck past its log.
    if (message.heartbeatRound > 0 && peer.match < this.log.lastIndex()) this.sendAppend(message.from, true);
    this.sendPendingAppends(message.from);
  }

  /**
   * Commit rule (paper §5.3, §5.4.2): the highest index a majority has durably
   * matched, but only if it is of the current term. Earlier-term entries commit
   * indirectly (figure 8).
   */
  private maybeCommit(): boolean {
    const lead = this.leading;
    const index = majorityIndex(this.voters, (id) => lead.of(id).match);
    if (index <= this.log.committed || this.log.termOf(index) !== this.term) return false;
    const firstOwnCommit = this.log.termOf(this.log.committed) !== this.term;
    this.log.commitTo(index);
    if (firstOwnCommit) for (const requestId of this.leading.reads.takeDeferred()) this.readIndex(requestId);
    return true;
  }

  /**
   * Commits what a quorum holds. The followers learn the new commit index
   * from the next Append that carries entries or from the next heartbeat (one
   * tick away): an empty Append per follower for every commit doubled the
   * peer calls of a write and bought nothing, since only the leader answers
   * clients. A leader whose own removal just committed (counted over the new
   * voters, dissertation §4.2.2) then steps down; as a non-member it never
   * campaigns again.
   */
  private advanceCommit(): void {
    if (!this.maybeCommit()) return;
    this.broadcastAppend(false);
    if (!this.voters.includes(this.id) && this.config.configIndex <= this.log.committed) this.becomeFollower(this.term, noNode);
  }

  private broadcastAppend(sendIfEmpty: boolean): void {
    for (const peer of this.peers()) this.sendAppend(peer, sendIfEmpty);
  }

  /** Pipelining (dissertation §10.2.2): keep sending while flow control allows. */
  private sendPendingAppends(to: NodeId): void {
    for (let sent = 0; sent < this.limits.maxInflightAppends; sent++) {
      if (!this.sendAppend(to, false)) return;
    }
  }

  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const peer = this.leading.of(to);
    if (peer.isPaused()) return false;
    if (peer.next < this.log.firstIndex()) {
      this.sendSnapshot(to, peer);
      return false;
    }
    const prevIndex = peer.next - 1;
    const prevTerm = this.log.term(prevIndex);
    assert(prevTerm !== undefined, `no term for entry ${prevIndex} (first index ${this.log.firstIndex()}) to send to ${to}`);
    const hi = Math.min(this.log.lastIndex() + 1, peer.next + this.limits.maxEntriesPerAppend);
    const entries = this.log.slice(peer.next, hi, this.limits.maxBytesPerAppend);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({ type: "append", to, prevIndex, prevTerm, entries, leaderCommit: this.log.committed, heartbeatRound: 0 });
    peer.sent(prevIndex + entries.length, entries.length);
    return true;
  }

  /**
   * Heartbeats are empty Appends anchored at the peer's known match, so they
   * can carry the commit index safely (the follower commits at most up to the
   * match they verify) and confirm leadership for ReadIndex.
   */
  private broadcastHeartbeat(): void {
    const round = this.leading.reads.startRound();
    for (const to of this.peers()) {
      const peer = this.leading.of(to);
      // A match we compacted away anchors at index 0, which always matches: the
      // follower then verifies (and commits) only what it already had committed.
      const matchTerm = this.log.term(peer.match);
      const prevIndex = matchTerm === undefined ? 0 : peer.match;
      this.send({ type: "append", to, prevIndex, prevTerm: matchTerm ?? 0, entries: [], leaderCommit: this.log.committed, heartbeatRound: round });
    }
  }

  /**
   * The follower needs entries we compacted: send the snapshot's metadata
   * (dissertation §5.1). The driver streams the state itself and reports the
   * outcome with reportSnapshot(); until then or the follower's answer, no
   * appends go to it.
   */
  private sendSnapshot(to: NodeId, peer: Progress): void {
    const snapshot = this.log.snapshot();
    assert(snapshot.index > 0 && snapshot.index >= peer.next - 1, `no snapshot covers entry ${peer.next - 1} for ${to}`);
    this.send({ type: "snapshot", to, snapshot });
    peer.becomeSnapshot(snapshot.index);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: "timeoutNow", to });
  }

  // ---------------------------------------------------------------- membership

  /** Every member but this node: voters and learners, ascending. */
  private peers(): NodeId[] {
    const out: NodeId[] = [];
    for (const id of this.voters) if (id !== this.id) out.push(id);
    for (const id of this.learners) if (id !== this.id) out.push(id);
    return out;
  }

  private isMember(id: NodeId): boolean {
    return this.voters.includes(id) || this.learners.includes(id);
  }

  /**
   * Every log append goes through here, so the membership follows the log: a
   * config entry applies once appended, and a truncation that removes one
   * falls back to the previous config (dissertation §4.1).
   */
  private appendToLog(entries: Entry[]): void {
    if (entries.length === 0) return;
    const changed = this.configs.onAppend(entries);
    this.log.append(entries);
    if (changed) this.setMembership(this.configs.refresh());
  }

  private setMembership(membership: Membership): void {
    this.config = membership;
    this.voters = membership.voters;
    this.learners = membership.learners;
    if (this.role !== "leader") return;
    // New members are replicated to from the end of the log (probing back);
    // a removed follower's progress goes as soon as the entry is appended.
    const lead = this.leading;
    for (const id of this.peers()) {
      if (!lead.progress.has(id)) lead.track(id, this.log.lastIndex() + 1);
    }
    for (const id of [...lead.progress.keys()]) {
      if (id !== this.id && !this.isMember(id)) lead.progress.delete(id);
    }
    if (lead.transferee !== noNode && !this.voters.includes(lead.transferee)) lead.stopTransfer();
  }

  private confirmReads(): void {
    const lead = this.leading;
    const confirmed = majorityIndex(this.voters, (id) => (id === this.id ? lead.reads.round : lead.of(id).ackedRound));
    for (const read of this.leading.reads.confirmUpTo(confirmed)) this.readStates.push({ ...read, ok: true });
  }

  private failPendingReads(leaderId: NodeId): void {
    for (const requestId of this.leading.reads.drain()) this.readStates.push({ requestId, ok: false, leaderId });
  }

  private send(message: Outgoing): void {
    const sent = { ...message, from: this.id, term: message.term ?? this.term } as Message;
    if (this.answering && answerTypes.has(sent.type) && sent.to === this.answering.from) sent.requestId = this.answering.requestId;
    this.messages.push(sent);
  }
}

/** Messages that answer a request. */
const answerTypes = new Set<Message["type"]>(["preVoteResponse", "voteResponse", "appendResponse"]);

function resolveLimits(options: Partial<Limits>): Limits {
  const electionTicks = options.electionTicks ?? electionTicksDefault;
  return {
    electionTicks,
    heartbeatTicks: options.heartbeatTicks ?? heartbeatTicksDefault,
    electionRankTicks: options.electionRankTicks ?? defaultRankTicks(electionTicks),
    maxEntriesPerAppend: options.maxEntriesPerAppend ?? maxEntriesPerAppendDefault,
    maxBytesPerAppend: options.maxBytesPerAppend ?? maxBytesPerAppendDefault,
    maxInflightAppends: options.maxInflightAppends ?? maxInflightAppendsDefault,
    maxUncommittedEntries: options.maxUncommittedEntries ?? maxUncommittedEntriesDefault,
    maxPendingReads: options.maxPendingReads ?? maxPendingReadsDefault,
  };
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.leaderId === b.leaderId && a.role === b.role;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
