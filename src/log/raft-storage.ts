/**
 * The SQLite log store seen through the consensus core's read-only
 * LogStorage view, and the write the driver does for each Ready.
 */
import type { DriverLog } from "./driver-log.ts";
import type { LogStore } from "./log-store.ts";
import { entryBytes } from "./raft/memory-storage.ts";
import type { Entry, HardState, SnapshotMeta } from "./raft/types.ts";

export class SqliteRaftStorage implements DriverLog {
  /** Term and vote as last fsynced: a change of either must be durable before anything is sent. */
  private durableTerm: number;
  private durableVote: number;

  constructor(private readonly store: LogStore) {
    ({ term: this.durableTerm, vote: this.durableVote } = store.hardState());
  }

  firstIndex(): number {
    return this.store.firstIndex();
  }

  snapshot(): SnapshotMeta {
    return this.store.snapshot();
  }

  lastIndex(): number {
    return this.store.lastIndex();
  }

  hardState(): HardState {
    return this.store.hardState();
  }

  compact(index: number): void {
    this.store.compact(index);
  }

  term(index: number): number | undefined {
    return this.store.term(index);
  }

  entries(lo: number, hiExclusive: number, maxBytes = Infinity): Entry[] {
    const entries = this.store.entries(lo, hiExclusive);
    let bytes = 0;
    for (let count = 0; count < entries.length; count++) {
      bytes += entryBytes(entries[count]!);
      // At least one entry, even past the limit, so a large entry still moves.
      if (bytes > maxBytes && count > 0) return entries.slice(0, count);
    }
    return entries;
  }

  /**
   * Persists a Ready's entries and hard state in one fsynced transaction.
   * Entries start where writing starts: a stored suffix from there on is a
   * conflict the leader overwrote, and goes first.
   */
  persist(entries: readonly Entry[], hardState: HardState | undefined): void {
    if (entries.length === 0 && hardState && this.onlyCommitMoved(hardState)) {
      // A heartbeat's new commit index: no fsync (see LogStore.saveHardState).
      this.store.saveHardState(hardState, { durable: false });
      return;
    }
    const first = entries[0];
    const truncateFrom = first && first.index <= this.store.lastIndex() ? first.index : undefined;
    this.store.append(entries, hardState, truncateFrom);
    if (hardState) ({ term: this.durableTerm, vote: this.durableVote } = hardState);
  }

  /**
   * A snapshot the core accepted (its state was installed, with the log
   * reset, before the core was told): record the point again with the
   * entries the core kept after it and the hard state, in one transaction.
   */
  persistSnapshot(snapshot: SnapshotMeta, entries: readonly Entry[], hardState: HardState | undefined): void {
    // One transaction: the point, then exactly the entries the core kept after it, then the hard state.
    this.store.durably(() => {
      this.store.resetToSnapshot(snapshot, false);
      this.store.reloadAfterReset();
      this.store.appendInTransaction(entries, hardState);
    });
    this.store.reloadAfterReset();
    if (hardState) ({ term: this.durableTerm, vote: this.durableVote } = hardState);
  }

  private onlyCommitMoved(hardState: HardState): boolean {
    return hardState.term === this.durableTerm && hardState.vote === this.durableVote;
  }
}
