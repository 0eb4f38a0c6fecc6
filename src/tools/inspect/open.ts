/**
 * Opens a replica's database for inspection without changing it: read-only,
 * no migrations, no claiming of the application id. It applies the same
 * refusals as src/storage/database.ts (not SQLite, corrupt, not ours, newer
 * schema) plus one of its own: a schema older than this program, because
 * without migrations the tables the inspector reads may not exist.
 *
 * The header, integrity and migration-count checks are database.ts's own;
 * ownership is checked without claiming the file.
 */
import { Database } from "bun:sqlite";
import { statSync } from "node:fs";
import { chatApplicationId, checkHeader, checkIntegrity, DatabaseRefusedError, knownMigrationCount } from "../../storage/database.ts";
import { projectionTableNames } from "../../projections/hash.ts";

/** How long a read waits while a running replica holds a lock (WAL recovery, checkpoint). */
export const inspectBusyTimeoutMs = 5000;
const logTableNames = ["log_entries", "hard_state"];

/** Opens `path` read-only or throws DatabaseRefusedError saying why not. */
export function openDatabaseReadOnly(path: string): Database {
  checkFile(path);
  let db: Database;
  try {
    // readonly: SQLite itself refuses every write, so a bug here cannot damage a replica's file.
    db = new Database(path, { readonly: true, strict: true });
  } catch (error) {
    throw new DatabaseRefusedError(path, `not a readable SQLite database (${(error as Error).message})`);
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${inspectBusyTimeoutMs}`);
    checkIntegrity(db, path);
    checkOwnership(db, path);
    checkSchema(db, path);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof DatabaseRefusedError) throw error;
    throw new DatabaseRefusedError(path, `not a readable SQLite database (${(error as Error).message})`);
  }
}

/** Missing, empty or non-SQLite files are refused before SQLite sees them (it would create or misread them). */
function checkFile(path: string): void {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new DatabaseRefusedError(path, "not a regular file");
    size = stat.size;
  } catch (error) {
    if (error instanceof DatabaseRefusedError) throw error;
    throw new DatabaseRefusedError(path, "no such file");
  }
  if (size === 0) throw new DatabaseRefusedError(path, "the file is empty: no replica has written it");
  checkHeader(path);
}

function checkOwnership(db: Database, path: string): void {
  const { application_id: applicationId } = db.query("PRAGMA application_id").get() as { application_id: number };
  if (applicationId !== chatApplicationId) {
    throw new DatabaseRefusedError(path, "this SQLite file does not belong to a chat replica");
  }
}

function checkSchema(db: Database, path: string): void {
  const known = knownMigrationCount();
  const hasJournal = db.query("SELECT name FROM sqlite_master WHERE name = '__drizzle_migrations'").get();
  const applied = hasJournal ? (db.query("SELECT COUNT(*) AS count FROM __drizzle_migrations").get() as { count: number }).count : 0;
  if (applied > known) {
    throw new DatabaseRefusedError(path, `its schema is newer than this program (${applied} migrations, ${known} known)`);
  }
  if (applied < known) {
    throw new DatabaseRefusedError(path, `its schema is older than this program (${applied} of ${known} migrations): start its replica once to migrate it`);
  }
  for (const table of [...logTableNames, ...projectionTableNames]) {
    if (!db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(table)) {
      throw new DatabaseRefusedError(path, `table ${table} is missing`);
    }
  }
}
