/**
 * A replica that is its own majority: a write is committed once its log
 * append is fsynced. Group commit: proposals that arrive in the same turn
 * of the event loop share one append (one fsync) and one apply transaction.
 */
import { appendBatchEntriesMax, pendingProposalsMax } from "../limits.ts";
import { OverloadedError } from "./errors.ts";
import type { LogEntry } from "./entry.ts";
import type { LogStore } from "./log-store.ts";
import type { LeaderInfo, ReplicaInfo, ReplicaNode, StateMachine } from "./replica-node.ts";

interface PendingProposal<Result> {
  payload: string;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export class SoloNode<Result> implements ReplicaNode<Result> {
  private pending: PendingProposal<Result>[] = [];
  private flushScheduled = false;
  private term: number;

  constructor(
    private readonly log: LogStore,
    private readonly machine: StateMachine<Result>,
    private readonly self: ReplicaInfo,
  ) {
    const hardState = log.hardState();
    // Every start is a new term, as a new leadership would be.
    this.term = hardState.term + 1;
    log.saveHardState({ term: this.term, vote: self.id, commit: log.lastIndex() });
    this.applyCommitted();
  }

  propose(payload: string): Promise<Result> {
    if (this.pending.length >= pendingProposalsMax) {
      return Promise.reject(new OverloadedError(`${pendingProposalsMax} writes waiting`));
    }
    return new Promise<Result>((resolve, reject) => {
      this.pending.push({ payload, resolve, reject });
      this.scheduleFlush();
    });
  }

  assertLeader(): void {
    // A one-replica cluster always leads.
  }

  async readBarrier(): Promise<void> {
    // Every acknowledged write is applied before it is acknowledged.
  }

  leaderInfo(): LeaderInfo {
    return { leaderId: this.self.id, leaderAddress: this.self.address, term: this.term, replicas: [this.self], selfId: this.self.id };
  }

  async close(): Promise<void> {
    while (this.pending.length > 0) this.flush();
  }

  /** On start: everything in a one-replica log is committed; apply what is not yet. */
  private applyCommitted(): void {
    const from = this.machine.appliedIndex() + 1;
    const last = this.log.lastIndex();
    for (let start = from; start <= last; start += appendBatchEntriesMax) {
      this.machine.apply(this.log.entries(start, Math.min(start + appendBatchEntriesMax, last + 1)));
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
      if (this.pending.length > 0) this.scheduleFlush();
    });
  }

  private flush(): void {
    const batch = this.pending.splice(0, appendBatchEntriesMax);
    if (batch.length === 0) return;
    const first = this.log.lastIndex() + 1;
    const entries: LogEntry[] = batch.map((proposal, offset) => ({
      index: first + offset,
      term: this.term,
      type: "command",
      payload: proposal.payload,
    }));
    let results: Result[];
    try {
      this.log.append(entries, { term: this.term, vote: this.self.id, commit: first + entries.length - 1 });
      results = this.machine.apply(entries);
    } catch (error) {
      for (const proposal of batch) proposal.reject(error);
      throw error; // a log that cannot be written is not a condition to serve through
    }
    batch.forEach((proposal, offset) => proposal.resolve(results[offset]!));
  }
}
