// A simulated operator that changes the membership one server at a time
// (dissertation §4.1, §4.2): add a spare node as a learner, promote a learner
// once it has caught up, remove a voter (the leader included) or a learner.
// Like a client, it retries a change whose outcome it does not know, and takes
// "invalidChange" after a retry as "already done".

import type { ConfChange, NodeId, ProposeResult, RaftCore } from "../../log/raft/index.ts";
import type { SimRandom } from "./random.ts";

/** Ticks the admin waits for a proposed change to commit before retrying it. */
const adminRetryTicks = 40;
/** Ticks between attempts while the cluster is busy (no leader, own term not committed, another change). */
const adminBackoffTicks = 5;
/** Never remove below this many voters. */
const votersMin = 2;
/** Never grow beyond this many members. */
const membersMax = 6;

export interface AdminPort {
  /** Up cores of nodes that currently believe they lead. */
  leaderCores(): Array<{ id: NodeId; core: RaftCore }>;
  core(id: NodeId): RaftCore | null;
  /** Starts a spare node (empty disk, no voters) and returns its id, or undefined if none is left. */
  startSpare(): NodeId | undefined;
  hasSpare(): boolean;
  proposeConfChange(id: NodeId, change: ConfChange): ProposeResult | undefined;
  note(what: string, detail?: unknown): void;
}

interface Pending {
  node: NodeId;
  index: number;
  term: number;
  sentAt: number;
}

export class Admin {
  changes = 0;
  private current: ConfChange | null = null;
  private pending: Pending | null = null;
  private retryAt = 0;
  private target: NodeId = 0;
  /** A change was proposed at least once: "invalidChange" then means it already took effect. */
  private proposedOnce = false;

  constructor(
    private readonly random: SimRandom,
    private readonly port: AdminPort,
    private readonly rate: number,
  ) {}

  step(now: number, active: boolean): void {
    if (!this.current) {
      if (!active || !this.random.chance(this.rate)) return;
      this.current = this.chooseChange();
      if (!this.current) return;
      this.proposedOnce = false;
      this.pending = null;
      this.retryAt = now;
      this.port.note("admin wants", this.current);
    }
    if (this.pending) {
      const core = this.port.core(this.pending.node);
      if (core && core.commitIndex >= this.pending.index && core.termAt(this.pending.index) === this.pending.term) {
        this.finish("committed");
        return;
      }
      if (now - this.pending.sentAt < adminRetryTicks) return;
      this.pending = null;
    }
    if (now >= this.retryAt) this.attempt(now);
  }

  private chooseChange(): ConfChange | null {
    const leader = this.port.leaderCores()[0];
    if (!leader) return null;
    const { voters, learners } = leader.core.membership();
    const caughtUp = leader.core.caughtUpLearner();
    if (caughtUp !== undefined) return { kind: "promote", id: caughtUp };
    const options: Array<() => ConfChange | null> = [];
    if (this.port.hasSpare() && voters.length + learners.length < membersMax) {
      options.push(() => {
        const id = this.port.startSpare();
        return id === undefined ? null : { kind: "addLearner", id, address: `sim-${id}` };
      });
    }
    if (voters.length > votersMin) options.push(() => ({ kind: "remove", id: this.random.pick(voters) }));
    if (learners.length > 0) options.push(() => ({ kind: "remove", id: this.random.pick(learners) }));
    if (options.length === 0) return null;
    return this.random.pick(options)();
  }

  private attempt(now: number): void {
    const change = this.current!;
    const leaders = this.port.leaderCores();
    if (this.target === 0 || !this.port.core(this.target)) this.target = leaders[0]?.id ?? 0;
    if (this.target === 0) {
      this.retryAt = now + adminBackoffTicks;
      return;
    }
    const result = this.port.proposeConfChange(this.target, change);
    if (result?.accepted) {
      this.proposedOnce = true;
      this.pending = { node: this.target, index: result.index, term: result.term, sentAt: now };
      return;
    }
    if (result?.reason === "invalidChange") {
      // Either an earlier attempt took effect, or the world moved on (say, the
      // learner to promote was removed). Both end this change.
      this.finish(this.proposedOnce ? "already in effect" : "invalid");
      return;
    }
    if (!result || result.reason === "notLeader" || result.reason === "transferring") this.target = result && result.leaderId !== 0 ? result.leaderId : 0;
    this.retryAt = now + adminBackoffTicks;
  }

  private finish(how: string): void {
    this.port.note(`admin change ${how}`, this.current);
    if (how === "committed") this.changes++;
    this.current = null;
    this.pending = null;
  }
}
