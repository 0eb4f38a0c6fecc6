/**
 * What each replica holds once the chaos run has stopped it: its accounts
 * and messages and projection hash, as the history checker reads them, and
 * whether its tables equal a replay of its own log (src/projections/
 * rebuild.ts through the inspector's replay).
 */
import { join } from "node:path";
import type { ReplicaFinalState } from "../check/history.ts";
import { replicaFinalState } from "../check/replica-final-state.ts";
import { databaseFileName } from "../replica.ts";
import { openDatabaseReadOnly } from "../tools/inspect/open.ts";
import { replayAndCompare } from "../tools/inspect/replay.ts";

export interface ReplicaReport {
  state: ReplicaFinalState;
  appliedIndex: number;
  /** The stored tables equal a replay of the log; null when the log was compacted (no replay from empty). */
  replayEqual: boolean | null;
  differingTables: string[];
}

/** Reads replica `id`'s stopped database. */
export function readReplica(id: number, dataDir: string): ReplicaReport {
  const db = openDatabaseReadOnly(join(dataDir, databaseFileName));
  try {
    return db.transaction(() => {
      const state = replicaFinalState(`r${id}`, db);
      const firstIndex = (db.query("SELECT MIN(idx) AS first FROM log_entries").get() as { first: number | null }).first ?? 1;
      const applied = appliedIndexOf(db);
      if (firstIndex > 1) return { state, appliedIndex: applied, replayEqual: null, differingTables: [] };
      const report = replayAndCompare(db);
      return { state, appliedIndex: applied, replayEqual: report.equal, differingTables: report.differingTables };
    })();
  } finally {
    db.close();
  }
}

/** The applied index a replica's file holds now (read-only; safe while the replica runs). */
export function appliedIndex(dataDir: string): number {
  const db = openDatabaseReadOnly(join(dataDir, databaseFileName));
  try {
    return appliedIndexOf(db);
  } finally {
    db.close();
  }
}

function appliedIndexOf(db: ReturnType<typeof openDatabaseReadOnly>): number {
  const row = db.query("SELECT applied_index AS appliedIndex FROM applied_state WHERE id = 1").get() as { appliedIndex: number } | null;
  return row?.appliedIndex ?? 0;
}
