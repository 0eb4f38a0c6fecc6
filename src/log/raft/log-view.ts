// The node's view of its Raft log: the durable prefix read through LogStorage,
// plus an "unstable" tail of entries accepted but not yet persisted (the driver
// persists them from the next Ready and confirms with advance()).
//
// Invariants:
//   applied <= committed <= lastIndex()
//   unstable entries have indexes unstableOffset, unstableOffset + 1, ...
//   stored entries at or after unstableOffset are shadowed (about to be overwritten).
//   while a snapshot is pending (installed by the core, not yet persisted by the
//   driver), the whole stored log is shadowed: the log starts after the snapshot.

import { assert } from "./assert.ts";
import { maxConflictScanEntries } from "./constants.ts";
import { entryBytes, noSnapshot } from "./memory-storage.ts";
import type { Entry, LogStorage, SnapshotMeta } from "./types.ts";

export class LogView {
  private unstable: Entry[] = [];
  private unstableOffset: number;
  /** A snapshot accepted from the leader that the driver has not yet persisted (Ready.snapshot). */
  private pendingSnapshot: SnapshotMeta | null = null;
  committed: number;
  applied: number;

  constructor(
    private readonly storage: LogStorage,
    committed: number,
    applied: number,
  ) {
    this.unstableOffset = storage.lastIndex() + 1;
    // A snapshot covers only committed entries, so its index is committed too (a crash may leave the
    // stored commit behind a snapshot point written in the same transaction as the state it describes).
    const durableCommit = Math.max(committed, storage.firstIndex() - 1);
    assert(durableCommit <= storage.lastIndex(), `commit ${durableCommit} beyond stored log ${storage.lastIndex()}`);
    assert(applied <= durableCommit, `applied ${applied} beyond commit ${durableCommit}`);
    this.committed = durableCommit;
    this.applied = Math.max(applied, storage.firstIndex() - 1);
  }

  /** The snapshot the log starts after: the pending one, else the stored one (index 0 when none). */
  snapshot(): SnapshotMeta {
    return this.pendingSnapshot ?? this.storage.snapshot?.() ?? noSnapshot;
  }

  unstableSnapshot(): SnapshotMeta | null {
    return this.pendingSnapshot;
  }

  firstIndex(): number {
    if (this.pendingSnapshot) return this.pendingSnapshot.index + 1;
    return this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstable.length > 0) return this.unstableOffset + this.unstable.length - 1;
    return this.durableLastIndex();
  }

  /**
   * Last index known durable: the only one a leader may count for itself
   * (etcd-io/etcd#14370). A pending snapshot counts: the driver installed
   * its state durably before stepping it in.
   */
  durableLastIndex(): number {
    if (this.pendingSnapshot) return this.pendingSnapshot.index;
    return Math.min(this.storage.lastIndex(), this.unstableOffset - 1);
  }

  lastTerm(): number {
    return this.termOf(this.lastIndex());
  }

  /** Term of the entry at index, undefined if compacted or beyond the end. */
  term(index: number): number | undefined {
    if (index === 0) return 0;
    if (index >= this.unstableOffset) return this.unstable[index - this.unstableOffset]?.term;
    if (this.pendingSnapshot) return index === this.pendingSnapshot.index ? this.pendingSnapshot.term : undefined;
    return this.storage.term(index);
  }

  /** term() for an index the caller knows is retained. */
  termOf(index: number): number {
    const term = this.term(index);
    assert(term !== undefined, `term of index ${index} unavailable`);
    return term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Election restriction (paper §5.4.1): is (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Index of the first entry that is new or conflicts with ours; 0 if all are already present. */
  findConflict(entries: Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * The largest index <= from whose term is <= term. Both sides of a rejected
   * Append use it for fast back-off (paper §5.3, final paragraphs; etcd's
   * findConflictByTerm): no index above the answer can match the other log.
   */
  lastIndexAtOrBeforeTerm(from: number, term: number): number {
    const floor = Math.max(0, from - maxConflictScanEntries);
    let index = Math.min(from, this.lastIndex());
    while (index > floor) {
      const entryTerm = this.term(index);
      if (entryTerm === undefined || entryTerm <= term) break;
      index--;
    }
    return index;
  }

  /**
   * Appends entries, overwriting from entries[0].index. Overwriting committed
   * entries would break State Machine Safety (paper §5.4), so it is a crash.
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    assert(first > this.committed, `truncating at ${first} would drop committed entries (commit ${this.committed})`);
    assert(first <= this.lastIndex() + 1, `append at ${first} leaves a gap after ${this.lastIndex()}`);
    if (first === this.unstableOffset + this.unstable.length) {
      this.unstable.push(...entries);
    } else if (first <= this.unstableOffset) {
      this.unstableOffset = first;
      this.unstable = [...entries];
    } else {
      this.unstable = this.unstable.slice(0, first - this.unstableOffset).concat(entries);
    }
  }

  /** Entries [lo, hiExclusive) across storage and the unstable tail, bounded by maxBytes (at least one). */
  slice(lo: number, hiExclusive: number, maxBytes = Infinity): Entry[] {
    if (lo >= hiExclusive) return [];
    assert(lo >= this.firstIndex() && hiExclusive <= this.lastIndex() + 1, `slice(${lo}, ${hiExclusive}) out of range`);
    const out: Entry[] = [];
    const storedEnd = Math.min(hiExclusive, this.unstableOffset);
    if (lo < storedEnd) {
      out.push(...this.storage.entries(lo, storedEnd, maxBytes));
      if (out.length < storedEnd - lo) return out;
    }
    let bytes = out.reduce((sum, entry) => sum + entryBytes(entry), 0);
    for (let index = Math.max(lo, this.unstableOffset); index < hiExclusive; index++) {
      const entry = this.unstable[index - this.unstableOffset]!;
      bytes += entryBytes(entry);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(entry);
    }
    return out;
  }

  hasUnstable(): boolean {
    return this.unstable.length > 0;
  }

  unstableEntries(): Entry[] {
    return [...this.unstable];
  }

  /** The driver persisted entries up to (index, term); drop them from the unstable tail unless since overwritten. */
  stableTo(index: number, term: number): void {
    if (index < this.unstableOffset || this.term(index) !== term) return;
    this.unstable = this.unstable.slice(index + 1 - this.unstableOffset);
    this.unstableOffset = index + 1;
  }

  /**
   * Installs a snapshot (dissertation §5.1): the log now starts after it. Every
   * entry at or below its index goes; entries after it are kept only if our
   * entry at its index matches (Log Matching then says they extend the
   * snapshot), otherwise all go: a conflicting entry at the snapshot index
   * never survives (hashicorp/raft#704, openraft#753). Kept
   * entries become unstable again so the driver rewrites them after its reset.
   */
  restore(snapshot: SnapshotMeta): void {
    assert(snapshot.index > this.committed, `snapshot ${snapshot.index} at or below commit ${this.committed}`);
    const keep = this.matchTerm(snapshot.index, snapshot.term) ? this.slice(snapshot.index + 1, this.lastIndex() + 1) : [];
    this.pendingSnapshot = snapshot;
    this.unstableOffset = snapshot.index + 1;
    this.unstable = keep;
    this.committed = snapshot.index;
    this.applied = snapshot.index;
  }

  /** The driver persisted the snapshot handed out at `index`. */
  stableSnapshotTo(index: number): void {
    if (this.pendingSnapshot?.index === index) this.pendingSnapshot = null;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  appliedTo(index: number): void {
    assert(index <= this.committed && index >= this.applied, `applied ${index} outside [${this.applied}, ${this.committed}]`);
    this.applied = index;
  }
}
