/**
 * Opens a replica's SQLite file, refusing one that is corrupt, not ours or
 * from a newer version, and brings its schema up to date with the
 * drizzle-kit migrations in migrations/.
 */
import { Database } from "bun:sqlite";
import { chmodSync, closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";

/** PRAGMA application_id of our files: "Chat" in ASCII. */
export const chatApplicationId = 0x43686174;
const migrationsFolder = join(import.meta.dir, "..", "..", "migrations");
const sqliteHeader = "SQLite format 3\u0000";
/**
 * A replica's files hold password hashes, every message and the
 * exactly-once store: readable and writable by the replica's user only.
 */
export const databaseFileMode = 0o600;
/** How long a write waits for another process's reader (an inspector, a backup) before failing. */
export const busyTimeoutMs = 5000;

/** The database cannot be used; the message says why and what to do. */
export class DatabaseRefusedError extends Error {
  constructor(path: string, reason: string) {
    super(`refusing to open ${path}: ${reason}`);
    this.name = "DatabaseRefusedError";
  }
}

export function openDatabase(path: string): Database {
  if (path !== ":memory:") {
    checkHeader(path);
    restrictToOwner(path);
  }
  let db: Database;
  try {
    db = new Database(path, { create: true, strict: true });
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    db.exec("PRAGMA journal_mode = WAL");
    // The log store switches to FULL for its own commits (see LogStore.durably).
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    checkIntegrity(db, path);
  } catch (error) {
    if (error instanceof DatabaseRefusedError) throw error;
    throw new DatabaseRefusedError(path, `not a readable SQLite database (${(error as Error).message})`);
  }
  try {
    checkOwnership(db, path);
    checkSchemaVersion(db, path);
    migrate(drizzle(db), { migrationsFolder });
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Creates the file owner-only before SQLite opens it, and makes an older
 * one owner-only. SQLite creates a database file with mode 0644 less the
 * umask, and its -wal and -shm files with the database file's own mode
 * (robust_open and unixOpenSharedMemory in SQLite's src/os_unix.c), so a
 * database file made 0600 first covers all three; a -wal or -shm file left
 * by an older version is made owner-only too.
 */
function restrictToOwner(path: string): void {
  closeSync(openSync(path, "a", databaseFileMode));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) chmodSync(file, databaseFileMode);
  }
}

/** Refuses a file that does not start with SQLite's header (reads those 16 bytes only). */
export function checkHeader(path: string): void {
  if (!existsSync(path) || statSync(path).size === 0) return;
  const header = Buffer.alloc(sqliteHeader.length);
  const descriptor = openSync(path, "r");
  try {
    readSync(descriptor, header, 0, header.length, 0);
  } finally {
    closeSync(descriptor);
  }
  if (header.toString("latin1") !== sqliteHeader) {
    throw new DatabaseRefusedError(path, "not an SQLite database (bad file header)");
  }
}

export function checkIntegrity(db: Database, path: string): void {
  const rows = db.query("PRAGMA quick_check").all() as { quick_check: string }[];
  if (rows.length !== 1 || rows[0]!.quick_check !== "ok") {
    const detail = rows
      .map((row) => row.quick_check)
      .slice(0, 3)
      .join("; ");
    throw new DatabaseRefusedError(path, `the database is corrupt (${detail}); restore it from a replica`);
  }
}

function checkOwnership(db: Database, path: string): void {
  const { application_id: applicationId } = db.query("PRAGMA application_id").get() as { application_id: number };
  if (applicationId === chatApplicationId) return;
  const { count } = db.query("SELECT COUNT(*) AS count FROM sqlite_master").get() as { count: number };
  if (applicationId !== 0 || count > 0) {
    throw new DatabaseRefusedError(path, "this SQLite file does not belong to a chat replica");
  }
  db.exec(`PRAGMA application_id = ${chatApplicationId}`);
}

function checkSchemaVersion(db: Database, path: string): void {
  const known = knownMigrationCount();
  const table = db.query("SELECT name FROM sqlite_master WHERE name = '__drizzle_migrations'").get();
  if (!table) return;
  const { count } = db.query("SELECT COUNT(*) AS count FROM __drizzle_migrations").get() as { count: number };
  if (count > known) {
    throw new DatabaseRefusedError(path, `its schema is newer than this program (${count} migrations applied, ${known} known): run a newer version`);
  }
}

export function knownMigrationCount(): number {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, "meta", "_journal.json"), "utf8")) as {
    entries: unknown[];
  };
  return journal.entries.length;
}
