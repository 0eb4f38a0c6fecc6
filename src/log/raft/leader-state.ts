// What only a leader keeps, created when a node becomes leader and dropped
// when it stops: each member's replication progress, the pending
// linearizable reads, a leadership transfer in progress, its heartbeat timer,
// and where its term started. No other role can touch it by mistake.

import { noNode, type NodeId } from "./types.ts";
import { Progress } from "./progress.ts";
import { ReadIndexQueue } from "./read-index.ts";

export class LeaderState {
  /** One entry per member (voters and learners), including the leader itself (whose match is its durable last index). */
  readonly progress = new Map<NodeId, Progress>();
  readonly reads: ReadIndexQueue;
  /** The voter leadership is being handed to (dissertation §3.10); 0 = none. */
  transferee: NodeId = noNode;
  /** Ticks since the transfer started; it is abandoned after an election timeout. */
  transferElapsed = 0;
  heartbeatElapsed = 0;

  /**
   * `termStart`: index of the no-op that opens this leader's term. Until it
   * is applied, the state machine may lack writes a predecessor acknowledged.
   */
  constructor(
    readonly termStart: number,
    maxPendingReads: number,
    private readonly maxInflightAppends: number,
  ) {
    this.reads = new ReadIndexQueue(maxPendingReads);
  }

  /** A new member is replicated to from `next` on (probing back from there). */
  track(id: NodeId, next: number): Progress {
    const progress = new Progress(next, this.maxInflightAppends);
    this.progress.set(id, progress);
    return progress;
  }

  /** A member's progress; every member has one while this leader leads. */
  of(id: NodeId): Progress {
    const progress = this.progress.get(id);
    if (!progress) throw new Error(`no progress for member ${id}`);
    return progress;
  }

  stopTransfer(): void {
    this.transferee = noNode;
    this.transferElapsed = 0;
  }
}
