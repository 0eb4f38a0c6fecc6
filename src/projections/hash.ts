/**
 * A fingerprint of the projections: SHA-256 over every row of the chat
 * tables, each in primary-key order, with an encoding that keeps the SQLite
 * storage type of every value. Two databases hash equal exactly when their
 * chat tables hold the same rows, which is how a replay from the log is
 * checked against the stored tables (docs/safety-rules.md, "Projections").
 */
import type { Database } from "bun:sqlite";
import { createHash, type Hash } from "node:crypto";
import { getTableName } from "drizzle-orm";
import { accounts, appliedState, clientResults, clientWindows, clusterMembers, messages, sessions, unreadCounts } from "./schema.ts";

/** Every projection table, in hashing order. The log tables are not projections. */
export const projectionTableNames: readonly string[] = [
  accounts,
  sessions,
  messages,
  unreadCounts,
  clientResults,
  clientWindows,
  clusterMembers,
  appliedState,
].map((table) => getTableName(table));

interface ColumnInfo {
  name: string;
  /** Position in the primary key, 1-based; 0 when not part of it. */
  pk: number;
}

/** SHA-256 (hex) of all projection tables together. */
export function projectionHash(db: Database): string {
  const hash = createHash("sha256");
  readConsistently(db, () => {
    for (const table of projectionTableNames) hashTable(db, table, hash);
  });
  return hash.digest("hex");
}

/** SHA-256 (hex) of each projection table alone: says which table differs. */
export function projectionTableHashes(db: Database): Record<string, string> {
  const hashes: Record<string, string> = {};
  readConsistently(db, () => {
    for (const table of projectionTableNames) {
      const hash = createHash("sha256");
      hashTable(db, table, hash);
      hashes[table] = hash.digest("hex");
    }
  });
  return hashes;
}

/** Names of the tables whose hashes differ between two `projectionTableHashes` results. */
export function differingTables(left: Record<string, string>, right: Record<string, string>): string[] {
  return projectionTableNames.filter((table) => left[table] !== right[table]);
}

/**
 * One read transaction, so all tables come from the same snapshot even while
 * a replica writes (WAL). A transaction already open is reused (savepoint).
 */
function readConsistently(db: Database, read: () => void): void {
  db.transaction(read)();
}

function hashTable(db: Database, table: string, hash: Hash): void {
  const columns = db.query(`PRAGMA table_info(${quoteIdentifier(table)})`).all() as ColumnInfo[];
  if (columns.length === 0) throw new Error(`projection table ${table} does not exist`);
  // The header makes a schema change (a renamed or added column) change the hash too.
  writeField(hash, `table ${table}`);
  writeField(hash, columns.map((column) => column.name).join(","));
  const keyColumns = columns.filter((column) => column.pk > 0).sort((a, b) => a.pk - b.pk);
  // A table without a declared key still has a total order on all its columns.
  const order = (keyColumns.length > 0 ? keyColumns : columns).map((column) => quoteIdentifier(column.name));
  // typeof() beside each value: integer 1 and real 1.0 are one JS number but different rows.
  const selected = columns.flatMap((column) => [`typeof(${quoteIdentifier(column.name)})`, quoteIdentifier(column.name)]);
  const statement = db.prepare(`SELECT ${selected.join(", ")} FROM ${quoteIdentifier(table)} ORDER BY ${order.join(", ")}`);
  // Exact integers beyond 2^53 as well.
  statement.safeIntegers(true);
  const names = statement.columnNames;
  let rows = 0;
  try {
    // Streamed row by row: a large messages table is never held in memory at once.
    for (const row of statement.iterate() as Iterable<Record<string, unknown>>) {
      writeField(hash, "row");
      for (let at = 0; at < names.length; at += 2) writeValue(hash, row[names[at]!] as string, row[names[at + 1]!]);
      rows += 1;
    }
  } finally {
    statement.finalize();
  }
  writeField(hash, `end ${table} ${rows}`);
}

function writeValue(hash: Hash, sqliteType: string, value: unknown): void {
  if (value instanceof Uint8Array) {
    writeField(hash, sqliteType);
    writeBytes(hash, value);
    return;
  }
  writeField(hash, sqliteType);
  writeField(hash, value === null ? "" : String(value));
}

/** Length-prefixed, so no two different sequences of fields encode alike. */
function writeField(hash: Hash, text: string): void {
  writeBytes(hash, Buffer.from(text, "utf8"));
}

function writeBytes(hash: Hash, bytes: Uint8Array): void {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  hash.update(length);
  hash.update(bytes);
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
