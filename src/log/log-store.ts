/**
 * The operation log in SQLite: append (one transaction, fsynced before it
 * returns), read ranges, truncate a conflicting suffix, and the hard state
 * (term, vote, commit). Raw prepared statements: this is the hot path.
 */
import type { Database, Statement } from "bun:sqlite";
import { CorruptLogError, entryChecksum, verifyEntry, type StoredLogEntry } from "./entry.ts";
import { parseMembership } from "./membership.ts";
import { noSnapshot } from "./raft/memory-storage.ts";
import type { Entry, HardState, SnapshotMeta } from "./raft/types.ts";
import { TermRuns } from "./term-runs.ts";

/** The membership in force at an index, and the index of the config entry it came from (when known). */
export type MembershipAt = Pick<SnapshotMeta, "membership" | "configIndex">;

/**
 * Queries of the stored log that write nothing, on any connection: the
 * snapshot reader runs them inside its own read transaction, so the point it
 * describes is the one of the tables it streams.
 */
export class ReadOnlyLog {
  constructor(private readonly db: Database) {}

  /** The compaction point: entries up to it are gone; index 0 when the log never was compacted. */
  snapshot(): SnapshotMeta {
    const row = this.db.query("SELECT idx, term, membership, config_index FROM snapshot_meta WHERE id = 1").get() as {
      idx: number;
      term: number;
      membership: string;
      config_index: number | null;
    } | null;
    if (!row) return noSnapshot;
    const point = { index: row.idx, term: row.term, membership: parseMembership(row.membership) };
    return row.config_index === null ? point : { ...point, configIndex: row.config_index };
  }

  /** undefined when the index was compacted away (other than the point itself) or is not written yet. */
  term(index: number): number | undefined {
    if (index === 0) return 0;
    const stored = this.db.query("SELECT term FROM log_entries WHERE idx = ?").get(index) as { term: number } | null;
    if (stored) return stored.term;
    const point = this.snapshot();
    return point.index === index ? point.term : undefined;
  }

  /**
   * The membership in force at `index`: the last config entry at or before
   * it, else the compaction point's (a log always starts with one or the
   * other: src/log/identity.ts); null when neither exists.
   */
  membershipAt(index: number): MembershipAt | null {
    const config = this.db.query("SELECT idx, payload AS data FROM log_entries WHERE type = 'config' AND idx <= ? ORDER BY idx DESC LIMIT 1").get(index) as {
      idx: number;
      data: string;
    } | null;
    if (config) return { membership: parseMembership(config.data), configIndex: config.idx };
    const point = this.snapshot();
    if (point.index === 0) return null;
    return point.configIndex === undefined ? { membership: point.membership } : { membership: point.membership, configIndex: point.configIndex };
  }

  /** What a compaction or a snapshot at `index` records: its term, and the membership in force there with its config entry's index. */
  pointAt(index: number): SnapshotMeta {
    const term = this.term(index);
    if (term === undefined) throw new Error(`no term known for index ${index}: compacted away or not written`);
    const membership = this.membershipAt(index);
    if (!membership) throw new Error(`no membership recorded at or before index ${index}`);
    return { index, term, ...membership };
  }
}

export class LogStore {
  private readonly insertEntry: Statement;
  private readonly selectRange: Statement<StoredLogEntry, [number, number]>;
  private readonly selectTerm: Statement<{ term: number }, [number]>;
  private readonly deleteFrom: Statement;
  private readonly upsertHardState: Statement;
  private lastIndexCache: number;
  private firstIndexCache: number;
  private snapshotCache: SnapshotMeta;
  private readonly recentTerms: TermRuns;
  private readonly stored: ReadOnlyLog;

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
    this.stored = new ReadOnlyLog(db);
    this.snapshotCache = this.stored.snapshot();
    const bounds = db.query("SELECT MIN(idx) AS first, MAX(idx) AS last FROM log_entries").get() as {
      first: number | null;
      last: number | null;
    };
    this.firstIndexCache = bounds.first ?? this.snapshotCache.index + 1;
    this.lastIndexCache = bounds.last ?? this.snapshotCache.index;
    this.recentTerms = new TermRuns(this.lastIndexCache + 1);
  }

  /** The compaction point: entries up to it are gone. */
  snapshot(): SnapshotMeta {
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
    if (index >= this.firstIndexCache && index <= this.lastIndexCache) {
      const recent = this.recentTerms.term(index);
      if (recent !== undefined) return recent;
    }
    return this.selectTerm.get(index)?.term;
  }

  /**
   * Drops the entries up to `index` (their effect is in the projections) and
   * records the point with its term, the membership in force there and the
   * index of the config entry it came from (ReadOnlyLog.pointAt).
   */
  compact(index: number): void {
    if (index <= this.snapshotCache.index) return;
    if (index > this.lastIndexCache) throw new Error(`cannot compact to ${index}: the log ends at ${this.lastIndexCache}`);
    const point = this.stored.pointAt(index);
    this.durably(() => {
      this.db.run("DELETE FROM log_entries WHERE idx <= ?", [index]);
      this.saveSnapshotPoint(point);
    });
    this.snapshotCache = point;
    this.firstIndexCache = index + 1;
  }

  /** The membership in force at `index` (default: the end of the log), or null when none is recorded. */
  membershipAt(index = this.lastIndexCache): MembershipAt | null {
    return this.stored.membershipAt(index);
  }

  /** What a snapshot of the state applied through `index` records (see ReadOnlyLog.pointAt). */
  pointAt(index: number): SnapshotMeta {
    return this.stored.pointAt(index);
  }

  /**
   * Inside the caller's transaction (a snapshot install): entries up to the
   * point go, since the state replaces them. Entries after it stay only if
   * the entry at the point has the snapshot's term (then they extend the
   * same history, and this replica may already have acknowledged them);
   * otherwise the whole log goes and the leader resends what follows. The
   * commit index rises to the point, in the same transaction as the state.
   */
  resetToSnapshot(point: SnapshotMeta, keepMatchingTail = true): void {
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
    this.snapshotCache = this.stored.snapshot();
    const last = this.db.query("SELECT MAX(idx) AS last FROM log_entries").get() as { last: number | null };
    this.firstIndexCache = this.snapshotCache.index + 1;
    this.lastIndexCache = last.last ?? this.snapshotCache.index;
    this.recentTerms.forget(this.lastIndexCache + 1);
  }

  private saveSnapshotPoint(point: SnapshotMeta): void {
    this.db.run(
      "INSERT INTO snapshot_meta (id, idx, term, membership, config_index) VALUES (1, ?, ?, ?, ?) " +
        "ON CONFLICT(id) DO UPDATE SET idx = excluded.idx, term = excluded.term, membership = excluded.membership, config_index = excluded.config_index",
      [point.index, point.term, JSON.stringify(point.membership), point.configIndex ?? null],
    );
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
      this.recentTerms.forget(lastIndexBefore + 1);
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
      this.recentTerms.appended(entry.index, entry.term);
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
    this.recentTerms.truncatedFrom(from);
  }
}
