/**
 * A replica's log as an operator meets it: with --log-format json every
 * line is one JSON object carrying the replica's id and, once it runs, its
 * term; --log-level drops what is below it; and a leader says when a peer
 * stops answering and when it is back, and why each role change happened.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { freePorts } from "../src/tools/processes/free-port.ts";
import { replicaScript } from "../src/tools/processes/replica-process.ts";
import { spawnScript, type ScriptProcess } from "../src/tools/processes/script-process.ts";
import { TestCluster } from "./support/cluster.ts";
import { rawStub } from "./support/raw-client.ts";
import { temporaryDirectory, waitFor } from "./support/replica.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";

/** Generous: a replica starts in a second when idle; a loaded machine takes far longer. */
const lineWaitMs = 30_000;
/** A leader notices a dead peer within a peer call's deadline (config.json rpc_timeout_ms) plus a heartbeat. */
const peerNoticeMs = 30_000;

const started: ScriptProcess[] = [];
const scratch: { remove(): void }[] = [];
let cluster: TestCluster | null = null;

afterAll(async () => {
  for (const process of started) await process.kill("SIGKILL");
  for (const directory of scratch) directory.remove();
  await cluster?.cleanup();
}, hookMs);

function standalone(args: string[]): ScriptProcess {
  const data = temporaryDirectory("replica-logs-");
  scratch.push(data);
  const port = args.includes("--server_port") ? [] : ["--server_port", "0"];
  const replica = spawnScript(replicaScript, ["--standalone", ...port, "--data_dir", join(data.path, "replica-1"), ...args]);
  started.push(replica);
  return replica;
}

describe("replica logs", () => {
  test(
    "--log-format json writes one JSON object per line, each with the replica's id, and the term once the node runs",
    async () => {
      const replica = standalone(["--log-format", "json"]);
      await waitFor(() => replica.stderr.text().includes('"msg":"serving"'), lineWaitMs, "the standalone replica to serve");
      await replica.stop(10_000);
      const lines = replica.stderr
        .text()
        .split("\n")
        .filter((line) => line !== "");
      const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(parsed.every((line) => line.replica === 1 && typeof line.time === "string" && typeof line.level === "string")).toBe(true);
      const serving = parsed.findIndex((line) => line.msg === "serving");
      expect(serving).toBeGreaterThanOrEqual(0);
      expect(parsed.slice(serving).every((line) => typeof line.term === "number")).toBe(true);
      expect(parsed.find((line) => line.msg === "role leader")?.why).toBe("won the election");
    },
    childProcessesMs,
  );

  test(
    "--log-level warn leaves out the info lines",
    async () => {
      const [port] = await freePorts(1);
      const replica = standalone(["--log-level", "warn", "--log-format", "json", "--server_port", String(port)]);
      const stub = rawStub(`127.0.0.1:${port}`);
      // Up and leading, so its info lines ("serving", "role leader") would have been written by now.
      await waitFor(
        () =>
          new Promise<boolean>((resolve) =>
            stub.GetLeaderInfo({}, { deadline: Date.now() + 1000 }, (error, reply) => resolve(!error && reply?.leaderId === 1)),
          ),
        lineWaitMs,
        "the standalone replica to lead",
      );
      stub.close();
      await replica.stop(10_000);
      const levels = replica.stderr
        .text()
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => (JSON.parse(line) as { level: string }).level);
      expect(levels.every((level) => level === "warn" || level === "error")).toBe(true);
    },
    childProcessesMs,
  );

  test(
    "a leader logs a peer that stopped answering and its return, and each role change says why",
    async () => {
      cluster = await TestCluster.start(3);
      const leader = await cluster.leader();
      const follower = cluster.ids().find((id) => id !== leader.id)!;
      expect(cluster.log(leader.id)).toMatch(/role leader .*why="won the election"/);
      await cluster.kill(follower);
      await waitFor(() => cluster!.log(leader.id).includes(`peer unreachable peer=${follower}`), peerNoticeMs, "the leader to notice the dead peer");
      await cluster.restart(follower);
      await waitFor(() => cluster!.log(leader.id).includes(`peer reachable again peer=${follower}`), peerNoticeMs, "the leader to notice the peer is back");
      expect(cluster.log(leader.id)).not.toContain("quorum lost");
    },
    childProcessesMs,
  );
});
