/**
 * What the leader answers a JoinCluster (MembershipOperations.addLearner),
 * on a real consensus core from the scripted test network: which joins
 * become a config change, which are answered at once, which are refused.
 */
import { describe, expect, test } from "bun:test";
import { MembershipOperations } from "../../src/log/cluster-membership.ts";
import { processClock } from "../../src/log/driver-clock.ts";
import { MembershipChangeError } from "../../src/log/errors.ts";
import type { ConfChange } from "../../src/log/raft/types.ts";
import { createLogger } from "../../src/logger.ts";
import { TestCluster } from "../raft/harness.ts";

/** A three-voter cluster whose leader (1) committed its term and then added learner 4 at "h4:1". */
function leaderWithLearner() {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  cluster.run(1);
  cluster.addNode(4);
  expect(cluster.core(1).proposeConfChange({ kind: "addLearner", id: 4, address: "h4:1" }).accepted).toBe(true);
  cluster.run(3);
  const core = cluster.core(1);
  const proposed: ConfChange[] = [];
  const operations = new MembershipOperations({
    core,
    self: { id: 1, address: "" },
    timing: { tickMs: 10, heartbeatTicks: 1, electionTicks: 10 },
    clock: processClock,
    logger: createLogger("test", "warn"),
    appliedIndex: () => core.appliedIndex,
    snapshotIndex: () => 0,
    change: async (change) => {
      proposed.push(change);
      return { voters: [], learners: [] };
    },
    scheduleReady: () => {},
  });
  return { operations, proposed };
}

async function refusal(pending: Promise<unknown>): Promise<MembershipChangeError> {
  const error = await pending.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MembershipChangeError);
  return error as MembershipChangeError;
}

describe("joining the cluster", () => {
  test("a new id at a new address becomes a config change", async () => {
    const { operations, proposed } = leaderWithLearner();
    await operations.addLearner(5, "h5:1");
    expect(proposed).toEqual([{ kind: "addLearner", id: 5, address: "h5:1" }]);
  });

  test("a member re-joining with its own address is answered with the membership, and nothing changes", async () => {
    const { operations, proposed } = leaderWithLearner();
    const membership = await operations.addLearner(4, "h4:1");
    expect(membership.learners).toEqual([{ id: 4, address: "h4:1" }]);
    expect(proposed).toEqual([]);
  });

  test("a new id at an address another member has is refused, naming that member, and nothing changes", async () => {
    const { operations, proposed } = leaderWithLearner();
    const error = await refusal(operations.addLearner(5, "h4:1"));
    expect(error.message).toBe("address h4:1 already belongs to server 4; remove server 4 first, or give the new server another address");
    expect(proposed).toEqual([]);
  });

  test("a member's id at another address is refused, and nothing changes", async () => {
    const { operations, proposed } = leaderWithLearner();
    const error = await refusal(operations.addLearner(4, "h9:1"));
    expect(error.message).toContain("server id 4 is already in the cluster with another address");
    expect(proposed).toEqual([]);
  });
});
