import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseRefusedError, openDatabase } from "../../src/storage/database.ts";
import { temporaryDirectory } from "../support/replica.ts";

const directories: { remove(): void }[] = [];

function tempPath(name = "chat.db"): string {
  const directory = temporaryDirectory("chat-db-");
  directories.push(directory);
  return join(directory.path, name);
}

afterEach(() => {
  for (const directory of directories.splice(0)) directory.remove();
});

/** Runs `body` with the usual umask (group and others may read new files), whatever the test runner's is. */
function withUsualUmask(body: () => void): void {
  const previous = process.umask(0o022);
  try {
    body();
  } finally {
    process.umask(previous);
  }
}

const permissions = (path: string) => statSync(path).mode & 0o777;

describe("who may read a replica's files", () => {
  test("a new database file, its WAL and its shared-memory file are readable and writable by their owner only", () => {
    withUsualUmask(() => {
      const path = tempPath();
      const db = openDatabase(path);
      try {
        db.exec("CREATE TABLE scratch (x)"); // a write, so the WAL holds something
        for (const file of [path, `${path}-wal`, `${path}-shm`]) expect({ file, mode: permissions(file) }).toEqual({ file, mode: 0o600 });
      } finally {
        db.close();
      }
    });
  });

  test("a database file that others could read is made owner-only when it is opened", () => {
    withUsualUmask(() => {
      const path = tempPath();
      openDatabase(path).close();
      chmodSync(path, 0o644);
      openDatabase(path).close();
      expect(permissions(path)).toBe(0o600);
    });
  });
});

describe("opening a replica database", () => {
  test("a new file is created with the schema and marked as ours", () => {
    const path = tempPath();
    openDatabase(path).close();
    const db = new Database(path);
    const { application_id: id } = db.query("PRAGMA application_id").get() as { application_id: number };
    expect(id).toBe(0x43686174);
    expect(db.query("SELECT name FROM sqlite_master WHERE name = 'log_entries'").get()).not.toBeNull();
    db.close();
    openDatabase(path).close(); // and opens again
  });

  test("a file that is not SQLite is refused with a clear message", () => {
    const path = tempPath();
    writeFileSync(path, "this is not a database, it is a shopping list\n".repeat(100));
    expect(() => openDatabase(path)).toThrow(/refusing to open .*not an SQLite database/);
  });

  test("another program's SQLite file is refused", () => {
    const path = tempPath();
    const foreign = new Database(path);
    foreign.run("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)");
    foreign.close();
    expect(() => openDatabase(path)).toThrow(/does not belong to a chat replica/);
  });

  test("migration 0009 counts the unread messages already stored, per recipient", () => {
    const db = openDatabase(":memory:");
    const insert = db.prepare("INSERT INTO messages (id, sender, recipient, text, sent_at_ms, read) VALUES (?, 'ann', ?, 'hi', 0, ?)");
    const stored: [string, number][] = [
      ["bob", 0],
      ["bob", 0],
      ["bob", 1],
      ["cat", 0],
      ["dan", 1],
    ];
    for (const [offset, [recipient, read]] of stored.entries()) insert.run(offset + 1, recipient, read);
    db.run("DELETE FROM unread_counts");
    const migration = readFileSync(join(import.meta.dir, "..", "..", "migrations", "0009_unread_counts.sql"), "utf8");
    const backfill = migration.split("--> statement-breakpoint").find((statement) => statement.includes("INSERT INTO"))!;
    db.run(backfill);
    expect(db.query("SELECT username, unread FROM unread_counts ORDER BY username").all()).toEqual([
      { username: "bob", unread: 2 },
      { username: "cat", unread: 1 },
    ]);
    db.close();
  });

  test("a database from a newer schema is refused", () => {
    const path = tempPath();
    openDatabase(path).close();
    const db = new Database(path);
    db.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', 99999999999999)");
    db.close();
    expect(() => openDatabase(path)).toThrow(/newer than this program/);
  });

  test("a database with a damaged page is refused", () => {
    const path = tempPath();
    const db = openDatabase(path);
    db.run("CREATE INDEX IF NOT EXISTS padding ON log_entries(payload)");
    const insert = db.prepare("INSERT INTO log_entries (idx, term, type, payload, checksum) VALUES (?, 1, 'command', ?, 0)");
    for (let index = 1; index <= 400; index++) insert.run(index, "x".repeat(200));
    db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    db.close();
    expect(statSync(path).size).toBeGreaterThan(8192 * 4);
    const buffer = new Uint8Array(readFileSync(path));
    // Scribble over the middle pages (the header stays valid, so only the integrity check can tell).
    for (let offset = 8192; offset < Math.min(buffer.length, 8192 * 4); offset++) buffer[offset] = 0x5a;
    writeFileSync(path, buffer);
    expect(() => openDatabase(path)).toThrow(DatabaseRefusedError);
  });
});
