// What a leader knows about one peer's log (paper figure 2, nextIndex and
// matchIndex), plus flow control for pipelined replication.
//
// "probe": we don't know where the follower's log matches ours; send one Append
//   and wait for its answer (or the next heartbeat) before sending another.
// "replicate": the follower accepted recently; advance `next` optimistically
//   and keep up to maxInflightAppends messages outstanding.
// "snapshot": the follower needs entries the leader has compacted; a snapshot
//   was sent and nothing else goes to it until it answers or the driver
//   reports the snapshot finished or failed.
//
// Invariants: 0 <= match < next; inflight last-indexes are ascending and > match.

import { assert } from "./assert.ts";

export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** In probe state: an Append is outstanding; wait for a reply or heartbeat. */
  probeSent = false;
  /** Last entry index of each outstanding Append in replicate state, oldest first. */
  inflight: number[] = [];
  /** Heard from this peer since the last check-quorum round (paper §6.2 / dissertation §6.2). */
  recentActive = false;
  /** Highest heartbeat round this peer answered in the current term (ReadIndex). */
  ackedRound = 0;
  /** In snapshot state: the index of the snapshot sent. */
  pendingSnapshot = 0;

  constructor(
    next: number,
    private readonly maxInflight: number,
  ) {
    assert(next >= 1, "next index starts at 1");
    this.next = next;
  }

  /** A successful reply says the follower's log matches ours up to index. Returns true if match grew. */
  maybeUpdate(index: number): boolean {
    let grew = false;
    if (index > this.match) {
      this.match = index;
      this.probeSent = false;
      grew = true;
    }
    this.next = Math.max(this.next, index + 1);
    this.freeUpTo(index);
    return grew;
  }

  /**
   * A rejection of the Append whose prevIndex was `rejected`. Returns false if the
   * rejection is stale (reordered or duplicated). `hintNext` is the leader's
   * estimate of where the logs may match, from the follower's conflict hint.
   */
  maybeDecreaseTo(rejected: number, hintNext: number): boolean {
    if (this.state === "snapshot") return false;
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.becomeProbe(Math.max(this.match + 1, Math.min(hintNext, this.next)));
      return true;
    }
    if (rejected !== this.next - 1) return false;
    this.next = Math.max(this.match + 1, Math.min(hintNext, rejected));
    this.probeSent = false;
    return true;
  }

  becomeProbe(next = this.match + 1): void {
    this.state = "probe";
    this.next = next;
    this.probeSent = false;
    this.inflight = [];
    this.pendingSnapshot = 0;
  }

  becomeReplicate(): void {
    this.state = "replicate";
    this.next = this.match + 1;
    this.probeSent = false;
    this.inflight = [];
    this.pendingSnapshot = 0;
  }

  becomeSnapshot(index: number): void {
    this.state = "snapshot";
    this.pendingSnapshot = index;
    this.probeSent = false;
    this.inflight = [];
  }

  isPaused(): boolean {
    if (this.state === "snapshot") return true;
    if (this.state === "probe") return this.probeSent;
    return this.inflight.length >= this.maxInflight;
  }

  /** Records an Append carrying entries up to lastIndex. */
  sent(lastIndex: number, entryCount: number): void {
    if (this.state === "probe") {
      this.probeSent = true;
      return;
    }
    if (entryCount === 0) return;
    this.next = lastIndex + 1;
    this.inflight.push(lastIndex);
  }

  freeUpTo(index: number): void {
    while (this.inflight.length > 0 && this.inflight[0]! <= index) this.inflight.shift();
  }

  /**
   * A heartbeat reply proves the follower is alive; unblock flow control so a
   * lost Append does not stall replication forever (etcd does the same).
   */
  onHeartbeatReply(): void {
    if (this.state === "snapshot") return;
    this.probeSent = false;
    if (this.inflight.length >= this.maxInflight) this.inflight.shift();
  }
}
