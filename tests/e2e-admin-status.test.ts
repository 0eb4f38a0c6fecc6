/**
 * `admin status` against three real replica processes: it asks every member
 * itself, exits 0 while all answer and one leads, shows a killed member as
 * unreachable and exits 1, and with two of three dead reports no leader.
 */
import { afterAll, expect, test } from "bun:test";
import { spawnScript } from "../src/tools/processes/script-process.ts";
import { adminScript, TestCluster } from "./support/cluster.ts";
import { conditionMsMax, waitFor } from "./support/replica.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";

interface Report {
  healthy: boolean;
  leader: { id: number; term: number } | null;
  problems: string[];
  members: { id: number; reachable: boolean; membership: string; role?: string; appliedIndex?: number; lagEntries: number | null; version?: string }[];
}

let cluster: TestCluster | null = null;

afterAll(async () => {
  await cluster?.cleanup();
}, hookMs);

/** Runs `admin status --json` until `accept` holds for its report (elections take a moment), returning that run. */
async function statusUntil(accept: (report: Report, code: number) => boolean, what: string): Promise<{ report: Report; code: number }> {
  let last: { report: Report; code: number } | null = null;
  await waitFor(
    async () => {
      const run = await cluster!.admin(["status", "--json"]);
      last = { report: JSON.parse(run.stdout) as Report, code: run.code };
      return accept(last.report, last.code);
    },
    conditionMsMax,
    what,
  );
  return last!;
}

test(
  "status asks every member: all answer and exit 0; one killed shows unreachable and exit 1; two killed, no leader",
  async () => {
    cluster = await TestCluster.start(3);
    const leader = await cluster.leader();

    const healthy = await statusUntil((report) => report.healthy, "a healthy report");
    expect(healthy.code).toBe(0);
    expect(healthy.report.leader?.id).toBe(leader.id);
    expect(healthy.report.members.map((member) => [member.id, member.reachable, member.membership])).toEqual([
      [1, true, "voter"],
      [2, true, "voter"],
      [3, true, "voter"],
    ]);
    expect(healthy.report.members.every((member) => member.version === "0.1.0")).toBe(true);

    // The text form: a headline with the leader, one row per member.
    const text = await cluster.admin(["status"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`leader ${leader.id} at ${leader.address}, term ${leader.term}`);
    expect(text.stdout).toContain("healthy: a leader, and every member answers");

    const [first, second] = cluster.ids().filter((id) => id !== leader.id);
    await cluster.kill(first!, "SIGKILL");
    const oneDown = await statusUntil((report) => report.leader !== null, "a report with the leader while one member is down");
    expect(oneDown.code).toBe(1);
    expect(oneDown.report.members.find((member) => member.id === first)).toMatchObject({ reachable: false, lagEntries: null });
    expect(oneDown.report.problems).toEqual([expect.stringContaining(`server ${first} (voter) at `)]);
    const textDown = await cluster.admin(["status"]);
    expect(textDown.code).toBe(1);
    expect(textDown.stdout).toContain(`server ${first} (voter) at ${cluster.member(first!).address} is unreachable`);

    // Two of three dead: the one left cannot lead (it steps down without a quorum).
    await cluster.kill(second!, "SIGKILL");
    const noLeader = await statusUntil((report) => report.leader === null, "a report without a leader");
    expect(noLeader.code).toBe(1);
    expect(noLeader.report.problems[0]).toContain("the cluster has no leader");
    const textNone = await cluster.admin(["status"]);
    expect(textNone.code).toBe(1);
    expect(textNone.stdout).toContain("NO LEADER");
  },
  childProcessesMs,
);

test(
  "status --watch refreshes until interrupted, and an interval out of bounds is refused",
  async () => {
    const watching = spawnScript(adminScript, ["--server", cluster!.addresses().join(","), "status", "--watch", "--json", "--interval", "0.5"], {
      env: { CHAT_CLUSTER_SECRET: cluster!.secret },
    });
    try {
      await waitFor(() => watching.stdout.lines.length >= 2, conditionMsMax, "two reports from --watch");
      expect(watching.running()).toBe(true);
      for (const line of watching.stdout.lines.slice(0, 2)) expect((JSON.parse(line) as Report).members).toHaveLength(3);
    } finally {
      await watching.kill("SIGKILL");
    }
    const refused = await cluster!.admin(["status", "--watch", "--interval", "0.01"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("--interval must be from 0.5 to 60 seconds");
  },
  childProcessesMs,
);
