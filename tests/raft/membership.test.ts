// Membership changes, leadership transfer and snapshots. Sections:
// "dissertation" = Ongaro, "Consensus: Bridging Theory and Practice" (2014).

import { describe, expect, test } from "bun:test";
import { RaftCore, type AppendMessage, type Entry, type Message, type SnapshotMessage } from "../../src/log/raft/index.ts";
import { bootstrappedDisk, entry, seededRandom, TestCluster } from "./harness.ts";

/** A three-node cluster whose leader (node 1) has committed its own-term no-op. */
function clusterWithLeader(): TestCluster {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  cluster.run(1);
  expect(cluster.leader()).toBe(1);
  return cluster;
}

function configEntry(index: number, term: number, voters: number[], learners: number[] = []): Entry {
  const members = (ids: number[]) => ids.map((id) => ({ id, address: `h${id}:1` }));
  return { index, term, type: "config", data: JSON.stringify({ voters: members(voters), learners: members(learners) }) };
}

function append(from: number, to: number, term: number, prevIndex: number, prevTerm: number, entries: Entry[], leaderCommit = 0): AppendMessage {
  return { type: "append", from, to, term, prevIndex, prevTerm, entries, leaderCommit, heartbeatRound: 0 };
}

describe("membership changes (dissertation §4.1, §4.2)", () => {
  test("a learner receives entries but does not count for commit, and never campaigns (§4.2.1)", () => {
    const cluster = clusterWithLeader();
    cluster.addNode(4);
    const added = cluster.core(1).proposeConfChange({ kind: "addLearner", id: 4, address: "h4:1" });
    expect(added.accepted).toBe(true);
    cluster.run(3);
    expect(cluster.core(4).membership().learners).toEqual([4]);
    expect(cluster.core(4).lastIndex).toBe(cluster.core(1).lastIndex);
    expect(cluster.core(1).membershipAddresses()[4]).toBe("h4:1");

    // With both other voters cut off, the leader and the learner are not a majority.
    cluster.isolate(2);
    cluster.isolate(3);
    const commit = cluster.core(1).commitIndex;
    const proposed = cluster.core(1).propose("x");
    cluster.flush(1);
    cluster.deliverAll();
    expect(proposed.accepted).toBe(true);
    expect(cluster.core(1).progressOf(4)?.match).toBe(cluster.core(1).lastIndex);
    expect(cluster.core(1).commitIndex).toBe(commit);

    // A learner whose leader went silent still does not campaign.
    cluster.isolate(1);
    cluster.tick(4, 200);
    expect(cluster.core(4).currentRole).toBe("follower");
  });

  test("a change is refused until the leader has committed an entry of its own term (Ongaro's 2015 single-server bug)", () => {
    const cluster = new TestCluster([1, 2, 3]);
    for (let i = 0; i < 100 && cluster.core(1).currentRole !== "leader"; i++) {
      if (cluster.core(1).currentRole === "follower") cluster.tick(1);
      while (cluster.deliverFirst((m) => m.type !== "append")) {}
    }
    expect(cluster.core(1).currentRole).toBe("leader");
    cluster.drop((m) => m.type === "append"); // the no-op has not reached anyone
    expect(cluster.core(1).proposeConfChange({ kind: "addLearner", id: 4 })).toMatchObject({ accepted: false, reason: "ownTermNotCommitted" });
    cluster.tick(1);
    cluster.deliverAll();
    expect(cluster.core(1).proposeConfChange({ kind: "addLearner", id: 4 }).accepted).toBe(true);
  });

  test("a second change is refused while one is uncommitted, and invalid changes are refused (§4.1)", () => {
    const cluster = clusterWithLeader();
    cluster.addNode(4);
    cluster.addNode(5);
    const leader = cluster.core(1);
    expect(leader.proposeConfChange({ kind: "promote", id: 2 })).toMatchObject({ accepted: false, reason: "invalidChange" });
    expect(leader.proposeConfChange({ kind: "remove", id: 9 })).toMatchObject({ accepted: false, reason: "invalidChange" });
    expect(leader.proposeConfChange({ kind: "addLearner", id: 3 })).toMatchObject({ accepted: false, reason: "invalidChange" });
    expect(leader.proposeConfChange({ kind: "addLearner", id: 4 }).accepted).toBe(true);
    expect(leader.membership().learners).toEqual([4]); // in force as soon as appended
    expect(leader.proposeConfChange({ kind: "addLearner", id: 5 })).toMatchObject({ accepted: false, reason: "changeInProgress" });
    cluster.flush(1);
    cluster.deliverAll();
    expect(leader.commitIndex).toBe(leader.membership().configIndex);
    expect(leader.proposeConfChange({ kind: "promote", id: 4 }).accepted).toBe(true);
    expect(leader.membership().voters).toEqual([1, 2, 3, 4]);
  });

  test("a config entry truncated away reverts the node to the previous config (§4.1)", () => {
    const storage = bootstrappedDisk([1, 2, 3]);
    const core = new RaftCore({ id: 2, storage, hardState: { term: 0, vote: 0, commit: 0 }, applied: 0, random: seededRandom(1) });
    core.step(append(1, 2, 1, 0, 0, [entry(1, 1), configEntry(2, 1, [1, 2, 3], [4])], 1));
    expect(core.membership()).toMatchObject({ voters: [1, 2, 3], learners: [4], configIndex: 2 });
    const ready = core.ready();
    expect(ready.membership?.learners).toEqual([4]);
    storage.append(ready.entries);
    core.advance();
    // A new leader of term 2 never had entry 2: it overwrites it.
    core.step(append(3, 2, 2, 1, 1, [entry(2, 2)], 1));
    expect(core.membership()).toMatchObject({ voters: [1, 2, 3], learners: [], configIndex: 0 });
    expect(core.ready().membership?.learners).toEqual([]);
  });

  test("a removed leader steps down once its removal commits, and a removed node does not disrupt the cluster (§4.2.2, §4.2.3)", () => {
    const cluster = clusterWithLeader();
    expect(cluster.core(1).proposeConfChange({ kind: "remove", id: 1 }).accepted).toBe(true);
    expect(cluster.core(1).currentRole).toBe("leader"); // leads until the removal commits
    cluster.flush(1);
    cluster.deliverAll();
    expect(cluster.core(1).currentRole).toBe("follower");
    expect(cluster.core(2).membership().voters).toEqual([2, 3]);
    const leader = cluster.electLeader();
    expect([2, 3]).toContain(leader);
    cluster.run(5);
    cluster.tick(1, 200); // the removed node knows it is out: it never campaigns
    expect(cluster.core(1).currentRole).toBe("follower");

    // Remove a follower that never hears of its removal: it campaigns, and is ignored.
    const other = leader === 2 ? 3 : 2;
    cluster.addNode(4);
    expect(cluster.core(leader).proposeConfChange({ kind: "addLearner", id: 4 }).accepted).toBe(true);
    cluster.run(3);
    expect(cluster.core(leader).proposeConfChange({ kind: "promote", id: 4 }).accepted).toBe(true);
    cluster.run(3);
    cluster.isolate(other);
    expect(cluster.core(leader).proposeConfChange({ kind: "remove", id: other }).accepted).toBe(true);
    cluster.run(3);
    expect(cluster.core(leader).membership().voters).not.toContain(other);
    expect(cluster.core(other).membership().voters).toContain(other);
    const term = cluster.core(leader).currentTerm;
    cluster.recover();
    cluster.run(150);
    expect(cluster.core(leader).currentRole).toBe("leader");
    expect(cluster.core(leader).currentTerm).toBe(term);
  });
});

describe("leadership transfer (dissertation §3.10)", () => {
  test("a transfer to an up-to-date follower elects it, and the old leader refuses proposals meanwhile", () => {
    const cluster = clusterWithLeader();
    const term = cluster.core(1).currentTerm;
    expect(cluster.core(1).transferLeadership(2)).toEqual({ started: true });
    expect(cluster.core(1).propose("x")).toMatchObject({ accepted: false, reason: "transferring", leaderId: 2 });
    cluster.flush(1);
    expect(cluster.messagesOfType("timeoutNow")).toHaveLength(1);
    cluster.deliverAll();
    expect(cluster.core(2).currentRole).toBe("leader");
    expect(cluster.core(2).currentTerm).toBe(term + 1);
    expect(cluster.core(1).currentRole).toBe("follower");
  });

  test("a transfer to a lagging follower first catches it up; one that cannot finish is abandoned after an election timeout", () => {
    const cluster = clusterWithLeader();
    cluster.isolate(3);
    cluster.core(1).propose("a");
    cluster.flush(1);
    cluster.deliverAll();
    expect(cluster.core(1).transferLeadership(3).started).toBe(true);
    cluster.tick(1, 10);
    expect(cluster.core(1).transferee).toBe(0);
    expect(cluster.core(1).propose("b").accepted).toBe(true);
    expect(cluster.core(1).transferLeadership(9)).toEqual({ started: false, reason: "notVoter" });
  });
});

describe("snapshots and compaction (dissertation §5.1)", () => {
  test("a follower behind the compacted log gets a snapshot and then the tail", () => {
    const cluster = clusterWithLeader();
    cluster.isolate(3);
    for (let i = 0; i < 20; i++) cluster.core(1).propose(`c${i}`);
    cluster.flush(1);
    cluster.deliverAll();
    cluster.run(2);
    const leader = cluster.core(1);
    expect(leader.commitIndex).toBe(leader.lastIndex);
    cluster.compact(1, leader.commitIndex - 3);
    const snapshotIndex = leader.commitIndex - 3;
    expect(cluster.node(1).disk.firstIndex()).toBe(snapshotIndex + 1);

    cluster.recover();
    cluster.run(1);
    const sent = cluster.queue.length === 0 ? [] : cluster.queue;
    expect(sent.every((m) => m.type !== "snapshot")).toBe(true); // delivered by run()
    expect(cluster.node(3).snapshots.map((s) => s.index)).toEqual([snapshotIndex]);
    cluster.run(3);
    const follower = cluster.node(3);
    expect(follower.disk.firstIndex()).toBe(snapshotIndex + 1);
    expect(follower.core.commitIndex).toBe(leader.commitIndex);
    expect(follower.core.lastIndex).toBe(leader.lastIndex);
    // Applied entries resume right after the snapshot.
    expect(follower.applied.filter((e) => e.index > snapshotIndex).map((e) => e.index)[0]).toBe(snapshotIndex + 1);
    expect(follower.core.membership().voters).toEqual([1, 2, 3]);
  });

  test("a snapshot never rolls back a follower's committed entries", () => {
    const log = Array.from({ length: 10 }, (_, i) => entry(i + 1, 1));
    const core = new RaftCore({
      id: 2,
      storage: bootstrappedDisk([1, 2, 3], log, { term: 1, vote: 0, commit: 8 }),
      hardState: { term: 1, vote: 0, commit: 8 },
      applied: 8,
      random: seededRandom(1),
    });
    const old: SnapshotMessage = {
      type: "snapshot",
      from: 1,
      to: 2,
      term: 1,
      snapshot: { index: 5, term: 1, membership: { voters: [1, 2, 3].map((id) => ({ id, address: "" })), learners: [] } },
    };
    expect(core.snapshotWanted(old)).toBe(false);
    core.step(old);
    const ready = core.ready();
    expect(ready.snapshot).toBeUndefined();
    expect(ready.messages[0]).toMatchObject({ type: "appendResponse", success: true, matchIndex: 8 });
    core.advance();
    expect(core.commitIndex).toBe(8);
    expect(core.lastIndex).toBe(10);
  });

  test("an installed snapshot discards a conflicting entry at its index and everything after it (hashicorp/raft #704)", () => {
    const log = [entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2)];
    const storage = bootstrappedDisk([1, 2, 3], log, { term: 2, vote: 0, commit: 2 });
    const core = new RaftCore({ id: 2, storage, hardState: { term: 2, vote: 0, commit: 2 }, applied: 2, random: seededRandom(1) });
    const message: Message = {
      type: "snapshot",
      from: 1,
      to: 2,
      term: 3,
      snapshot: { index: 3, term: 3, membership: { voters: [1, 2, 3].map((id) => ({ id, address: "" })), learners: [] } },
    };
    expect(core.snapshotWanted(message)).toBe(true);
    core.step(message);
    const ready = core.ready();
    expect(ready.snapshot?.index).toBe(3);
    expect(ready.entries).toEqual([]);
    expect(ready.hardState?.commit).toBe(3);
    expect(ready.committedEntries).toEqual([]);
    expect(ready.messages[0]).toMatchObject({ type: "appendResponse", success: true, matchIndex: 3 });
    storage.applySnapshot(ready.snapshot!);
    core.advance();
    expect(core.lastIndex).toBe(3);
    expect(core.termAt(3)).toBe(3);
    expect(core.termAt(4)).toBeUndefined();
    expect(storage.firstIndex()).toBe(4);
  });
});
