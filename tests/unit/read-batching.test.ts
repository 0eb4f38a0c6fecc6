/**
 * The replica node batches ReadIndex (dissertation §6.4): reads waiting at
 * the same moment share one heartbeat round. A leader of three, whose two
 * followers are consensus cores answering over a network the test can hold.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { NotLeaderError } from "../../src/log/errors.ts";
import type { Entry } from "../../src/log/raft/types.ts";
import { LogStore } from "../../src/log/log-store.ts";
import { bootstrapEntry, bootstrapIndex, bootstrapTerm, MemoryStorage, RaftCore, type Member, type Message } from "../../src/log/raft/index.ts";
import { prepareState } from "../../src/log/identity.ts";
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

class CountingMachine implements StateMachine<null> {
  private applied = 0;
  appliedIndex() {
    return this.applied;
  }
  /** These tests never change the membership: every server stays a member. */
  appliedMembershipIncludes() {
    return true;
  }
  apply(entries: readonly Entry[]) {
    this.applied = entries[entries.length - 1]!.index;
    return entries.map(() => null);
  }
}

/** A follower: a consensus core on an in-memory disk, answering each message it gets. */
class Follower {
  private readonly disk = new MemoryStorage();
  readonly core: RaftCore;

  constructor(id: number, voters: Member[]) {
    // A founder: the cluster's first entry holds its voters (src/log/identity.ts).
    this.disk.append([bootstrapEntry(voters)]);
    this.disk.setHardState({ term: bootstrapTerm, vote: 0, commit: bootstrapIndex });
    this.core = new RaftCore({
      id,
      storage: this.disk,
      hardState: this.disk.hardState,
      applied: bootstrapIndex,
      random: () => 0.5,
      electionTicks: 30,
      heartbeatTicks: 5,
    });
  }

  receive(message: Message): Message[] {
    this.core.step(message);
    const answers: Message[] = [];
    while (this.core.hasReady()) {
      const ready = this.core.ready();
      if (ready.hardState) this.disk.setHardState(ready.hardState);
      this.disk.append(ready.entries);
      answers.push(...ready.messages);
      this.core.advance();
    }
    return answers;
  }
}

async function nextTurn(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

/** Node 1 leading nodes 2 and 3, its no-op applied. Ticks never fire: every heartbeat sent is a read's. */
async function leaderOfThree() {
  const db = openDatabase(":memory:");
  open.push(db);
  const voters = [1, 2, 3].map((id) => ({ id, address: `127.0.0.1:${id}` }));
  const followers = new Map([2, 3].map((id) => [id, new Follower(id, voters)]));
  const log = new LogStore(db);
  prepareState(db, log, 1, { kind: "found", voters });
  const machine = new CountingMachine();
  const sent: Message[] = [];
  const network = { held: null as Message[] | null };
  const deliver = (message: Message) =>
    setImmediate(() => {
      for (const answer of followers.get(message.to)!.receive(message)) node.step(answer);
    });
  const node: RaftNode<null> = new RaftNode({
    self: voters[0]!,
    log: new SqliteRaftStorage(log),
    machine,
    timing: { tickMs: 600_000, heartbeatTicks: 5, electionTicks: 30 },
    random: () => 0.5,
    send: (message) => {
      sent.push(message);
      if (network.held) network.held.push(message);
      else deliver(message);
    },
    logger: createLogger("test", "warn"),
    onFatal: (error) => {
      throw error;
    },
    campaignAtStart: true,
    snapshots: noSnapshots,
  });
  nodes.push(node);
  while (machine.appliedIndex() < 2) await nextTurn(); // the founding entry, then the leader's no-op
  return {
    node,
    /** Heartbeat rounds the leader has started (each is one heartbeat per follower). */
    rounds: () => new Set(sent.flatMap((message) => (message.type === "append" && message.heartbeatRound > 0 ? [message.heartbeatRound] : []))).size,
    hold: () => (network.held = []),
    release: () => {
      const held = network.held ?? [];
      network.held = null;
      held.forEach(deliver);
    },
  };
}

describe("batched ReadIndex (dissertation §6.4)", () => {
  test("reads made in one turn of the event loop share one heartbeat round", async () => {
    const { node, rounds } = await leaderOfThree();
    await Promise.all(Array.from({ length: 20 }, () => node.readBarrier()));
    expect(rounds()).toBe(1);
  });

  test("reads that arrive while a round is in flight share the next round", async () => {
    const { node, rounds, hold, release } = await leaderOfThree();
    hold();
    const first = node.readBarrier();
    await nextTurn();
    expect(rounds()).toBe(1);
    const later: Promise<void>[] = [];
    for (let turn = 0; turn < 5; turn++) {
      later.push(node.readBarrier(), node.readBarrier());
      await nextTurn();
    }
    expect(rounds()).toBe(1);
    release();
    await Promise.all([first, ...later]);
    expect(rounds()).toBe(2);
  });

  test("a leader that learns of a newer term fails the reads in flight and the reads queued behind them", async () => {
    const { node, hold } = await leaderOfThree();
    hold();
    const inFlight = node.readBarrier();
    await nextTurn();
    const queued = node.readBarrier();
    await nextTurn();
    const term = node.leaderInfo().term;
    node.step({ type: "append", from: 2, to: 1, term: term + 1, prevIndex: 0, prevTerm: 0, entries: [], leaderCommit: 0, heartbeatRound: 0 });
    for (const read of [inFlight, queued])
      expect(
        await read.then(
          () => null,
          (error: unknown) => error,
        ),
      ).toBeInstanceOf(NotLeaderError);
  });
});
