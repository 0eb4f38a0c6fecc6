/**
 * How `admin status` judges the answers of the members it asked: the
 * membership comes from the leader, never from a removed server that
 * happened to answer first; a member that does not answer is unreachable
 * (not lagging); no member leading is a problem, not a "leader 0".
 */
import { describe, expect, test } from "bun:test";
import { gatherStatus, judge, type Answer, type MemberReply } from "../../src/tools/admin/cluster-status.ts";

const voters = [1, 2, 3].map((id) => ({ id, address: `10.0.0.${id}:50051`, role: "voter", matchIndex: 0 }));

function reply(id: number, fields: Partial<MemberReply> = {}): MemberReply {
  return {
    id,
    address: `10.0.0.${id}:50051`,
    role: "follower",
    term: 4,
    leaderId: 1,
    leaderAddress: "10.0.0.1:50051",
    commitIndex: 100,
    appliedIndex: 100,
    lastIndex: 100,
    snapshotIndex: 0,
    membershipRole: "voter",
    lastContactMs: 12,
    databaseBytes: 4096,
    version: "0.1.0",
    members: voters,
    clusterId: "c1",
    ...fields,
  };
}

const answers = (entries: [string, Answer][]) => new Map(entries);

describe("admin status judges what the members say of themselves", () => {
  test("a healthy cluster: a leader, every member answers, lag measured against the leader's commit index", () => {
    const status = judge(
      answers([
        ["10.0.0.1:50051", { reply: reply(1, { role: "leader", commitIndex: 120, appliedIndex: 120, lastContactMs: 0 }) }],
        ["10.0.0.2:50051", { reply: reply(2, { appliedIndex: 110 }) }],
        ["10.0.0.3:50051", { reply: reply(3, { appliedIndex: 120 }) }],
      ]),
    );
    expect(status.leader).toEqual({ id: 1, address: "10.0.0.1:50051", term: 4 });
    expect(status.problems).toEqual([]);
    expect(status.members.map((member) => member.lagEntries)).toEqual([0, 10, 0]);
  });

  test("a member that does not answer is unreachable, not lagging, and makes the report fail", () => {
    const status = judge(
      answers([
        ["10.0.0.1:50051", { reply: reply(1, { role: "leader", lastContactMs: 0 }) }],
        ["10.0.0.2:50051", { reply: reply(2) }],
        ["10.0.0.3:50051", { error: "no answer" }],
      ]),
    );
    const dead = status.members.find((member) => member.id === 3)!;
    expect(dead.reply).toBeNull();
    expect(dead.lagEntries).toBeNull();
    expect(status.problems).toEqual(["server 3 (voter) at 10.0.0.3:50051 is unreachable: no answer"]);
  });

  test("no member leading is a problem that names how many voters answer", () => {
    const status = judge(
      answers([
        ["10.0.0.1:50051", { reply: reply(1, { role: "candidate", term: 9, leaderId: 0 }) }],
        ["10.0.0.2:50051", { error: "no answer" }],
        ["10.0.0.3:50051", { error: "no answer" }],
      ]),
    );
    expect(status.leader).toBeNull();
    expect(status.problems[0]).toBe("the cluster has no leader: no member says it leads (1 of 3 voters answer; a leader needs 2)");
    expect(status.problems).toHaveLength(3);
  });

  test("a leader of an older term than a member has seen is no leader (an election is under way)", () => {
    const status = judge(
      answers([
        ["10.0.0.1:50051", { reply: reply(1, { role: "leader", term: 4 }) }],
        ["10.0.0.2:50051", { reply: reply(2, { role: "candidate", term: 5, leaderId: 0 }) }],
        ["10.0.0.3:50051", { reply: reply(3) }],
      ]),
    );
    expect(status.leader).toBeNull();
    expect(status.problems[0]).toContain("server 1 leads term 4, but a member has seen term 5");
  });

  test("a removed server asked first does not name the cluster: the leader's membership does, and it shows as no member", async () => {
    // Server 9 was removed; it still believes in an old membership (itself and 1, 2) and a lower term.
    const removed = reply(9, {
      address: "10.0.0.9:50051",
      role: "follower",
      term: 3,
      leaderId: 0,
      membershipRole: "voter",
      members: [...voters.slice(0, 2), { id: 9, address: "10.0.0.9:50051", role: "voter", matchIndex: 0 }],
    });
    const byAddress: Record<string, Answer> = {
      "10.0.0.9:50051": { reply: removed },
      "10.0.0.1:50051": { reply: reply(1, { role: "leader", lastContactMs: 0 }) },
      "10.0.0.2:50051": { reply: reply(2) },
      "10.0.0.3:50051": { reply: reply(3) },
    };
    const asked: string[] = [];
    const status = await gatherStatus(["10.0.0.9:50051", "10.0.0.1:50051"], async (address) => {
      asked.push(address);
      return byAddress[address] ?? { error: "no answer" };
    });
    expect(asked.sort()).toEqual(["10.0.0.1:50051", "10.0.0.2:50051", "10.0.0.3:50051", "10.0.0.9:50051"]);
    expect(status.leader?.id).toBe(1);
    expect(status.members.map((member) => member.id)).toEqual([1, 2, 3]);
    expect(status.others.map((other) => [other.id, other.membership])).toEqual([[9, "none"]]);
    expect(status.problems).toEqual([]);
  });

  test("a member reached under another name (localhost) is that member, not a stranger", async () => {
    const byAddress: Record<string, Answer> = {
      "localhost:50051": { reply: reply(1, { role: "leader", lastContactMs: 0 }) },
      "10.0.0.1:50051": { reply: reply(1, { role: "leader", lastContactMs: 0 }) },
      "10.0.0.2:50051": { reply: reply(2) },
      "10.0.0.3:50051": { reply: reply(3) },
    };
    const status = await gatherStatus(["localhost:50051"], async (address) => byAddress[address] ?? { error: "no answer" });
    expect(status.others).toEqual([]);
    expect(status.problems).toEqual([]);
  });

  test("nothing answers: one problem naming every address tried", () => {
    const status = judge(answers([["10.0.0.1:50051", { error: "no answer" }]]));
    expect(status.leader).toBeNull();
    expect(status.problems).toEqual(["no member answered with the cluster's membership; tried 10.0.0.1:50051 (no answer)"]);
  });
});
