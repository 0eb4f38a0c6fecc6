/**
 * A follower answers an append as soon as its entries are durable and
 * applies committed entries later, at its next tick, all in one batch
 * (applyBacklogEntriesMax in src/limits.ts, src/log/raft-node.ts). The
 * backlog is applied in order before anything else: before the follower,
 * made leader, applies its own term's entries.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import type { DriverClock } from "../../src/log/driver-clock.ts";
import { prepareState } from "../../src/log/identity.ts";
import { LogStore } from "../../src/log/log-store.ts";
import { bootstrapEntry, bootstrapIndex, bootstrapTerm, MemoryStorage, RaftCore, type Message } from "../../src/log/raft/index.ts";
import type { Entry } from "../../src/log/raft/types.ts";
import { RaftNode } from "../../src/log/raft-node.ts";
import { SqliteRaftStorage } from "../../src/log/raft-storage.ts";
import type { StateMachine } from "../../src/log/replica-node.ts";
import { createLogger } from "../../src/logger.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { noSnapshots } from "../support/no-snapshots.ts";

const open: Database[] = [];
const nodes: RaftNode<null>[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.close();
  for (const db of open.splice(0)) db.close();
});

/** Records each batch it applies, and refuses an entry out of order. */
class RecordingMachine implements StateMachine<null> {
  readonly batches: number[][] = [];
  private applied = 0;
  appliedIndex() {
    return this.applied;
  }
  appliedMembershipIncludes() {
    return true;
  }
  apply(entries: readonly Entry[]) {
    for (const entry of entries) {
      if (entry.index !== this.applied + 1) throw new Error(`entry ${entry.index} applied after ${this.applied}`);
      this.applied = entry.index;
    }
    this.batches.push(entries.map((entry) => entry.index));
    return entries.map(() => null);
  }
}

const voters = [1, 2].map((id) => ({ id, address: `127.0.0.1:${id}` }));

/** Server 2 is a RaftNode on SQLite whose ticks the test fires; server 1 is a bare core the test drives. */
function pair() {
  const disk = new MemoryStorage();
  disk.append([bootstrapEntry(voters)]);
  disk.setHardState({ term: bootstrapTerm, vote: 0, commit: bootstrapIndex });
  const other = new RaftCore({
    id: 1,
    storage: disk,
    hardState: disk.hardState,
    applied: bootstrapIndex,
    random: () => 0,
    electionTicks: 10,
    heartbeatTicks: 1,
  });
  const db = openDatabase(":memory:");
  open.push(db);
  const log = new LogStore(db);
  prepareState(db, log, 2, { kind: "found", voters });
  const machine = new RecordingMachine();
  const ticks: (() => void)[] = [];
  const clock: DriverClock = {
    now: () => performance.now(),
    every: (_ms, tick) => {
      ticks.push(tick);
      return () => ticks.splice(ticks.indexOf(tick), 1);
    },
    soon: (work) => void setImmediate(work),
    sleep: (ms) => Bun.sleep(ms),
  };
  const unsolicited: Message[] = [];
  const node: RaftNode<null> = new RaftNode({
    self: voters[1]!,
    log: new SqliteRaftStorage(log),
    machine,
    clock,
    timing: { tickMs: 10, heartbeatTicks: 1, electionTicks: 1_000 },
    random: () => 0.5,
    send: (message) => unsolicited.push(message),
    logger: createLogger("test", "warn"),
    onFatal: (error) => {
      throw error;
    },
    snapshots: noSnapshots,
  });
  nodes.push(node);

  /** Carries messages both ways until neither side has anything to say. */
  async function exchange(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      const toNode: Message[] = [];
      while (other.hasReady()) {
        const ready = other.ready();
        if (ready.hardState) disk.setHardState(ready.hardState);
        if (ready.entries.length > 0) disk.append(ready.entries);
        toNode.push(...ready.messages);
        other.advance();
      }
      await new Promise((resolve) => setImmediate(resolve)); // the node's own Readies
      const fromNode = unsolicited.splice(0);
      if (toNode.length === 0 && fromNode.length === 0) return;
      for (const message of toNode) {
        const answer = await node.handlePeerMessage(message);
        if (answer) other.step(answer);
      }
      for (const message of fromNode) other.step(message);
    }
    throw new Error("the two servers never went quiet");
  }

  /** Server 1 tells server 2 its commit index (a heartbeat). */
  async function heartbeat(): Promise<void> {
    other.tick();
    await exchange();
  }

  return {
    other,
    node,
    machine,
    exchange,
    heartbeat,
    tick: () => {
      for (const tick of ticks) tick();
    },
  };
}

describe("a follower's apply", () => {
  test("waits for its next tick, then applies every committed entry in one batch, in order", async () => {
    const { other, node, machine, exchange, heartbeat, tick } = pair();
    for (let round = 0; round < 50 && other.currentRole !== "leader"; round++) await heartbeat();
    expect(other.currentRole).toBe("leader");
    await heartbeat();
    tick();
    const before = machine.appliedIndex();
    const batchesBefore = machine.batches.length;

    other.proposeBatch(["a", "b", "c", "d", "e"]);
    await exchange();
    await heartbeat(); // carries the new commit index
    expect(node.view.commitIndex).toBe(before + 5);
    expect(machine.appliedIndex()).toBe(before); // answered, not applied yet

    tick();
    expect(machine.appliedIndex()).toBe(before + 5);
    expect(machine.batches.slice(batchesBefore)).toEqual([[before + 1, before + 2, before + 3, before + 4, before + 5]]);
  });

  test("made leader, it applies the backlog before its own term's entries, and its write barrier waits for them", async () => {
    const { other, node, machine, exchange, heartbeat } = pair();
    for (let round = 0; round < 50 && other.currentRole !== "leader"; round++) await heartbeat();
    other.proposeBatch(["a", "b", "c"]);
    await exchange();
    await heartbeat();
    const committed = node.view.commitIndex;
    expect(machine.appliedIndex()).toBeLessThan(committed); // a backlog, no tick yet

    expect(other.transferLeadership(2).started).toBe(true);
    for (let round = 0; round < 20 && node.view.currentRole !== "leader"; round++) await exchange();
    expect(node.view.currentRole).toBe("leader");
    await node.writeBarrier(); // resolves only once its no-op, after the backlog, is applied
    expect(machine.appliedIndex()).toBeGreaterThan(committed);
    expect(machine.batches.flat()).toEqual(Array.from({ length: machine.appliedIndex() }, (_, offset) => offset + 1));
  });
});
