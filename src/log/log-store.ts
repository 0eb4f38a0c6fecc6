/**
 * The operation log in SQLite: append (one transaction, fsynced before it
 * returns), read ranges, truncate a conflicting suffix, and the hard state
 * (term, vote, commit). Raw prepared statements: this is the hot path.
 */
import type { Database, Statement } from "bun:sqlite";
import { CorruptLogError, entryChecksum, verifyEntry, type StoredLogEntry } from "./entry.ts";
import { parseMembership, type Membership } from "./membership.ts";
import type { Entry, HardState } from "./raft/types.ts";

/** Where the log was compacted to; index 0 when it never was. */
export interface SnapshotPoint {
  index: number;
  term: number;
  membership: Membership | null;
}

export class LogStore {
  private readonly insertEntry: Statement;
  private readonly selectRange: Statement<StoredLogEntry, [number, number]>;
  private readonly selectTerm: Statement<{ term: number }, [number]>;
  private readonly deleteFrom: Statement;
  private readonly upsertHardState: Statement;
  private lastIndexCache: number;
  private firstIndexCache: number;
  private snapshotCache: SnapshotPoint;

  /**
   * `afterSync` runs after each fsynced commit: everything written to the
   * database up to then is durable (the simulator keeps an image of the
   * "disk" there, so a simulated power cut loses exactly what was not synced).
   */
  constructor(
    private readonly db: Database,
    private readonly afterSync: () => void = () => {},
  ) {
    this.insertEntry = db.prepare("INSERT INTO log_entries (idx, term, type, payload, checksum) VALUES (?, ?, ?, ?, ?)");
    this.selectRange = db.prepare("SELECT idx AS 'index', term, type, payload AS data, checksum FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx");
    this.selectTerm = db.prepare("SELECT term FROM log_entries WHERE idx = ?");
    this.deleteFrom = db.prepare("DELETE FROM log_entries WHERE idx >= ?");
    this.upsertHardState = db.prepare(
      "INSERT INTO hard_state (id, term, vote, commit_index) VALUES (1, ?, ?, ?) " +
        "ON CONFLICT(id) DO UPDATE SET term = excluded.term, vote = excluded.vote, commit_index = excluded.commit_index",
    );
    this.snapshotCache = this.readSnapshotPoint();
    const bounds = db.query("SELECT MIN(idx) AS first, MAX(idx) AS last FROM log_entries").get() as {
      first: number | null;
      last: number | null;
    };
    this.firstIndexCache = bounds.first ?? this.snapshotCache.index + 1;
    this.lastIndexCache = bounds.last ?? this.snapshotCache.index;
  }

  /** The compaction point: entries up to it are gone. */
  snapshot(): SnapshotPoint {
    return this.snapshotCache;
  }

  firstIndex(): number {
    return this.firstIndexCache;
  }

  lastIndex(): number {
    return this.lastIndexCache;
  }

  term(index: number): number | undefined {
    if (index === 0) return 0;
    if (index === this.snapshotCache.index) return this.snapshotCache.term;
    return this.selectTerm.get(index)?.term;
  }

  /**
   * Drops the entries up to `index` (their effect is in the projections) and
   * records the point with its term and the membership as of it: the last
   * config entry at or before `index`, else the previous point's (a log
   * always starts with one or the other: bootstrap.ts).
   */
  compact(index: number): void {
    if (index <= this.snapshotCache.index) return;
    if (index > this.lastIndexCache) throw new Error(`cannot compact to ${index}: the log ends at ${this.lastIndexCache}`);
    const term = this.term(index)!;
    const config = this.latestConfigPayload(index);
    const membership = config ? parseMembership(config) : this.snapshotCache.membership;
    if (!membership) throw new Error(`cannot compact to ${index}: no membership recorded at or before it`);
    this.durably(() => {
      this.db.run("DELETE FROM log_entries WHERE idx <= ?", [index]);
      this.saveSnapshotPoint({ index, term, membership });
    });
    this.snapshotCache = { index, term, membership };
    this.firstIndexCache = index + 1;
  }

  /** The payload of the last config entry at or before `index` still in the log, if any. */
  latestConfigPayload(index = Number.MAX_SAFE_INTEGER): string | null {
    const row = this.db.query("SELECT payload FROM log_entries WHERE type = 'config' AND idx <= ? ORDER BY idx DESC LIMIT 1").get(index) as {
      payload: string;
    } | null;
    return row?.payload ?? null;
  }

  /**
   * Inside the caller's transaction (a snapshot install): entries up to the
   * point go, since the state replaces them. Entries after it stay only if
   * the entry at the point has the snapshot's term (then they extend the
   * same history, and this replica may already have acknowledged them);
   * otherwise the whole log goes and the leader resends what follows. The
   * commit index rises to the point, in the same transaction as the state.
   */
  resetToSnapshot(point: SnapshotPoint & { membership: Membership }, keepMatchingTail = true): void {
    const matches = keepMatchingTail && this.term(point.index) === point.term;
    if (matches) this.db.run("DELETE FROM log_entries WHERE idx <= ?", [point.index]);
    else this.db.run("DELETE FROM log_entries");
    this.saveSnapshotPoint(point);
    this.db.run(
      "INSERT INTO hard_state (id, term, vote, commit_index) VALUES (1, 0, 0, ?1) " + "ON CONFLICT(id) DO UPDATE SET commit_index = MAX(commit_index, ?1)",
      [point.index],
    );
  }

  /** After the install transaction committed: the caches follow the disk. */
  reloadAfterReset(): void {
    this.snapshotCache = this.readSnapshotPoint();
    const last = this.db.query("SELECT MAX(idx) AS last FROM log_entries").get() as { last: number | null };
    this.firstIndexCache = this.snapshotCache.index + 1;
    this.lastIndexCache = last.last ?? this.snapshotCache.index;
  }

  private saveSnapshotPoint(point: SnapshotPoint): void {
    this.db.run(
      "INSERT INTO snapshot_meta (id, idx, term, membership) VALUES (1, ?, ?, ?) " +
        "ON CONFLICT(id) DO UPDATE SET idx = excluded.idx, term = excluded.term, membership = excluded.membership",
      [point.index, point.term, JSON.stringify(point.membership)],
    );
  }

  private readSnapshotPoint(): SnapshotPoint {
    const row = this.db.query("SELECT idx, term, membership FROM snapshot_meta WHERE id = 1").get() as {
      idx: number;
      term: number;
      membership: string;
    } | null;
    return row ? { index: row.idx, term: row.term, membership: parseMembership(row.membership) } : { index: 0, term: 0, membership: null };
  }

  /** Entries in [from, toExclusive), checksums verified. */
  entries(from: number, toExclusive: number): Entry[] {
    return this.selectRange.all(from, toExclusive).map(verifyEntry);
  }

  /**
   * Appends entries in one transaction. Entries must continue the log
   * (callers truncate a conflicting suffix first, in the same call via
   * `truncateFrom`). Durable when this returns (the commit fsyncs).
   */
  append(entries: readonly Entry[], hardState?: HardState, truncateFrom?: number): void {
    const lastIndexBefore = this.lastIndexCache;
    try {
      this.appendTransaction(entries, hardState, truncateFrom);
    } catch (error) {
      this.lastIndexCache = lastIndexBefore; // the transaction rolled back
      throw error;
    }
  }

  private appendTransaction(entries: readonly Entry[], hardState?: HardState, truncateFrom?: number): void {
    this.durably(() => {
      if (truncateFrom !== undefined) this.truncateSuffix(truncateFrom);
      this.appendInTransaction(entries, hardState);
    });
  }

  /** The body of an append, for a caller that already holds a durable transaction. */
  appendInTransaction(entries: readonly Entry[], hardState?: HardState): void {
    for (const entry of entries) {
      if (entry.index !== this.lastIndexCache + 1) {
        throw new Error(`log append out of order: ${entry.index} after ${this.lastIndexCache}`);
      }
      this.insertEntry.run(entry.index, entry.term, entry.type, entry.data, entryChecksum(entry));
      this.lastIndexCache = entry.index;
    }
    if (hardState) this.upsertHardState.run(hardState.term, hardState.vote, hardState.commit);
  }

  /**
   * Runs `body` in a transaction whose commit fsyncs the WAL. The connection
   * otherwise runs with synchronous = NORMAL: projections are rebuilt from
   * the log after a crash, so their commits need no fsync of their own, and
   * a WAL fsync also makes every earlier frame durable. Public for callers
   * that write the log together with other tables (a snapshot install).
   */
  durably(body: () => void): void {
    this.db.exec("PRAGMA synchronous = FULL");
    try {
      // IMMEDIATE takes the write lock up front, so a busy reader elsewhere is waited for, not a failure.
      this.db.transaction(body).immediate();
    } finally {
      this.db.exec("PRAGMA synchronous = NORMAL");
    }
    this.afterSync();
  }

  /** Reads every entry once, checking checksums and contiguity; throws CorruptLogError. */
  verify(chunkEntries = 10_000): void {
    let expected = this.firstIndexCache;
    for (let from = this.firstIndexCache; from <= this.lastIndexCache; from += chunkEntries) {
      for (const entry of this.entries(from, from + chunkEntries)) {
        if (entry.index !== expected) throw new CorruptLogError(expected, "missing from the log");
        expected += 1;
      }
    }
    if (expected !== this.lastIndexCache + 1) throw new CorruptLogError(expected, "missing from the log");
  }

  /**
   * Saves term, vote and commit. `durable: false` skips the fsync: only for
   * a change of the commit index alone, which Raft can relearn from the
   * leader after a crash (term and vote must never go back).
   */
  saveHardState(hardState: HardState, options: { durable: boolean } = { durable: true }): void {
    const save = () => this.upsertHardState.run(hardState.term, hardState.vote, hardState.commit);
    if (options.durable) this.durably(save);
    else save();
  }

  hardState(): HardState {
    const row = this.db.query("SELECT term, vote, commit_index AS 'commit' FROM hard_state WHERE id = 1").get() as HardState | null;
    return row ?? { term: 0, vote: 0, commit: 0 };
  }

  private truncateSuffix(from: number): void {
    this.deleteFrom.run(from);
    this.lastIndexCache = Math.min(this.lastIndexCache, from - 1);
  }
}
