// Log replication and commit scenarios (Raft paper §5.3, §5.4, §8).

import { describe, expect, test } from "bun:test";
import type { AppendMessage, AppendResponseMessage, Entry, Message } from "../../src/log/raft/index.ts";
import { entry, TestCluster } from "./harness.ts";

function append(from: number, to: number, term: number, prevIndex: number, prevTerm: number, entries: Entry[], leaderCommit = 0): AppendMessage {
  return { type: "append", from, to, term, prevIndex, prevTerm, entries, leaderCommit, heartbeatRound: 0 };
}

function appendResponses(messages: Message[]): AppendResponseMessage[] {
  return messages.filter((m): m is AppendResponseMessage => m.type === "appendResponse");
}

function terms(entries: Entry[]): number[] {
  return entries.map((e) => e.term);
}

/** Delivers one message at a time until the predicate holds. */
function deliverUntil(cluster: TestCluster, done: () => boolean, maxMessages = 1000): void {
  for (let i = 0; i < maxMessages && !done(); i++) {
    if (!cluster.deliverFirst(() => true)) throw new Error("queue ran dry");
  }
  if (!done()) throw new Error("condition never held");
}

describe("the follower side of AppendEntries (paper §5.3, figure 2)", () => {
  test("a follower truncates only at the first conflicting entry (§5.3)", () => {
    const log = [entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2)];
    const cluster = new TestCluster([1, 2, 3], (id) => (id === 2 ? { log, hardState: { term: 2, vote: 0, commit: 1 } } : {}));
    cluster.core(2).step(append(1, 2, 3, 1, 1, [entry(2, 1), entry(3, 3)]));
    const ready = cluster.core(2).ready();
    expect(ready.entries.map((e) => e.index)).toEqual([3]);
    cluster.node(2).disk.append(ready.entries);
    expect(terms(cluster.node(2).disk.entries(1, 4))).toEqual([1, 1, 3]);
    expect(appendResponses(ready.messages)[0]).toMatchObject({ success: true, matchIndex: 3 });
  });

  test("each answer carries the id of the request it answers, so a driver never hands one call another's answer", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const follower = cluster.core(2);
    follower.step({ ...append(1, 2, 1, 0, 0, [entry(1, 1)]), requestId: 7 });
    follower.step({ ...append(1, 2, 1, 5, 1, []), requestId: 8 }); // a gap: rejected
    follower.step(append(1, 2, 1, 1, 1, [entry(2, 1)])); // untagged (the simulator, the harness)
    const answers = appendResponses(follower.ready().messages);
    expect(answers.map((answer) => [answer.requestId, answer.success])).toEqual([
      [7, true],
      [8, false],
      [undefined, true],
    ]);
  });

  test("a stale Append arriving late does not truncate entries, committed or not (§5.3)", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const follower = cluster.core(2);
    follower.step(append(1, 2, 1, 0, 0, [entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)], 2));
    cluster.flush(2);
    cluster.queue = [];
    // The same leader's earlier, shorter Append, delayed and duplicated by the network.
    follower.step(append(1, 2, 1, 0, 0, [entry(1, 1), entry(2, 1)], 0));
    follower.step(append(1, 2, 1, 1, 1, [entry(2, 1)], 0));
    const ready = follower.ready();
    expect(ready.entries).toEqual([]);
    expect(follower.lastIndex).toBe(4);
    expect(follower.commitIndex).toBe(2);
    expect(appendResponses(ready.messages).map((m) => m.success)).toEqual([true, true]);
  });

  test("a follower's commit index never passes the last entry the Append verified (figure 2, AppendEntries step 5)", () => {
    // Index 3 on the follower is a leftover of term 1 that the leader (term 2) does not have.
    const log = [entry(1, 1), entry(2, 1), entry(3, 1)];
    const cluster = new TestCluster([1, 2, 3], (id) => (id === 2 ? { log, hardState: { term: 1, vote: 0, commit: 0 } } : {}));
    cluster.core(2).step({ ...append(1, 2, 2, 2, 1, [], 4), heartbeatRound: 1 });
    expect(cluster.core(2).commitIndex).toBe(2);
  });

  test("a follower rejects an Append whose previous entry does not match, with a hint for fast back-off (§5.3)", () => {
    const log = [entry(1, 1), entry(2, 2), entry(3, 2), entry(4, 2)];
    const cluster = new TestCluster([1, 2, 3], (id) => (id === 2 ? { log, hardState: { term: 2, vote: 0, commit: 0 } } : {}));
    cluster.core(2).step(append(1, 2, 4, 4, 3, [entry(5, 4)]));
    const [reply] = appendResponses(cluster.core(2).ready().messages);
    // The hint is our last index at or below 4 whose term is <= the leader's prevTerm 3:
    // index 4 (term 2). The leader then skips back past everything newer than term 2.
    expect(reply).toMatchObject({ success: false, rejectedIndex: 4, conflictIndex: 4, conflictTerm: 2 });
    expect(cluster.core(2).lastIndex).toBe(4);
  });

  test("a follower persists the entries it acknowledges in the same Ready as the acknowledgement", () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.core(3).step(append(1, 3, 1, 0, 0, [entry(1, 1)]));
    const ready = cluster.core(3).ready();
    expect(ready.entries.map((e) => e.index)).toEqual([1]);
    expect(appendResponses(ready.messages)[0]).toMatchObject({ success: true, matchIndex: 1 });
  });
});

describe("the leader side of replication and commit (paper §5.3, §5.4.2, §8)", () => {
  test("a new leader appends a no-op of its own term at once (§8)", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const leader = cluster.electLeader();
    const core = cluster.core(leader);
    expect(cluster.node(leader).disk.entries(1, 2)[0]).toMatchObject({ index: 1, term: core.currentTerm, type: "noop" });
  });

  test("a leader never commits an entry of an earlier term by counting replicas (§5.4.2, figure 8)", () => {
    const cluster = new TestCluster([1, 2, 3], (id) => ({
      log: id === 1 ? [entry(1, 1), entry(2, 2)] : [entry(1, 1)],
      hardState: { term: 2, vote: 0, commit: 1 },
      maxEntriesPerAppend: 1,
    }));
    cluster.isolate(3);
    cluster.tick(1, 100);
    deliverUntil(cluster, () => cluster.core(1).currentRole === "leader");
    expect(cluster.core(1).currentTerm).toBe(3);
    // Replicate index 2 (term 2) to node 2: a majority holds it, yet it must not commit.
    deliverUntil(cluster, () => cluster.core(1).matchIndexOf(2)! >= 2);
    expect(cluster.core(1).matchIndexOf(2)).toBe(2);
    expect(cluster.core(1).commitIndex).toBe(1);
    // Once the term-3 no-op is on a majority, everything up to it commits (indirectly for index 2).
    cluster.deliverAll();
    expect(cluster.core(1).commitIndex).toBe(3);
    expect(cluster.node(1).applied.map((e) => e.index)).toEqual([1, 2, 3]);
  });

  test("a leader counts itself toward commit only after advance() confirms its entries are durable (etcd #14370)", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const leader = cluster.electLeader();
    const [follower, isolated] = [1, 2, 3].filter((id) => id !== leader);
    cluster.isolate(isolated!);
    const core = cluster.core(leader);
    const proposed = core.propose("x");
    if (!proposed.accepted) throw new Error("leader refused");
    const ready = core.ready();
    // The follower persists and acks while the leader's own write is still in flight.
    for (const message of ready.messages) if (message.to === follower) cluster.deliver(message);
    cluster.deliverAll();
    expect(core.matchIndexOf(follower!)).toBe(proposed.index);
    expect(core.commitIndex).toBeLessThan(proposed.index);
    cluster.node(leader).disk.append(ready.entries);
    core.advance();
    expect(core.commitIndex).toBe(proposed.index);
  });

  test("fast back-off: a follower with a long conflicting suffix is repaired in one rejection (§5.3)", () => {
    const leaderLog = [entry(1, 1), ...Array.from({ length: 19 }, (_, i) => entry(i + 2, 3))];
    const staleLog = [entry(1, 1), ...Array.from({ length: 29 }, (_, i) => entry(i + 2, 2))];
    const cluster = new TestCluster([1, 2, 3], (id) => ({
      log: id === 2 ? staleLog : leaderLog,
      hardState: { term: id === 2 ? 2 : 3, vote: 0, commit: 1 },
    }));
    cluster.tick(1, 100);
    deliverUntil(cluster, () => cluster.core(1).currentRole === "leader");
    let rejections = 0;
    while (cluster.queue.length > 0) {
      const message = cluster.queue.shift()!;
      if (message.type === "appendResponse" && message.from === 2 && !message.success) rejections++;
      cluster.deliver(message);
    }
    expect(rejections).toBe(1);
    expect(cluster.node(2).disk.lastIndex()).toBe(21);
    expect(terms(cluster.node(2).disk.entries(1, 22))).toEqual(terms(cluster.node(1).disk.entries(1, 22)));
  });

  test("pipelined replication keeps at most maxInflightAppends Appends outstanding per follower", () => {
    const cluster = new TestCluster([1, 2, 3], () => ({ maxEntriesPerAppend: 1, maxInflightAppends: 4 }));
    const leader = cluster.electLeader();
    cluster.run(3);
    for (let i = 0; i < 50; i++) cluster.core(leader).propose(`c${i}`);
    cluster.flush(leader);
    const follower = leader === 1 ? 2 : 1;
    const inFlight = cluster.messagesOfType("append").filter((m) => m.to === follower && m.entries.length > 0);
    expect(inFlight.length).toBe(4);
    cluster.deliverAll();
    cluster.run(5);
    expect(cluster.core(follower).lastIndex).toBe(cluster.core(leader).lastIndex);
  });

  test("a lost Append in the pipeline is recovered through heartbeats (simulator seed 20, 5 nodes)", () => {
    const cluster = new TestCluster([1, 2, 3], () => ({ maxEntriesPerAppend: 1, maxInflightAppends: 4 }));
    const leader = cluster.electLeader();
    cluster.run(3);
    const follower = leader === 1 ? 2 : 1;
    for (let i = 0; i < 3; i++) cluster.core(leader).propose(`c${i}`);
    cluster.flush(leader);
    cluster.drop((m) => m.type === "append" && m.to === follower);
    cluster.deliverAll();
    cluster.run(10);
    expect(cluster.core(follower).lastIndex).toBe(cluster.core(leader).lastIndex);
    expect(cluster.core(follower).commitIndex).toBe(cluster.core(leader).commitIndex);
  });

  test("every node applies the same committed entries once, in log order (§5.3)", () => {
    const cluster = new TestCluster([1, 2, 3, 4, 5]);
    const leader = cluster.electLeader();
    for (let i = 0; i < 10; i++) {
      cluster.core(leader).propose(`c${i}`);
      cluster.flush(leader);
      cluster.deliverAll();
    }
    cluster.run(3);
    const expected = cluster.node(leader).applied;
    expect(expected.map((e) => e.index)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    for (const id of [1, 2, 3, 4, 5]) expect(cluster.node(id).applied).toEqual(expected);
  });

  test("a leader cut off from the majority never commits what it accepts (§5.3)", () => {
    const cluster = new TestCluster([1, 2, 3, 4, 5]);
    const leader = cluster.electLeader();
    cluster.run(3);
    const commit = cluster.core(leader).commitIndex;
    const others = [1, 2, 3, 4, 5].filter((id) => id !== leader);
    for (const id of others.slice(0, 3)) cluster.isolate(id);
    cluster.core(leader).propose("lost");
    cluster.flush(leader);
    cluster.deliverAll();
    for (let i = 0; i < 5; i++) cluster.tick(leader);
    cluster.deliverAll();
    expect(cluster.core(leader).commitIndex).toBe(commit);
    expect(cluster.node(leader).applied.some((e) => e.data === "lost")).toBe(false);
  });

  test("a follower refuses proposals and names the leader it knows", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const leader = cluster.electLeader();
    cluster.run(2);
    const follower = leader === 1 ? 2 : 1;
    expect(cluster.core(follower).propose("x")).toEqual({ accepted: false, reason: "notLeader", leaderId: leader });
  });

  test("a leader refuses proposals beyond maxUncommittedEntries", () => {
    const cluster = new TestCluster([1, 2, 3], () => ({ maxUncommittedEntries: 5 }));
    const leader = cluster.electLeader();
    cluster.run(2);
    for (const id of [1, 2, 3]) if (id !== leader) cluster.isolate(id);
    const results = Array.from({ length: 8 }, (_, i) => cluster.core(leader).propose(`c${i}`));
    expect(results.filter((r) => r.accepted)).toHaveLength(5);
    expect(results[7]).toMatchObject({ accepted: false, reason: "tooManyUncommitted" });
  });

  test("a restarted node hands its committed entries to the driver again from its applied index", () => {
    const log = [entry(1, 1), entry(2, 1), entry(3, 1)];
    const cluster = new TestCluster([1, 2, 3], (id) => (id === 1 ? { log, hardState: { term: 1, vote: 0, commit: 3 }, applied: 1 } : {}));
    const ready = cluster.core(1).ready();
    expect(ready.committedEntries.map((e) => e.index)).toEqual([2, 3]);
  });
});
