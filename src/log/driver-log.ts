/**
 * The log as the driver needs it: the core's read-only view (LogStorage)
 * plus the writes the driver makes for each Ready and for compaction. The
 * replica's is SQLite (src/log/raft-storage.ts); the consensus simulator's
 * is in memory (src/tools/sim/memory-log.ts). Both run the same driver.
 */
import type { Entry, HardState, LogStorage, SnapshotMeta } from "./raft/types.ts";

export interface DriverLog extends LogStorage {
  snapshot(): SnapshotMeta;
  hardState(): HardState;
  /** A Ready's entries (a stored suffix from their first index on is overwritten) and hard state, durably, in one write. */
  persist(entries: readonly Entry[], hardState: HardState | undefined): void;
  /** A snapshot the core accepted: its point, the entries the core kept after it and the hard state, in one write. */
  persistSnapshot(snapshot: SnapshotMeta, entries: readonly Entry[], hardState: HardState | undefined): void;
  /** Drops the entries up to `index` (applied, hence committed), keeping the membership in force there. */
  compact(index: number): void;
}
