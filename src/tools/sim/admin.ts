// A simulated operator that changes the membership one server at a time
// (dissertation §4.1, §4.2) through a leader's driver, as `bun run admin`
// does: add a spare node as a learner (the driver promotes it once it has
// caught up), remove a voter (the leader included) or a learner. Like a
// client, it retries a change whose outcome it does not know, and takes
// "invalidChange" after a retry as "already done".

import { MembershipChangeError, NotLeaderError } from "../../log/errors.ts";
import type { NodeId } from "../../log/raft/index.ts";
import { idOfAddress, simAddress, type SimDriver } from "./node.ts";
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
  nowTicks(): number;
  /** Up, unpaused nodes that believe they lead. */
  leaders(): NodeId[];
  /** The node's driver when a request sent now reaches it. */
  driver(id: NodeId): SimDriver | null;
  /** Starts a spare node (empty disk, no voters) and returns its id, or undefined if none is left. */
  startSpare(): NodeId | undefined;
  hasSpare(): boolean;
  note(what: string, detail?: unknown): void;
  fail(error: Error): void;
}

type AdminChange = { kind: "addLearner"; id: NodeId; address: string } | { kind: "remove"; id: NodeId };

export class Admin {
  changes = 0;
  private current: AdminChange | null = null;
  /** The attempt in flight: when it was sent, and its number (answers to older attempts are ignored). */
  private pending: { sentAt: number; attempt: number } | null = null;
  private attempts = 0;
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
    if (this.pending && now - this.pending.sentAt >= adminRetryTicks) {
      this.pending = null;
      this.proposedOnce = true; // unanswered, so perhaps done
    }
    if (!this.pending && now >= this.retryAt) this.attempt(now);
  }

  private chooseChange(): AdminChange | null {
    const leader = this.leaderDriver();
    if (!leader) return null;
    const { voters, learners } = leader.view.membership();
    const options: Array<() => AdminChange | null> = [];
    if (this.port.hasSpare() && voters.length + learners.length < membersMax) {
      options.push(() => {
        const id = this.port.startSpare();
        return id === undefined ? null : { kind: "addLearner", id, address: simAddress(id) };
      });
    }
    if (voters.length > votersMin) options.push(() => ({ kind: "remove", id: this.random.pick(voters) }));
    if (learners.length > 0) options.push(() => ({ kind: "remove", id: this.random.pick(learners) }));
    if (options.length === 0) return null;
    return this.random.pick(options)();
  }

  private leaderDriver(): SimDriver | null {
    const id = this.port.leaders()[0];
    return id === undefined ? null : this.port.driver(id);
  }

  private attempt(now: number): void {
    const change = this.current!;
    if (this.target === 0 || !this.port.driver(this.target)) this.target = this.port.leaders()[0] ?? 0;
    const driver = this.target === 0 ? null : this.port.driver(this.target);
    if (!driver) {
      this.retryAt = now + adminBackoffTicks;
      return;
    }
    const attempt = ++this.attempts;
    this.pending = { sentAt: now, attempt };
    const answer = change.kind === "addLearner" ? driver.addLearner(change.id, change.address) : driver.removeServer(change.id);
    answer.then(
      () => this.onAnswer(attempt, null),
      (error: unknown) => this.onAnswer(attempt, error),
    );
  }

  private onAnswer(attempt: number, error: unknown): void {
    if (this.pending?.attempt !== attempt) return;
    this.pending = null;
    if (error === null) {
      this.finish("committed");
      return;
    }
    if (error instanceof MembershipChangeError && error.reason === "invalidChange") {
      // Either an earlier attempt took effect, or the world moved on (say, the
      // learner to remove was removed). Both end this change.
      this.finish(this.proposedOnce ? "already in effect" : "invalid");
      return;
    }
    this.proposedOnce = true;
    if (error instanceof NotLeaderError) this.target = idOfAddress(error.leaderAddress) ?? 0;
    else if (!(error instanceof MembershipChangeError)) {
      this.port.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.retryAt = this.port.nowTicks() + adminBackoffTicks;
  }

  private finish(how: string): void {
    this.port.note(`admin change ${how}`, this.current);
    if (how === "committed") this.changes++;
    this.current = null;
    this.pending = null;
  }
}
