/** The one-replica node: group commit, durability order, restart. */
import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import type { LogEntry } from "../../src/log/entry.ts";
import { LogStore } from "../../src/log/log-store.ts";
import type { StateMachine } from "../../src/log/replica-node.ts";
import { SoloNode } from "../../src/log/solo-node.ts";
import { openDatabase } from "../../src/storage/database.ts";

const open: Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

/** Records what it applies, and whether each entry was durable in the log first. */
class RecordingMachine implements StateMachine<string> {
  applied: LogEntry[] = [];
  batches = 0;
  constructor(private readonly log: () => LogStore) {}
  appliedIndex() {
    return this.applied.length === 0 ? 0 : this.applied[this.applied.length - 1]!.index;
  }
  apply(entries: readonly LogEntry[]) {
    this.batches += 1;
    for (const entry of entries) {
      expect(this.log().entries(entry.index, entry.index + 1)).toEqual([entry]);
      this.applied.push(entry);
    }
    return entries.map((entry) => `result of ${entry.payload}`);
  }
}

function setUp(db = openDatabase(":memory:")) {
  if (!open.includes(db)) open.push(db);
  const log = new LogStore(db);
  const machine = new RecordingMachine(() => log);
  const node = new SoloNode(log, machine, { id: 1, address: "127.0.0.1:1" });
  return { db, log, machine, node };
}

describe("the one-replica node", () => {
  test("proposals made together share one append and one apply batch, each answered with its own result", async () => {
    const { machine, node, log } = setUp();
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => node.propose(`p${i}`)));
    expect(results).toEqual(Array.from({ length: 64 }, (_, i) => `result of p${i}`));
    expect(machine.batches).toBe(1);
    expect(log.lastIndex()).toBe(64);
    expect(log.hardState().commit).toBe(64);
  });

  test("an entry is in the log before it is applied (checked inside apply)", async () => {
    const { node, machine } = setUp();
    await node.propose("durable first");
    expect(machine.applied.length).toBe(1);
  });

  test("a restart starts a new term and applies what the log has and the projection lacks", async () => {
    const { db, node, log } = setUp();
    await node.propose("a");
    await node.propose("b");
    const termBefore = log.hardState().term;
    const restarted = setUp(db);
    expect(restarted.machine.applied.map((entry) => entry.payload)).toEqual(["a", "b"]);
    expect(restarted.log.hardState().term).toBe(termBefore + 1);
  });
});
