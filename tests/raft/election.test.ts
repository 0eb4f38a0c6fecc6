// Election scenarios. Sections: "paper" = Raft paper (Ongaro & Ousterhout 2014),
// "dissertation" = Ongaro's PhD dissertation (2014).

import { describe, expect, test } from "bun:test";
import type { Message, VoteMessage, VoteResponseMessage } from "../../src/log/raft/index.ts";
import { entry, TestCluster } from "./harness.ts";

function voteRequest(from: number, to: number, term: number, lastLogIndex = 0, lastLogTerm = 0): VoteMessage {
  return { type: "vote", from, to, term, lastLogIndex, lastLogTerm };
}

function responsesTo(messages: Message[], to: number): VoteResponseMessage[] {
  return messages.filter((m): m is VoteResponseMessage => m.type === "voteResponse" && m.to === to);
}

describe("elections (paper §5.2, §5.4.1)", () => {
  test("a node grants at most one vote per term (§5.2)", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const voter = cluster.core(3);
    voter.step(voteRequest(1, 3, 1));
    voter.step(voteRequest(2, 3, 1));
    const ready = voter.ready();
    expect(responsesTo(ready.messages, 1)[0]?.granted).toBe(true);
    expect(responsesTo(ready.messages, 2)[0]?.granted).toBe(false);
    expect(ready.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
  });

  test("a vote reaches the HardState of the same Ready as the response that grants it (figure 2, persistent state)", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const voter = cluster.core(2);
    voter.step(voteRequest(1, 2, 5));
    const ready = voter.ready();
    expect(ready.hardState?.vote).toBe(1);
    expect(ready.hardState?.term).toBe(5);
    expect(responsesTo(ready.messages, 1)).toHaveLength(1);
  });

  test("a restarted node remembers its vote and does not vote twice in a term (§5.2)", () => {
    const cluster = new TestCluster([1, 2, 3], (id) => (id === 3 ? { hardState: { term: 4, vote: 1, commit: 0 } } : {}));
    const voter = cluster.core(3);
    voter.step(voteRequest(2, 3, 4));
    voter.step(voteRequest(1, 3, 4));
    const ready = voter.ready();
    expect(responsesTo(ready.messages, 2)[0]?.granted).toBe(false);
    expect(responsesTo(ready.messages, 1)[0]?.granted).toBe(true);
  });

  test("a node refuses to vote for a candidate whose log is less up to date (§5.4.1)", () => {
    const log = [entry(1, 1), entry(2, 2)];
    const cluster = new TestCluster([1, 2, 3], (id) => (id === 3 ? { log, hardState: { term: 2, vote: 0, commit: 0 } } : {}));
    const voter = cluster.core(3);
    voter.step(voteRequest(1, 3, 3, 5, 1)); // longer log, older last term
    voter.step(voteRequest(2, 3, 4, 1, 2)); // same last term, shorter log
    const ready = voter.ready();
    expect(responsesTo(ready.messages, 1)[0]?.granted).toBe(false);
    expect(responsesTo(ready.messages, 2)[0]?.granted).toBe(false);
    expect(voter.currentTerm).toBe(4);
  });

  test("any message with a higher term turns a leader into a follower at once (§5.1)", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const leader = cluster.electLeader();
    const term = cluster.core(leader).currentTerm;
    const other = leader === 1 ? 2 : 1;
    cluster.core(leader).step({
      type: "appendResponse",
      from: other,
      to: leader,
      term: term + 3,
      success: false,
      matchIndex: 0,
      rejectedIndex: 0,
      conflictIndex: 0,
      conflictTerm: 0,
      heartbeatRound: 0,
    });
    expect(cluster.core(leader).currentRole).toBe("follower");
    expect(cluster.core(leader).currentTerm).toBe(term + 3);
  });

  test("a stale leader's Append is answered with the newer term so it steps down (§5.1)", () => {
    const cluster = new TestCluster([1, 2, 3], (id) => (id === 2 ? { hardState: { term: 7, vote: 0, commit: 0 } } : {}));
    cluster.core(2).step({ type: "append", from: 1, to: 2, term: 3, prevIndex: 0, prevTerm: 0, entries: [], leaderCommit: 0, heartbeatRound: 1 });
    const reply = cluster.core(2).ready().messages[0];
    expect(reply).toMatchObject({ type: "appendResponse", to: 1, term: 7, success: false });
  });

  test("a candidate that hears an Append from a leader of its term becomes its follower (§5.2)", () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.tick(2, 60); // 2 pre-campaigns alone: still term 0
    cluster.core(2).step(voteRequest(3, 2, 1)); // now grants 3 at term 1
    cluster.flush(2);
    cluster.core(2).step({ type: "append", from: 3, to: 2, term: 1, prevIndex: 0, prevTerm: 0, entries: [], leaderCommit: 0, heartbeatRound: 1 });
    expect(cluster.core(2).currentRole).toBe("follower");
    expect(cluster.core(2).leader).toBe(3);
  });

  test("a single-node cluster elects itself and commits its own no-op", () => {
    const cluster = new TestCluster([1]);
    cluster.electLeader();
    expect(cluster.core(1).commitIndex).toBe(1);
    expect(cluster.node(1).applied.map((e) => e.type)).toEqual(["noop"]);
  });

  test("a new leader knows where its term starts in the very step that elects it, before any Ready", () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.tick(1, 100); // pre-vote, then the vote requests
    // Vote answers reach node 1 as bare steps: no Ready of its own runs in between.
    for (let step = 0; step < 50 && cluster.core(1).currentRole !== "leader"; step++) {
      const message = cluster.queue.shift();
      if (!message) break;
      if (message.to === 1 && message.type === "voteResponse") cluster.core(1).step(message);
      else cluster.deliver(message);
    }
    const leader = cluster.core(1);
    expect(leader.currentRole).toBe("leader");
    expect(leader.hasReady()).toBe(true); // its no-op is not even persisted yet
    expect(leader.termStartIndex).toBe(leader.lastIndex);
    expect(leader.termAt(leader.termStartIndex)).toBe(leader.currentTerm);
    expect(cluster.core(2).termStartIndex).toBe(0);
  });

  test("election timeouts are randomized (§5.2)", () => {
    const firstCampaignTick = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const cluster = new TestCluster([1, 2, 3], () => ({}), seed);
      let ticks = 0;
      while (cluster.core(2).currentRole === "follower") {
        cluster.tick(2);
        ticks++;
      }
      firstCampaignTick.add(ticks);
    }
    expect(firstCampaignTick.size).toBeGreaterThan(3);
    expect(Math.min(...firstCampaignTick)).toBeGreaterThanOrEqual(10);
  });

  test("the lower id tends to win the first election (the seed's preference, never a safety rule)", () => {
    const wins = new Map<number, number>();
    for (let seed = 1; seed <= 100; seed++) {
      const cluster = new TestCluster([1, 2, 3, 4, 5], () => ({}), seed);
      const leader = cluster.electLeader();
      wins.set(leader, (wins.get(leader) ?? 0) + 1);
    }
    expect(wins.get(1) ?? 0).toBeGreaterThan(40);
    expect(wins.get(1) ?? 0).toBeGreaterThan(wins.get(5) ?? 0);
    expect(wins.size).toBeGreaterThan(1); // a preference: others still win sometimes
  });
});

describe("pre-vote and check-quorum (dissertation §9.6, §6.2, §4.2.3)", () => {
  test("pre-vote: a partitioned node does not raise its term while it cannot win", () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.electLeader();
    const term = cluster.core(3).currentTerm;
    cluster.isolate(3);
    cluster.tick(3, 200);
    expect(cluster.core(3).currentTerm).toBe(term);
    expect(cluster.core(3).currentRole).toBe("preCandidate");
  });

  test("pre-vote: a rejoining partitioned node does not disrupt the leader", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const leader = cluster.electLeader();
    const rejoining = leader === 3 ? 2 : 3;
    const term = cluster.core(leader).currentTerm;
    cluster.isolate(rejoining);
    for (let i = 0; i < 100; i++) {
      cluster.run(1);
      cluster.tick(rejoining);
    }
    cluster.recover();
    cluster.run(50);
    expect(cluster.core(leader).currentRole).toBe("leader");
    expect(cluster.core(leader).currentTerm).toBe(term);
    expect(cluster.core(rejoining).leader).toBe(leader);
  });

  test("followers that heard from a leader within the election timeout ignore higher-term vote requests", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const leader = cluster.electLeader();
    const follower = leader === 2 ? 3 : 2;
    const candidate = 6 - leader - follower;
    const term = cluster.core(follower).currentTerm;
    cluster.core(follower).step(voteRequest(candidate, follower, term + 1, 100, term));
    cluster.core(follower).step({ type: "preVote", from: candidate, to: follower, term: term + 1, lastLogIndex: 100, lastLogTerm: term });
    expect(cluster.core(follower).currentTerm).toBe(term);
    expect(cluster.core(follower).hasReady()).toBe(false);
  });

  test("check-quorum: an isolated leader steps down within an election timeout", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const leader = cluster.electLeader();
    cluster.isolate(leader);
    cluster.tick(leader, 2 * 10);
    expect(cluster.core(leader).currentRole).toBe("follower");
  });

  test("check-quorum: a leader that hears from a majority keeps leading", () => {
    const cluster = new TestCluster([1, 2, 3, 4, 5]);
    const leader = cluster.electLeader();
    const others = [1, 2, 3, 4, 5].filter((id) => id !== leader);
    cluster.isolate(others[0]!);
    cluster.isolate(others[1]!);
    cluster.run(100);
    expect(cluster.core(leader).currentRole).toBe("leader");
  });

  test("a majority side elects a new leader and the old leader follows it after healing (§5.2)", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const oldLeader = cluster.electLeader();
    cluster.isolate(oldLeader);
    cluster.run(100);
    const newLeader = [1, 2, 3].find((id) => id !== oldLeader && cluster.core(id).currentRole === "leader");
    expect(newLeader).toBeDefined();
    cluster.recover();
    cluster.run(30);
    expect(cluster.core(oldLeader).leader).toBe(newLeader!);
    expect(cluster.core(oldLeader).currentTerm).toBe(cluster.core(newLeader!).currentTerm);
  });
});
