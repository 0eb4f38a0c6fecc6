/**
 * Each replica serves Prometheus metrics over HTTP: after some writes to a
 * three-replica cluster, the leader's endpoint counts them, and the
 * followers' show the same applied index and the peer calls they answered.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { ChatClient } from "../src/client/chat-client.ts";
import { databaseFileName, startReplica, type RunningReplica } from "../src/replica.ts";
import { startInProcessCluster, type InProcessCluster } from "./support/in-process-cluster.ts";
import { temporaryDirectory, testReplicaOptions, waitFor } from "./support/replica.ts";
import { hookMs, inProcessReplicaMs } from "./support/timeouts.ts";

/** Messages sent before the scrape. */
const sendsCount = 20;

let cluster: InProcessCluster;
let client: ChatClient;

beforeAll(async () => {
  cluster = await startInProcessCluster(3, { metricsPort: 0 });
}, hookMs);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
}, hookMs);

async function scrape(replica: RunningReplica, path = "/metrics"): Promise<Response> {
  return fetch(`http://127.0.0.1:${replica.metricsPort}${path}`);
}

/** The value of one series (`name` with its labels, as printed), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test(
  "a scrape after some writes counts the proposals, commits, fsyncs and peer calls, and shows the state",
  async () => {
    const leader = await cluster.leader();
    client = new ChatClient({ addresses: cluster.replicas.map((replica) => replica.address) });
    await client.createAccount("alice", "correct horse");
    await client.createAccount("bob", "correct horse");
    await client.login("alice", "correct horse");
    for (let number = 0; number < sendsCount; number++) await client.sendMessage("bob", `hello #${number}`);

    const response = await scrape(leader);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    // CreateAccount twice, Login, the sends: each one proposal and one committed entry (plus the term's no-op).
    expect(sample(text, "chat_proposals_total")).toBeGreaterThanOrEqual(sendsCount + 3);
    expect(sample(text, "chat_committed_entries_total")).toBeGreaterThanOrEqual(sendsCount + 3);
    expect(sample(text, "chat_log_fsync_duration_seconds_count")).toBeGreaterThan(0);
    expect(sample(text, 'chat_peer_rpc_duration_seconds_count{kind="append",outcome="ok"}')).toBeGreaterThan(0);
    expect(sample(text, "chat_is_leader")).toBe(1);
    expect(sample(text, "chat_term")).toBeGreaterThanOrEqual(1);
    expect(sample(text, "chat_leader_changes_total")).toBeGreaterThanOrEqual(1);
    expect(sample(text, "chat_apply_lag_entries")).toBe(0);
    expect(sample(text, "chat_database_bytes")).toBeGreaterThan(0);
    expect(sample(text, "chat_log_entries")).toBeGreaterThanOrEqual(sendsCount + 3);
    expect(sample(text, "chat_event_loop_lag_seconds_count")).toBeGreaterThan(0);
    expect(sample(text, 'chat_snapshot_transfers_total{direction="sent",outcome="ok"}')).toBe(0);
    const applied = sample(text, "chat_applied_index")!;
    expect(applied).toBe(leader.node.view.commitIndex);

    // A follower reaches the same applied index and reports it as a follower.
    const follower = cluster.replicas.find((replica) => replica !== leader)!;
    await waitFor(async () => sample(await (await scrape(follower)).text(), "chat_applied_index")! >= applied, inProcessReplicaMs, "a follower to apply");
    const followerText = await (await scrape(follower)).text();
    expect(sample(followerText, "chat_is_leader")).toBe(0);
    expect(sample(followerText, "chat_proposals_total")).toBe(0);
    expect(sample(followerText, "chat_log_appended_entries_total")).toBeGreaterThanOrEqual(sendsCount + 3);
  },
  inProcessReplicaMs,
);

test(
  "a live stream shows as an open subscription while it is open",
  async () => {
    const leader = await cluster.leader();
    const follow = client.follow(0, { onMessage: () => {} });
    await waitFor(async () => sample(await (await scrape(leader)).text(), "chat_open_subscriptions") === 1, inProcessReplicaMs, "one open subscription");
    follow.cancel();
    await waitFor(async () => sample(await (await scrape(leader)).text(), "chat_open_subscriptions") === 0, inProcessReplicaMs, "no open subscription");
  },
  inProcessReplicaMs,
);

test(
  "another path is not found",
  async () => {
    const response = await scrape(cluster.replicas[0]!, "/other");
    expect(response.status).toBe(404);
  },
  inProcessReplicaMs,
);

test(
  "a metrics port in use refuses the start with a sentence, and the data directory gets no log entry",
  async () => {
    const directory = temporaryDirectory();
    try {
      const taken = cluster.replicas[0]!.metricsPort!;
      const start = startReplica(testReplicaOptions(directory.path, { metricsPort: taken }));
      await expect(start).rejects.toThrow(`cannot serve metrics on 127.0.0.1:${taken}`);
      const db = new Database(join(directory.path, databaseFileName), { readonly: true });
      try {
        expect((db.query("SELECT COUNT(*) AS n FROM log_entries").get() as { n: number }).n).toBe(0);
      } finally {
        db.close();
      }
    } finally {
      directory.remove();
    }
  },
  inProcessReplicaMs,
);
