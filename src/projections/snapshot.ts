/**
 * Snapshots of the projections, for a replica too far behind the leader's
 * compacted log (or a new one).
 *
 * Reading: a separate read-only connection holds one read transaction, so
 * the chunks describe the tables at one applied index while the replica
 * keeps writing; chunks are cut by bytes and the event loop runs between
 * them, so writes do not stall.
 *
 * Installing: chunks go into a staging file beside the database; only a
 * complete, verified staging file is copied into the live tables, in one
 * fsynced transaction together with the log reset. A crash at any point
 * leaves either the previous state or the new one, never a mix.
 */
import { Database } from "bun:sqlite";
import { createHash, type Hash } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { ReadOnlyLog, type LogStore } from "../log/log-store.ts";
import type { SnapshotMeta } from "../log/raft/types.ts";
import type { IncomingSnapshot, OutgoingSnapshot } from "../log/snapshot-port.ts";
import { openDatabase } from "../storage/database.ts";

/** Bytes of row data in one chunk; well under the gRPC message limit. */
export const snapshotChunkBytesMax = 256 * 1024;
/** Rows read per query while filling a chunk. */
const rowsPerQuery = 500;

/** The tables a snapshot carries, with their columns in a fixed order. */
export const snapshotTables: Record<string, readonly string[]> = {
  accounts: ["username", "password_hash", "created_at_ms", "created_index"],
  sessions: ["token_hash", "username", "created_at_ms", "last_used_at_ms", "idle_ms"],
  messages: ["id", "sender", "recipient", "text", "sent_at_ms", "read"],
  client_results: ["client_id", "seq", "result", "binding", "at_ms", "log_index"],
  client_windows: ["client_id", "forgotten_through_seq"],
  cluster_members: ["id", "address", "role"],
};

export interface SnapshotChunk {
  table: string;
  /** JSON array of rows, each an array of column values in snapshotTables order. */
  rows: string;
  rowCount: number;
  crc32: number;
}

export class SnapshotError extends Error {}

/**
 * Opens a consistent view of the projections at their applied index. The
 * caller reads `header`, then iterates `chunks()`, then calls `close()`.
 */
export class SnapshotReader implements OutgoingSnapshot {
  /** The log's point at the applied index: the core's own snapshot metadata, streamed as the header. */
  readonly header: SnapshotMeta;
  private readonly db: Database;
  private closed = false;

  /**
   * `source`: the replica's database file (read through a connection of its
   * own), or a database this reader owns and closes (the simulator passes a
   * copy of its in-memory disk).
   */
  constructor(source: string | Database) {
    this.db = typeof source === "string" ? new Database(source, { readonly: true, strict: true }) : source;
    this.db.exec("PRAGMA busy_timeout = 5000");
    this.db.exec("BEGIN"); // one read transaction: every chunk sees the same applied index
    try {
      this.header = this.readHeader();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  async *chunks(): AsyncGenerator<SnapshotChunk> {
    for (const [table, columns] of Object.entries(snapshotTables)) {
      let afterRowid = -Infinity;
      let pending: string[] = [];
      let pendingBytes = 0;
      for (;;) {
        const rows = this.db
          .query(`SELECT rowid AS _rowid, ${columns.join(", ")} FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
          .values(afterRowid === -Infinity ? Number.MIN_SAFE_INTEGER : afterRowid, rowsPerQuery);
        for (const row of rows) {
          afterRowid = row[0] as number;
          const encoded = JSON.stringify(row.slice(1));
          pending.push(encoded);
          pendingBytes += encoded.length + 1;
          if (pendingBytes >= snapshotChunkBytesMax) {
            yield makeChunk(table, pending);
            pending = [];
            pendingBytes = 0;
          }
        }
        if (rows.length < rowsPerQuery) break;
        await new Promise((resolve) => setImmediate(resolve)); // let the replica serve between reads
      }
      if (pending.length > 0) yield makeChunk(table, pending);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.exec("COMMIT");
    this.db.close();
  }

  /**
   * About how many rows the snapshot will carry, for progress reports. The
   * largest rowid, not COUNT(*): a count scans a million-row table while the
   * leader's event loop waits.
   */
  totalRows(): number {
    let total = 0;
    for (const table of Object.keys(snapshotTables)) {
      total += (this.db.query(`SELECT IFNULL(MAX(rowid), 0) AS n FROM ${table}`).get() as { n: number }).n;
    }
    return total;
  }

  /** Inside the read transaction: the point of the log the streamed tables were applied through. */
  private readHeader(): SnapshotMeta {
    const applied = this.db.query("SELECT applied_index AS i FROM applied_state WHERE id = 1").get() as { i: number } | null;
    try {
      return new ReadOnlyLog(this.db).pointAt(applied?.i ?? 0);
    } catch (error) {
      throw new SnapshotError(`cannot describe the applied state: ${(error as Error).message}`);
    }
  }
}

function makeChunk(table: string, encodedRows: string[]): SnapshotChunk {
  const rows = `[${encodedRows.join(",")}]`;
  return { table, rows, rowCount: encodedRows.length, crc32: Bun.hash.crc32(rows) };
}

/** The digest both ends compute over the chunks, in order. */
export function chunkDigest(): Hash {
  return createHash("sha256");
}

export function addToDigest(digest: Hash, chunk: SnapshotChunk): void {
  digest.update(chunk.table).update("\u0000").update(chunk.rows).update("\u0000");
}

/**
 * Receives chunks into a staging file. `finish(digest)` verifies the whole
 * snapshot; `install` then swaps it in atomically.
 */
export class SnapshotStaging implements IncomingSnapshot {
  private readonly db: Database;
  private readonly digest = chunkDigest();
  private bytes = 0;
  private rows = 0;

  constructor(
    readonly path: string,
    readonly header: SnapshotMeta,
  ) {
    removeStaging(path);
    this.db = openDatabase(path);
    // Nothing here needs to survive a crash (a half-received snapshot is deleted at start, and the
    // install copies into the live database in its own fsynced transaction): no fsyncs, no
    // checkpoints while rows stream in, so the transfer does not compete with the replicas' fsyncs.
    this.db.exec("PRAGMA synchronous = OFF");
    this.db.exec("PRAGMA wal_autocheckpoint = 0");
  }

  get receivedBytes(): number {
    return this.bytes;
  }

  get receivedRows(): number {
    return this.rows;
  }

  add(chunk: SnapshotChunk): void {
    const columns = snapshotTables[chunk.table];
    if (!columns) throw new SnapshotError(`unknown table "${chunk.table}" in snapshot`);
    if (Bun.hash.crc32(chunk.rows) !== chunk.crc32) throw new SnapshotError(`chunk of ${chunk.table} fails its checksum`);
    const rows = JSON.parse(chunk.rows) as unknown[][];
    const insert = this.db.prepare(`INSERT INTO ${chunk.table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`);
    this.db.transaction(() => {
      for (const row of rows) {
        if (!Array.isArray(row) || row.length !== columns.length) throw new SnapshotError(`malformed row in ${chunk.table}`);
        insert.run(...(row as (string | number)[]));
      }
    })();
    addToDigest(this.digest, chunk);
    this.bytes += chunk.rows.length;
    this.rows += rows.length;
  }

  /** Verifies the digest of everything received; the staging file is then complete on disk. */
  finish(expectedDigest: string): void {
    const actual = this.digest.digest("hex");
    if (actual !== expectedDigest) throw new SnapshotError("snapshot digest mismatch: the transfer was corrupted");
    this.db.close();
  }

  /** Drops this transfer's own file; safe to call more than once. */
  abort(): void {
    try {
      this.db.close();
    } catch {
      // already closed
    }
    removeStaging(this.path);
  }
}

/**
 * Replaces the live projections with the staging file's and resets the log
 * to the snapshot point, in one fsynced transaction; then removes the
 * staging file. Throws (changing nothing) if the transaction fails.
 */
export function installSnapshot(db: Database, log: LogStore, staging: SnapshotStaging): void {
  const { header, path } = staging;
  db.run("ATTACH DATABASE ? AS incoming", [path]);
  try {
    log.durably(() => {
      for (const [table, columns] of Object.entries(snapshotTables)) {
        db.run(`DELETE FROM main.${table}`);
        db.run(`INSERT INTO main.${table} (${columns.join(", ")}) SELECT ${columns.join(", ")} FROM incoming.${table}`);
      }
      // Derived, so not carried: counted again (see unreadCounts in schema.ts).
      db.run("DELETE FROM main.unread_counts");
      db.run("INSERT INTO main.unread_counts (username, unread) SELECT recipient, COUNT(*) FROM main.messages WHERE read = 0 GROUP BY recipient");
      db.run("INSERT INTO main.applied_state (id, applied_index) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET applied_index = excluded.applied_index", [
        header.index,
      ]);
      log.resetToSnapshot(header);
    });
  } finally {
    db.run("DETACH DATABASE incoming");
  }
  log.reloadAfterReset();
  removeStaging(path);
}

/** A staging file left by a crash mid-transfer is useless: remove it and its WAL. */
export function removeStaging(path: string): void {
  for (const suffix of ["", "-wal", "-shm"]) {
    if (existsSync(path + suffix)) rmSync(path + suffix, { force: true });
  }
}
