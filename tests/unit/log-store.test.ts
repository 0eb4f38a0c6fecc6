import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import fc from "fast-check";
import { CorruptLogError, entryChecksum } from "../../src/log/entry.ts";
import type { Entry } from "../../src/log/raft/types.ts";
import { LogStore } from "../../src/log/log-store.ts";
import { openDatabase } from "../../src/storage/database.ts";

const open: Database[] = [];

function freshStore(): { db: Database; log: LogStore } {
  const db = openDatabase(":memory:");
  open.push(db);
  return { db, log: new LogStore(db) };
}

function entry(index: number, term = 1, data = `{"n":${index}}`): Entry {
  return { index, term, type: "command", data };
}

afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

describe("the SQLite log store", () => {
  test("an empty log starts at index 1 with nothing in it", () => {
    const { log } = freshStore();
    expect(log.firstIndex()).toBe(1);
    expect(log.lastIndex()).toBe(0);
    expect(log.term(0)).toBe(0);
    expect(log.hardState()).toEqual({ term: 0, vote: 0, commit: 0 });
  });

  test("appended entries read back in order with their terms", () => {
    const { log } = freshStore();
    log.append([entry(1), entry(2, 2), entry(3, 2)], { term: 2, vote: 1, commit: 3 });
    expect(log.lastIndex()).toBe(3);
    expect(log.entries(1, 4)).toEqual([entry(1), entry(2, 2), entry(3, 2)]);
    expect(log.term(2)).toBe(2);
    expect(log.hardState()).toEqual({ term: 2, vote: 1, commit: 3 });
  });

  test("an append that skips an index is refused and leaves the log as it was", () => {
    const { log } = freshStore();
    log.append([entry(1)]);
    expect(() => log.append([entry(2), entry(4)])).toThrow("out of order");
    expect(log.lastIndex()).toBe(1);
    expect(log.entries(1, 10)).toEqual([entry(1)]);
  });

  test("truncating a conflicting suffix replaces it in the same transaction", () => {
    const { log } = freshStore();
    log.append([entry(1), entry(2), entry(3)]);
    log.append([entry(2, 5, "new")], undefined, 2);
    expect(log.entries(1, 10)).toEqual([entry(1), entry(2, 5, "new")]);
  });

  test("the checksum hashes the bytes it always has, so logs written before still verify", () => {
    // CRC32 of "7\0" + "3\0" + "command\0" + '{"n":7}', the layout of every stored checksum.
    expect(entryChecksum(entry(7, 3))).toBe(4181119663);
  });

  test("a row edited behind the log's back is detected by its checksum", () => {
    const { db, log } = freshStore();
    log.append([entry(1), entry(2)]);
    db.run("UPDATE log_entries SET payload = '{\"n\":99}' WHERE idx = 2");
    expect(() => log.entries(1, 3)).toThrow(CorruptLogError);
  });

  test("a reopened store sees the entries and hard state of the previous one", () => {
    const { db, log } = freshStore();
    log.append([entry(1), entry(2)], { term: 3, vote: 2, commit: 2 });
    const reopened = new LogStore(db);
    expect(reopened.lastIndex()).toBe(2);
    expect(reopened.hardState()).toEqual({ term: 3, vote: 2, commit: 2 });
  });
});

describe("verifying the whole log at start", () => {
  test("a clean log verifies, a tampered one names the entry", () => {
    const { db, log } = freshStore();
    log.append(Array.from({ length: 25 }, (_, i) => entry(i + 1)));
    log.verify(10);
    db.run("UPDATE log_entries SET term = 7 WHERE idx = 17");
    expect(() => log.verify(10)).toThrow("log entry 17 is corrupt");
  });

  test("a hole in the log is reported", () => {
    const { db, log } = freshStore();
    log.append([entry(1), entry(2), entry(3)]);
    db.run("DELETE FROM log_entries WHERE idx = 2");
    expect(() => new LogStore(db).verify()).toThrow("log entry 2 is corrupt: missing");
  });

  test("the terms served from memory always equal the table's, through appends, truncations, compactions, failed appends and reopening", () => {
    type Step =
      | { kind: "append"; count: number; newTerm: boolean }
      | { kind: "truncate"; back: number }
      | { kind: "compact"; back: number }
      | { kind: "gap" }
      | { kind: "reopen" };
    const step = fc.oneof(
      fc.record({ kind: fc.constant("append" as const), count: fc.integer({ min: 1, max: 5 }), newTerm: fc.boolean() }),
      fc.record({ kind: fc.constant("truncate" as const), back: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constant("compact" as const), back: fc.integer({ min: 1, max: 8 }) }),
      fc.constant({ kind: "gap" as const }),
      fc.constant({ kind: "reopen" as const }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps: Step[]) => {
        const { db } = freshStore();
        let log = new LogStore(db);
        let term = 1;
        // A compaction records the membership in force: the log starts with one.
        log.append([{ index: 1, term, type: "config", data: JSON.stringify({ voters: [1], learners: [] }) }]);
        for (const next of steps) {
          const last = log.lastIndex();
          if (next.kind === "append") {
            if (next.newTerm) term += 1;
            log.append(Array.from({ length: next.count }, (_, offset) => entry(last + 1 + offset, term)));
          } else if (next.kind === "truncate") {
            const from = Math.max(log.firstIndex() + 1, last - next.back);
            if (from <= last) {
              term += 1;
              log.append([entry(from, term)], undefined, from);
            }
          } else if (next.kind === "compact") {
            const to = last - next.back;
            if (to >= log.firstIndex()) log.compact(to);
          } else if (next.kind === "gap") {
            expect(() => log.append([entry(last + 2, term)])).toThrow();
          } else {
            log = new LogStore(db); // knows no term from memory: the tail it appends next is covered
          }
          for (let index = 0; index <= log.lastIndex() + 2; index++) {
            expect(log.term(index)).toEqual(new LogStore(db).term(index));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
