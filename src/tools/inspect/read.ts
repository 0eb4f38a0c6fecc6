/**
 * The inspector's reads: plain rows for each section, bounded by a limit,
 * with the count of rows left out. Works on a replica's file (read-only) or
 * on an in-memory rebuild alike: both have the same schema.
 */
import type { Database } from "bun:sqlite";
import { entryChecksum, type StoredLogEntry } from "../../log/entry.ts";
import { describeEntry } from "./describe.ts";

export interface Section<Row> {
  rows: Row[];
  /** Rows that exist beyond the limit. */
  more: number;
}

export interface UserRow {
  username: string;
  createdAtMs: number;
  createdIndex: number;
  unread: number;
}

export interface MessageSummaryRow {
  id: number;
  sentAtMs: number;
  sender: string;
  recipient: string;
  read: boolean;
  text: string;
}

export interface LogRow {
  index: number;
  term: number;
  type: string;
  operation: string | null;
  summary: string;
  /** False when the stored checksum does not match: the entry was torn or edited. */
  checksumOk: boolean;
}

export interface StoredState {
  firstIndex: number;
  lastIndex: number;
  /** Where the log was compacted to (0: never); entries up to it live on only in the tables. */
  snapshotIndex: number;
  snapshotTerm: number;
  /** The cluster's members as of the applied index (a projection of config entries). */
  members: { id: number; address: string; role: string }[];
  term: number;
  commitIndex: number;
  appliedIndex: number;
}

export function readUsers(db: Database, limit: number): Section<UserRow> {
  const rows = db
    .query(
      "SELECT username, created_at_ms AS createdAtMs, created_index AS createdIndex, " +
        "(SELECT COUNT(*) FROM messages m WHERE m.recipient = a.username AND m.read = 0) AS unread " +
        "FROM accounts a ORDER BY username LIMIT ?",
    )
    .all(limit) as UserRow[];
  return { rows, more: count(db, "SELECT COUNT(*) AS count FROM accounts") - rows.length };
}

export function readMessages(db: Database, limit: number): Section<MessageSummaryRow> {
  const rows = db.query("SELECT id, sent_at_ms AS sentAtMs, sender, recipient, read, text FROM messages ORDER BY id LIMIT ?").all(limit) as (Omit<
    MessageSummaryRow,
    "read"
  > & { read: number })[];
  return {
    rows: rows.map((row) => ({ ...row, read: row.read === 1 })),
    more: count(db, "SELECT COUNT(*) AS count FROM messages") - rows.length,
  };
}

/** Log entries with index ≤ `upTo`, oldest first; a bad checksum is shown, not thrown. */
export function readLog(db: Database, limit: number, upTo = Number.MAX_SAFE_INTEGER): Section<LogRow> {
  const stored = db
    .query("SELECT idx AS 'index', term, type, payload AS data, checksum FROM log_entries WHERE idx <= ? ORDER BY idx LIMIT ?")
    .all(upTo, limit) as StoredLogEntry[];
  const rows = stored.map((entry) => ({
    index: entry.index,
    term: entry.term,
    type: entry.type,
    ...describeEntry(entry),
    checksumOk: entryChecksum(entry) === entry.checksum,
  }));
  const total = (db.query("SELECT COUNT(*) AS count FROM log_entries WHERE idx <= ?").get(upTo) as { count: number }).count;
  return { rows, more: total - rows.length };
}

export function readStoredState(db: Database): StoredState {
  const bounds = db.query("SELECT MIN(idx) AS first, MAX(idx) AS last FROM log_entries").get() as {
    first: number | null;
    last: number | null;
  };
  const hard = db.query("SELECT term, commit_index AS commitIndex FROM hard_state WHERE id = 1").get() as {
    term: number;
    commitIndex: number;
  } | null;
  const applied = db.query("SELECT applied_index AS appliedIndex FROM applied_state WHERE id = 1").get() as {
    appliedIndex: number;
  } | null;
  const point = db.query("SELECT idx, term FROM snapshot_meta WHERE id = 1").get() as { idx: number; term: number } | null;
  const members = db.query("SELECT id, address, role FROM cluster_members ORDER BY id").all() as StoredState["members"];
  const snapshotIndex = point?.idx ?? 0;
  return {
    firstIndex: bounds.first ?? snapshotIndex + 1,
    lastIndex: bounds.last ?? snapshotIndex,
    snapshotIndex,
    snapshotTerm: point?.term ?? 0,
    members,
    term: hard?.term ?? 0,
    commitIndex: hard?.commitIndex ?? 0,
    appliedIndex: applied?.appliedIndex ?? 0,
  };
}

function count(db: Database, sql: string): number {
  return (db.query(sql).get() as { count: number }).count;
}
