/**
 * Property tests: the projections are a pure function of the log. Random
 * logs come from tests/support/operations.ts; a failure prints fast-check's
 * seed and the shrunk log.
 */
import type { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { Entry } from "../src/log/raft/types.ts";
import { LogStore } from "../src/log/log-store.ts";
import { Projections, type AppliedResult } from "../src/projections/apply.ts";
import { projectionHash, projectionTableHashes, projectionTableNames } from "../src/projections/hash.ts";
import type { OperationEnvelope } from "../src/projections/operations.ts";
import { rebuildInMemory } from "../src/projections/rebuild.ts";
import { openDatabase } from "../src/storage/database.ts";
import { logArbitrary } from "./support/operations.ts";
import { manyIterationsMs } from "./support/timeouts.ts";

const runs = 150;
const opened: Database[] = [];

afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

function freshDatabase(): Database {
  const db = openDatabase(":memory:");
  opened.push(db);
  return db;
}

function keep(db: Database): Database {
  opened.push(db);
  return db;
}

/** Applies `entries` cut into batches at `cuts` (positions, any order, duplicates allowed). */
function applyInBatches(entries: readonly Entry[], cuts: readonly number[]): { db: Database; results: AppliedResult[] } {
  const db = freshDatabase();
  const projections = new Projections(db);
  const bounds = [...new Set([0, ...cuts.map((cut) => cut % (entries.length + 1)), entries.length])].sort((a, b) => a - b);
  const results: AppliedResult[] = [];
  for (let at = 0; at + 1 < bounds.length; at += 1) {
    results.push(...projections.apply(entries.slice(bounds[at], bounds[at + 1])));
  }
  return { db, results };
}

function envelopeOf(entry: Entry): OperationEnvelope {
  return JSON.parse(entry.data) as OperationEnvelope;
}

describe("rebuilding projections from the log", () => {
  test(
    "applying a log in one batch or in any split of batches gives the same projections",
    () => {
      fc.assert(
        fc.property(logArbitrary(), fc.array(fc.nat(), { maxLength: 8 }), (entries, cuts) => {
          const whole = applyInBatches(entries, []);
          const split = applyInBatches(entries, cuts);
          expect(projectionHash(split.db)).toBe(projectionHash(whole.db));
          expect(split.results).toEqual(whole.results);
        }),
        { numRuns: runs },
      );
    },
    manyIterationsMs,
  );

  test(
    "every user's unread count, kept by the apply loop, equals a count of their unread messages after any log",
    () => {
      fc.assert(
        fc.property(logArbitrary(), (entries) => {
          const { db } = applyInBatches(entries, []);
          const kept = db.query("SELECT username, unread FROM unread_counts ORDER BY username").all();
          const counted = db.query("SELECT recipient AS username, COUNT(*) AS unread FROM messages WHERE read = 0 GROUP BY recipient ORDER BY recipient").all();
          expect(kept).toEqual(counted);
        }),
        { numRuns: runs },
      );
    },
    manyIterationsMs,
  );

  test(
    "a rebuild from empty equals the tables applied entry by entry as the log grew",
    () => {
      fc.assert(
        fc.property(logArbitrary(), (entries) => {
          const incremental = applyInBatches(
            entries,
            entries.map((_, position) => position),
          );
          const fromEntries = keep(rebuildInMemory(entries));
          const logDb = freshDatabase();
          new LogStore(logDb).append(entries);
          const fromStore = keep(rebuildInMemory(new LogStore(logDb)));
          const expected = projectionHash(incremental.db);
          expect(projectionHash(fromEntries)).toBe(expected);
          expect(projectionHash(fromStore)).toBe(expected);
        }),
        { numRuns: runs },
      );
    },
    manyIterationsMs,
  );

  test(
    "a rebuild up to an index equals applying only the log prefix through that index",
    () => {
      fc.assert(
        fc.property(logArbitrary(), fc.nat(), (entries, cut) => {
          const upTo = cut % (entries.length + 1);
          const prefix = applyInBatches(entries.slice(0, upTo), []);
          const rebuilt = keep(rebuildInMemory(entries, upTo));
          expect(projectionHash(rebuilt)).toBe(projectionHash(prefix.db));
        }),
        { numRuns: runs },
      );
    },
    manyIterationsMs,
  );

  test(
    "a retried (client id, seq) appended again changes no chat table and answers the first result",
    () => {
      fc.assert(
        fc.property(logArbitrary(), fc.nat(), fc.integer({ min: 0, max: 60_000 }), (entries, pick, laterMs) => {
          const identified = entries.filter((entry) => entry.type === "command" && envelopeOf(entry).clientId);
          fc.pre(identified.length > 0);
          const original = identified[pick % identified.length]!;
          const envelope = envelopeOf(original);
          const retry: Entry = {
            index: entries.length + 1,
            term: entries.at(-1)!.term,
            type: "command",
            data: JSON.stringify({ ...envelope, atMs: envelope.atMs + laterMs }),
          };
          const without = applyInBatches(entries, []);
          const withRetry = applyInBatches([...entries, retry], []);
          // applied_state moves on by one entry; every chat table stays as it was.
          const chatTables = projectionTableNames.filter((table) => table !== "applied_state");
          const before = projectionTableHashes(without.db);
          const after = projectionTableHashes(withRetry.db);
          for (const table of chatTables) expect({ table, hash: after[table] }).toEqual({ table, hash: before[table] });
          expect(withRetry.results.at(-1)!.result).toEqual(without.results[original.index - 1]!.result);
        }),
        { numRuns: runs },
      );
    },
    manyIterationsMs,
  );

  test(
    "every message's id is the log index of the SendMessage entry that created it",
    () => {
      fc.assert(
        fc.property(logArbitrary(), (entries) => {
          const { db, results } = applyInBatches(entries, []);
          const rows = db.query("SELECT id, sender, recipient, text, sent_at_ms AS sentAtMs FROM messages").all() as {
            id: number;
            sender: string;
            recipient: string;
            text: string;
            sentAtMs: number;
          }[];
          for (const row of rows) {
            const envelope = envelopeOf(entries[row.id - 1]!);
            expect(envelope.op).toMatchObject({ type: "SendMessage", username: row.sender, recipient: row.recipient });
            expect(envelope.op.type === "SendMessage" && envelope.op.text).toBe(row.text);
            expect(envelope.atMs).toBe(row.sentAtMs);
          }
          // The answer names the same id: the entry's own index, or for a retry the first write's.
          for (const { index, result } of results) {
            const value = result?.ok ? result.value : null;
            if (!value || !("sentAtMs" in value)) continue;
            const answered = envelopeOf(entries[value.id - 1]!);
            const envelope = envelopeOf(entries[index - 1]!);
            if (value.id !== index) expect([answered.clientId, answered.seq]).toEqual([envelope.clientId, envelope.seq]);
            expect(answered.op.type).toBe("SendMessage");
          }
        }),
        { numRuns: runs },
      );
    },
    manyIterationsMs,
  );
});

describe("the projection hash", () => {
  test(
    "editing any single value of any projection table changes the hash",
    () => {
      fc.assert(
        fc.property(logArbitrary(), fc.nat(), fc.nat(), (entries, rowPick, columnPick) => {
          const { db } = applyInBatches(entries, []);
          const candidates = projectionTableNames.filter((table) => (db.query(`SELECT COUNT(*) AS count FROM ${table}`).get() as { count: number }).count > 0);
          fc.pre(candidates.length > 0);
          const table = candidates[rowPick % candidates.length]!;
          const columns = (db.query(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((column) => column.name);
          const column = columns[columnPick % columns.length]!;
          const before = projectionHash(db);
          // Text gets a suffix, a number n becomes -n-1: one value changes, and no key collides
          // with another row (every generated number is non-negative).
          db.exec(
            `UPDATE ${table} SET ${column} = CASE typeof(${column}) WHEN 'text' THEN ${column} || '!' ELSE -${column} - 1 END ` +
              `WHERE rowid = (SELECT MIN(rowid) FROM ${table})`,
          );
          expect(projectionHash(db)).not.toBe(before);
        }),
        { numRuns: runs },
      );
    },
    manyIterationsMs,
  );

  test("a value's storage type is part of the hash: a blob and a text of the same bytes differ", () => {
    const asText = freshDatabase();
    const asBlob = freshDatabase();
    asText.exec("INSERT INTO accounts (username, password_hash, created_at_ms, created_index) VALUES ('ann', 'hi', 1, 1)");
    asBlob.exec("INSERT INTO accounts (username, password_hash, created_at_ms, created_index) VALUES ('ann', X'6869', 1, 1)");
    expect(projectionHash(asBlob)).not.toBe(projectionHash(asText));
  });

  test("two empty databases hash equal and an empty one differs from one with an applied entry", () => {
    const empty = freshDatabase();
    const other = freshDatabase();
    expect(projectionHash(empty)).toBe(projectionHash(other));
    new Projections(other).apply([{ index: 1, term: 1, type: "noop", data: "" }]);
    expect(projectionHash(other)).not.toBe(projectionHash(empty));
  });
});
