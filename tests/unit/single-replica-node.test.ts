/** The replica node as a cluster of one: group commit, durability order, restart. */
import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import type { Entry } from "../../src/log/raft/types.ts";
import { prepareState } from "../../src/log/identity.ts";
import { LogStore } from "../../src/log/log-store.ts";
import type { StateMachine } from "../../src/log/replica-node.ts";
import { RaftNode } from "../../src/log/raft-node.ts";
import { SqliteRaftStorage } from "../../src/log/raft-storage.ts";
import { createLogger } from "../../src/logger.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { noSnapshots } from "../support/no-snapshots.ts";

const open: Database[] = [];
const nodes: RaftNode<string>[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.close();
  for (const db of open.splice(0)) db.close();
});

/** Records what it applies, and whether each entry was durable in the log first. */
class RecordingMachine implements StateMachine<string> {
  applied: Entry[] = [];
  batches = 0;
  constructor(private readonly log: () => LogStore) {}
  appliedIndex() {
    return this.applied.length === 0 ? 0 : this.applied[this.applied.length - 1]!.index;
  }
  /** These tests never change the membership: every server stays a member. */
  appliedMembershipIncludes() {
    return true;
  }
  apply(entries: readonly Entry[]) {
    this.batches += 1;
    for (const entry of entries) {
      expect(this.log().entries(entry.index, entry.index + 1)).toEqual([entry]);
      this.applied.push(entry);
    }
    return entries.map((entry) => (entry.type === "command" ? `result of ${entry.data}` : "noop"));
  }
}

function setUp(
  db = openDatabase(":memory:"),
  onFatal: (error: Error) => void = (error) => {
    throw error;
  },
) {
  if (!open.includes(db)) open.push(db);
  const log = new LogStore(db);
  const machine = new RecordingMachine(() => log);
  const self = { id: 1, address: "127.0.0.1:1" };
  prepareState(db, log, self.id, { kind: "found", voters: [self] });
  const node = new RaftNode({
    self,
    log: new SqliteRaftStorage(log),
    machine,
    timing: { tickMs: 10, heartbeatTicks: 5, electionTicks: 30 },
    random: () => 0.5,
    send: () => {
      throw new Error("a cluster of one sends nothing");
    },
    logger: createLogger("test", "warn"),
    onFatal,
    snapshots: noSnapshots,
  });
  nodes.push(node);
  return { db, log, machine, node };
}

describe("a cluster of one", () => {
  test("proposals made together share one append and one apply batch, each answered with its own result", async () => {
    const { machine, node, log } = setUp();
    const batchesBefore = machine.batches;
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => node.propose(`p${i}`)));
    expect(results).toEqual(Array.from({ length: 64 }, (_, i) => `result of p${i}`));
    expect(machine.batches - batchesBefore).toBe(1);
    expect(log.lastIndex()).toBe(66); // the founding config entry, the leader's no-op, then the 64 proposals
    expect(log.hardState().commit).toBe(66);
  });

  test("an entry is in the log before it is applied (checked inside apply)", async () => {
    const { node, machine } = setUp();
    await node.propose("durable first");
    expect(machine.applied.map((entry) => entry.type)).toEqual(["config", "noop", "command"]);
    expect(machine.applied.at(-1)!.data).toBe("durable first");
  });

  test("a failed log write stops the node at once and reports it, instead of hanging every write", async () => {
    const failures: Error[] = [];
    const { node, log } = setUp(openDatabase(":memory:"), (error) => failures.push(error));
    log.append = () => {
      throw new Error("disk I/O error");
    };
    await expect(node.propose("never durable")).rejects.toThrow();
    expect(failures.map((error) => error.message)).toEqual(["disk I/O error"]);
    // Stopped for good: nothing more is accepted, nothing waits forever.
    await expect(node.propose("after the failure")).rejects.toThrow();
  });

  test("elects itself at start and reports itself as the leader", () => {
    const { node } = setUp();
    expect(() => node.assertLeader()).not.toThrow();
    expect(node.leaderInfo()).toMatchObject({ leaderId: 1, leaderAddress: "127.0.0.1:1", selfId: 1 });
  });

  test("a restart elects itself in a new term and applies what the log has and the projection lacks", async () => {
    const { db, node, log } = setUp();
    await node.propose("a");
    await node.propose("b");
    await node.close();
    const termBefore = log.hardState().term;
    const restarted = setUp(db);
    expect(restarted.machine.applied.filter((entry) => entry.type === "command").map((entry) => entry.data)).toEqual(["a", "b"]);
    expect(restarted.log.hardState().term).toBeGreaterThan(termBefore);
  });
});
