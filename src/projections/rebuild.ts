/**
 * Rebuilds the projections from the log alone, in a fresh in-memory
 * database: the check that the chat tables are a pure function of the log
 * (the inspector's --replay and --at, and the property tests).
 */
import type { Database } from "bun:sqlite";
import type { Entry } from "../log/raft/types.ts";
import { LogStore } from "../log/log-store.ts";
import { openDatabase } from "../storage/database.ts";
import { Projections } from "./apply.ts";

/** Entries applied per transaction while rebuilding: bounds memory, not correctness. */
export const rebuildBatchEntriesMax = 1024;

/** The log to replay: a stored log, or entries in index order starting at 1. */
export type RebuildSource = Iterable<Entry> | LogStore;

/**
 * Applies the log from index 1 through `upTo` (inclusive; default: all of it)
 * to a fresh `:memory:` database and returns it. The caller closes it.
 * Throws if the log does not start at 1 (a compacted log cannot be replayed
 * from empty) or, via Projections.apply, if indexes are not contiguous.
 */
export function rebuildInMemory(source: RebuildSource, upTo?: number): Database {
  if (upTo !== undefined && (!Number.isSafeInteger(upTo) || upTo < 0)) {
    throw new Error(`rebuild: upTo must be a non-negative integer, not ${upTo}`);
  }
  const db = openDatabase(":memory:");
  try {
    const projections = new Projections(db);
    const batches = source instanceof LogStore ? storedBatches(source, upTo) : iterableBatches(source, upTo);
    for (const batch of batches) projections.apply(batch);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function* storedBatches(log: LogStore, upTo: number | undefined): Generator<Entry[]> {
  const last = Math.min(log.lastIndex(), upTo ?? Number.MAX_SAFE_INTEGER);
  if (last === 0) return;
  if (log.firstIndex() > 1) {
    throw new Error(`rebuild: the log starts at entry ${log.firstIndex()} (compacted); it cannot be replayed from empty`);
  }
  for (let start = 1; start <= last; start += rebuildBatchEntriesMax) {
    yield log.entries(start, Math.min(start + rebuildBatchEntriesMax, last + 1));
  }
}

function* iterableBatches(entries: Iterable<Entry>, upTo: number | undefined): Generator<Entry[]> {
  let batch: Entry[] = [];
  for (const entry of entries) {
    if (upTo !== undefined && entry.index > upTo) break;
    batch.push(entry);
    if (batch.length === rebuildBatchEntriesMax) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
