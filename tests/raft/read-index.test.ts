// Linearizable reads through ReadIndex (dissertation §6.4, paper §8).

import { describe, expect, test } from "bun:test";
import { TestCluster } from "./harness.ts";

describe("ReadIndex (dissertation §6.4)", () => {
  test("ReadIndex confirms leadership with a heartbeat round to a majority before answering", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const leader = cluster.electLeader();
    cluster.run(2);
    const core = cluster.core(leader);
    core.readIndex("r1");
    cluster.flush(leader);
    expect(cluster.node(leader).readStates).toEqual([]);
    const heartbeats = cluster.messagesOfType("append").filter((m) => m.heartbeatRound > 0);
    expect(heartbeats).toHaveLength(2);
    // One follower's answer plus the leader itself is a majority of three.
    cluster.deliverFirst((m) => m === heartbeats[0]);
    cluster.deliverFirst((m) => m.type === "appendResponse" && m.heartbeatRound > 0);
    expect(cluster.node(leader).readStates).toEqual([{ requestId: "r1", ok: true, index: core.commitIndex }]);
  });

  test("a leader cut off from the majority never confirms a read, and fails it when it steps down", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const leader = cluster.electLeader();
    cluster.run(2);
    cluster.isolate(leader);
    cluster.core(leader).readIndex("stale");
    cluster.flush(leader);
    expect(cluster.node(leader).readStates).toEqual([]);
    cluster.tick(leader, 25); // check-quorum deposes it
    expect(cluster.core(leader).currentRole).toBe("follower");
    expect(cluster.node(leader).readStates).toEqual([{ requestId: "stale", ok: false, leaderId: 0 }]);
  });

  test("ReadIndex waits until a new leader has committed an entry of its own term", () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.tick(1, 100);
    // Deliver only until node 1 leads; its no-op is not yet replicated.
    while (cluster.core(1).currentRole !== "leader") cluster.deliverFirst(() => true);
    const core = cluster.core(1);
    core.readIndex("early");
    cluster.flush(1);
    expect(cluster.node(1).readStates).toEqual([]);
    cluster.deliverAll();
    cluster.run(2);
    expect(core.commitIndex).toBe(1);
    expect(cluster.node(1).readStates).toEqual([{ requestId: "early", ok: true, index: 1 }]);
  });

  test("ReadIndex on a follower fails and names the leader, so the driver can redirect", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const leader = cluster.electLeader();
    cluster.run(2);
    const follower = leader === 1 ? 2 : 1;
    cluster.core(follower).readIndex("r");
    cluster.flush(follower);
    expect(cluster.node(follower).readStates).toEqual([{ requestId: "r", ok: false, leaderId: leader }]);
  });

  test("a single-node leader answers ReadIndex without a round trip", () => {
    const cluster = new TestCluster([1]);
    cluster.electLeader();
    cluster.core(1).readIndex("solo");
    cluster.flush(1);
    expect(cluster.node(1).readStates).toEqual([{ requestId: "solo", ok: true, index: 1 }]);
  });
});
