/**
 * Backup files: what `admin backup` writes and `replica --restore` starts
 * from. A backup is a replica database without an identity: the chat
 * tables at one applied index, the applied index, the log reset to that
 * point (its term and the membership in force there) and nothing after it.
 * It is assembled exactly as a follower installs a snapshot
 * (installSnapshot), so restoring it is starting from an installed
 * snapshot; the exactly-once table and the membership are among the tables.
 */
import { copyFileSync, existsSync } from "node:fs";
import { LogStore } from "../log/log-store.ts";
import type { SnapshotMeta } from "../log/raft/types.ts";
import { installSnapshot, removeStaging, type SnapshotStaging } from "../projections/snapshot.ts";
import { openDatabase } from "../storage/database.ts";

/** Turns a complete, verified staging file into a backup file at `path` (one file: no write-ahead log beside it). */
export function assembleBackup(staging: SnapshotStaging, path: string): SnapshotMeta {
  const db = openDatabase(path);
  try {
    installSnapshot(db, new LogStore(db), staging);
    // A single self-contained file: fold the write-ahead log in and stop using one.
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    db.exec("PRAGMA journal_mode = DELETE");
  } finally {
    db.close();
  }
  return staging.header;
}

/** The data directory's database must not exist: a restore starts a new cluster, it never overwrites a server's data. */
export class RestoreRefusedError extends Error {
  override name = "RestoreRefusedError";
}

/**
 * Copies the backup to `databasePath` for the replica to open and make its
 * own. Refuses, changing nothing, when the backup is missing or the data
 * directory already holds a database. Returns the copy's path.
 */
export function placeBackup(backupPath: string, databasePath: string): string {
  if (!existsSync(backupPath)) throw new RestoreRefusedError(`--restore ${backupPath}: no such file`);
  if (existsSync(databasePath)) {
    throw new RestoreRefusedError(
      `--restore starts a new cluster in an empty data directory, but ${databasePath} exists: give another --data_dir, or move that one away first`,
    );
  }
  copyFileSync(backupPath, databasePath);
  return databasePath;
}

/** Removes a copied backup (and its write-ahead files) when the start failed before it became this server's. */
export function removeDatabaseFiles(databasePath: string): void {
  removeStaging(databasePath);
}
