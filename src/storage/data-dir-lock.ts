/**
 * One process per data directory. Two replicas on one database would each
 * believe they own its log, vote and term (etcd and rqlite lock their data
 * directories for the same reason). The lock is an exclusive SQLite lock on a
 * file of its own, held for the life of the replica: the operating system
 * drops it when the process dies, even by kill -9, and SQLite also refuses a
 * second holder inside the same process (tests run several replicas in one).
 * The database itself stays open to readers (the inspector, snapshot reads).
 */
import { Database } from "bun:sqlite";
import { join } from "node:path";

export const lockFileName = "LOCK";

export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
  constructor(dataDir: string) {
    super(`${dataDir} is in use by another replica (it holds ${join(dataDir, lockFileName)}); stop that one first, or give another --data_dir`);
  }
}

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  const lock = new Database(join(dataDir, lockFileName), { create: true });
  try {
    lock.exec("PRAGMA busy_timeout = 0");
    lock.exec("PRAGMA locking_mode = EXCLUSIVE");
    lock.exec("BEGIN EXCLUSIVE");
  } catch {
    lock.close();
    throw new DataDirLockedError(dataDir);
  }
  return { release: () => lock.close() };
}
