// ReadIndex bookkeeping on the leader (dissertation §6.4, paper §8): a read may be
// served at index i once (1) the leader has committed an entry of its own term,
// (2) i = the commit index when the read arrived, and (3) a heartbeat round sent
// after the read arrived was answered by a majority, proving no newer leader
// existed at that moment. The driver then waits until applied >= i.

import { assert } from "./assert.ts";

interface PendingRead {
  requestId: string;
  index: number;
  /** Heartbeat round whose majority acknowledgement confirms this read. */
  round: number;
}

export class ReadIndexQueue {
  /** Reads that arrived before the leader committed an entry of its own term. */
  private beforeOwnCommit: string[] = [];
  /** Reads waiting for their heartbeat round; rounds are ascending. */
  private pending: PendingRead[] = [];
  /** Last heartbeat round started in this term. */
  round = 0;

  constructor(private readonly maxPending: number) {}

  size(): number {
    return this.beforeOwnCommit.length + this.pending.length;
  }

  isFull(): boolean {
    return this.size() >= this.maxPending;
  }

  deferUntilOwnCommit(requestId: string): void {
    this.beforeOwnCommit.push(requestId);
  }

  /** Reads deferred until the own-term commit; the caller re-submits them. */
  takeDeferred(): string[] {
    const deferred = this.beforeOwnCommit;
    this.beforeOwnCommit = [];
    return deferred;
  }

  /** Registers a read at commit index `index`, to be confirmed by the next round. Returns that round. */
  add(requestId: string, index: number): number {
    const round = this.round + 1;
    this.pending.push({ requestId, index, round });
    return round;
  }

  startRound(): number {
    this.round++;
    return this.round;
  }

  /** Removes and returns reads whose round is <= the round a majority acknowledged. */
  confirmUpTo(confirmedRound: number): Array<{ requestId: string; index: number }> {
    assert(confirmedRound <= this.round, `round ${confirmedRound} confirmed before it was sent (${this.round})`);
    let count = 0;
    while (count < this.pending.length && this.pending[count]!.round <= confirmedRound) count++;
    return this.pending.splice(0, count).map(({ requestId, index }) => ({ requestId, index }));
  }

  /** Everything still waiting, e.g. to fail it when leadership is lost. */
  drain(): string[] {
    const ids = [...this.beforeOwnCommit, ...this.pending.map((read) => read.requestId)];
    this.beforeOwnCommit = [];
    this.pending = [];
    this.round = 0;
    return ids;
  }
}
