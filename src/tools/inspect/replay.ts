/**
 * --replay and --at: rebuild the projections from the stored log in memory.
 * Replay goes up to the stored applied index, because entries after it are
 * in the log but not yet in the tables (a follower, or a crash between
 * append and apply); comparing past it would report a false difference.
 */
import type { Database } from "bun:sqlite";
import { LogStore } from "../../log/log-store.ts";
import { differingTables, projectionHash, projectionTableHashes } from "../../projections/hash.ts";
import { rebuildInMemory } from "../../projections/rebuild.ts";
import { readStoredState, type StoredState } from "./read.ts";

export interface ReplayReport {
  state: StoredState;
  storedHash: string;
  rebuiltHash: string;
  equal: boolean;
  /** Tables whose rows differ, in hashing order; empty when equal. */
  differingTables: string[];
}

/** Rebuilds through the applied index and compares; one read transaction, so a running replica cannot skew it. */
export function replayAndCompare(db: Database): ReplayReport {
  return db.transaction(() => {
    const state = readStoredState(db);
    const rebuilt = rebuildInMemory(new LogStore(db), state.appliedIndex);
    try {
      const storedHash = projectionHash(db);
      const rebuiltHash = projectionHash(rebuilt);
      const equal = storedHash === rebuiltHash;
      const differing = equal ? [] : differingTables(projectionTableHashes(db), projectionTableHashes(rebuilt));
      return { state, storedHash, rebuiltHash, equal, differingTables: differing };
    } finally {
      rebuilt.close();
    }
  })();
}

/** The projections as of log entry `index` (0 = empty), in a new in-memory database the caller closes. */
export function rebuildAt(db: Database, index: number): Database {
  return db.transaction(() => rebuildInMemory(new LogStore(db), index))();
}
