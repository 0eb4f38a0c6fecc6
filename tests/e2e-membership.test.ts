/**
 * Membership at runtime, with real replica processes on loopback: a server
 * joins under continuous writes and becomes a voter, servers (a follower,
 * then the leader itself) are removed with the admin command, a cluster of
 * five survives two SIGKILLed replicas (and acknowledges nothing without a
 * majority), and a follower stopped past the compaction point catches up by
 * snapshot. Clients use the library's failover (`new ChatClient({ addresses })`).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ChatClient } from "../src/client/chat-client.ts";
import { membershipMsMax, TestCluster, type ClusterOptions, type LeaderView, type Projection, type StoredMessage } from "./support/cluster.ts";
import { conditionMsMax, waitFor } from "./support/replica.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";

const password = "correct horse battery";
/** Small compaction bounds (config.json copy): a few hundred writes compact the log. */
const smallSnapshots: ClusterOptions = { config: { snapshot_after_entries: 200, snapshot_tail_entries: 20 } };
/** How long the writers may take to reach each count the tests wait for. */
const sendingMsMax = 20_000;
/** A bound on each writer's loop, far above what the tests need. */
const sendsPerClientMax = 2000;
/** How long the remaining replicas must keep the same leader and term after a removal. */
const stableWindowMs = 2000;
/** Writes that must be acknowledged in each phase of a test. */
const sendsPerPhaseCount = 10;
/** Messages written while a follower is down: well past snapshot_after_entries. */
const writesPastCompactionCount = 260;
/** Sends in flight at once while filling the log (the client allows 256). */
const sendBatchCount = 40;

let cluster: TestCluster | null = null;
const clients: ChatClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await cluster?.cleanup();
  cluster = null;
}, hookMs);

async function startCluster(size: number, options: ClusterOptions = {}): Promise<TestCluster> {
  cluster = await TestCluster.start(size, options);
  return cluster;
}

function newClient(addresses: string[], options: { failoverDeadlineMs?: number; attemptDeadlineMs?: number } = {}): ChatClient {
  const client = new ChatClient({ addresses, ...options });
  clients.push(client);
  return client;
}

async function loggedIn(addresses: string[], username: string): Promise<ChatClient> {
  const client = newClient(addresses);
  await client.createAccount(username, password);
  await client.login(username, password);
  return client;
}

interface SendRecord {
  acknowledged: StoredMessage[];
  /** Texts whose send threw: they may or may not have been applied. */
  unknown: string[];
}

/** Writers sending one message after another, each recording every answer, until `stop()`. */
function startWriters(pairs: [ChatClient, string][]) {
  const record: SendRecord = { acknowledged: [], unknown: [] };
  let stopped = false;
  const loops = Promise.all(
    pairs.map(async ([client, recipient]) => {
      for (let number = 0; number < sendsPerClientMax && !stopped; number++) {
        const text = `${client.username} to ${recipient} #${number}`;
        try {
          const { id } = await client.sendMessage(recipient, text);
          record.acknowledged.push({ id, sender: client.username!, recipient, text });
        } catch {
          record.unknown.push(text);
        }
      }
    }),
  );
  return {
    record,
    /** Waits until `count` more writes than now have been acknowledged. */
    more: async (count: number, what: string) => {
      const wanted = record.acknowledged.length + count;
      await waitFor(() => record.acknowledged.length >= wanted, sendingMsMax, `${count} acknowledged writes ${what}`);
    },
    stop: async () => {
      stopped = true;
      await loops;
    },
  };
}

/** Sends `count` messages from `client` to itself, `sendBatchCount` in flight at a time; returns them. */
async function fill(client: ChatClient, count: number, label: string): Promise<StoredMessage[]> {
  const sent: StoredMessage[] = [];
  for (let offset = 0; offset < count; offset += sendBatchCount) {
    const batch = Array.from({ length: Math.min(sendBatchCount, count - offset) }, async (_, at) => {
      const text = `${label} #${offset + at}`;
      const { id } = await client.sendMessage(client.username!, text);
      sent.push({ id, sender: client.username!, recipient: client.username!, text });
    });
    await Promise.all(batch);
  }
  return sent;
}

/** Every acknowledged message is stored once with its text, and no text is stored twice. */
function expectExactlyOnce(projection: Projection, record: SendRecord): void {
  const byId = new Map(projection.messages.map((message) => [message.id, message]));
  for (const message of record.acknowledged) expect(byId.get(message.id)).toEqual(message);
  const texts = projection.messages.map((message) => message.text);
  expect(new Set(texts).size).toBe(texts.length);
  const ids = record.acknowledged.map((message) => message.id);
  expect(new Set(ids).size).toBe(ids.length);
}

/**
 * For `durationMs`, every answer of GetLeaderInfo from `ids` names `expected`
 * as the leader in its term (polled; a missed answer is skipped), while the
 * writers keep getting acknowledgements.
 */
async function expectLeadershipStable(cluster: TestCluster, ids: number[], expected: LeaderView, writers: ReturnType<typeof startWriters>): Promise<void> {
  const acknowledgedBefore = writers.record.acknowledged.length;
  const until = Date.now() + stableWindowMs;
  let answers = 0;
  await waitFor(
    async () => {
      const replies = await Promise.all(ids.map((id) => cluster.leaderInfo(id)));
      replies.forEach((reply, at) => {
        if (!reply) return;
        answers += 1;
        expect({ replica: ids[at], leader: reply.leaderId, term: Number(reply.term) }).toEqual({
          replica: ids[at],
          leader: expected.id,
          term: expected.term,
        });
      });
      return Date.now() >= until;
    },
    stableWindowMs + conditionMsMax,
    "the stability window to pass",
  );
  expect(answers).toBeGreaterThan(ids.length);
  expect(writers.record.acknowledged.length).toBeGreaterThan(acknowledgedBefore);
}

/** A removed server learns it (from the entry, or from the leader when it campaigns) and exits cleanly. */
async function expectStoppedAsRemoved(cluster: TestCluster, id: number): Promise<void> {
  const child = cluster.member(id).process.child;
  await waitFor(() => child.exitCode !== null, membershipMsMax, `removed server ${id} to stop`);
  expect(child.exitCode).toBe(0);
  expect(cluster.log(id)).toContain("removed from the cluster");
}

describe("servers joining and leaving a running cluster", () => {
  test(
    "a fourth server joins a three-replica cluster under continuous writes, becomes a voter, and writes carry on after the original leader is SIGKILLed",
    async () => {
      const cluster = await startCluster(3, smallSnapshots);
      const first = await cluster.leader();
      const alice = await loggedIn(cluster.addresses(), "alice");
      const bob = await loggedIn(cluster.addresses(), "bob");
      // Past the compaction point first, so the new server cannot get the whole log: it needs a snapshot.
      const filled = await fill(alice, writesPastCompactionCount, "before the join");
      await waitFor(() => cluster.log(first.id).includes("compacted the log"), conditionMsMax, "the leader to compact its log");
      const writers = startWriters([
        [alice, "bob"],
        [bob, "alice"],
      ]);
      writers.record.acknowledged.push(...filled);
      try {
        await writers.more(sendsPerPhaseCount, "before the join");
        await cluster.join(4);
        await cluster.membershipLists(4, true);
        await cluster.roleBecomes(4, "voter");
        expect(cluster.log(4)).toContain("installed a snapshot");
        const status = await cluster.admin(["status", "--json"]);
        expect(status.code).toBe(0);
        const report = JSON.parse(status.stdout) as { members: { id: number; membership: string; reachable: boolean }[] };
        expect(report.members.find((member) => member.id === 4)).toMatchObject({ membership: "voter", reachable: true });
        await writers.more(sendsPerPhaseCount, "after the join");

        await cluster.kill(first.id, "SIGKILL");
        await cluster.leader({ excluding: [first.id] });
        await writers.more(2 * sendsPerPhaseCount, "after the original leader died");
      } finally {
        await writers.stop();
      }

      const live = cluster.running().map((member) => member.id);
      expect(live).toContain(4);
      await cluster.converged(live);
      for (const id of live) expectExactlyOnce(cluster.projection(id), writers.record);
    },
    childProcessesMs,
  );

  test(
    "a follower removed with the admin command leaves the membership, learns it from the leader and stops, and the cluster keeps serving writes",
    async () => {
      const cluster = await startCluster(3);
      const leader = await cluster.leader();
      const follower = cluster.ids().find((id) => id !== leader.id)!;
      const alice = await loggedIn(cluster.addresses(), "alice");
      const writers = startWriters([[alice, "alice"]]);
      try {
        await writers.more(sendsPerPhaseCount, "before the removal");
        const removal = await cluster.admin(["remove", String(follower)]);
        expect({ code: removal.code, stderr: removal.stderr }).toEqual({ code: 0, stderr: "" });
        expect(removal.stdout).toContain(`removed ${follower}`);
        cluster.markRemoved(follower);
        await cluster.membershipLists(follower, false);

        const after = await cluster.leader();
        expect(after.id).toBe(leader.id);
        await expectLeadershipStable(cluster, cluster.ids(), after, writers);
        await expectStoppedAsRemoved(cluster, follower);
        // admin status given the removed server's address first: the membership comes from the leader, and all is well.
        const status = await cluster.admin(["--server", [cluster.member(follower).address, ...cluster.addresses()].join(","), "status", "--json"]);
        expect({ code: status.code, stderr: status.stderr }).toEqual({ code: 0, stderr: "" });
        const report = JSON.parse(status.stdout) as { leader: { id: number } | null; members: { id: number }[] };
        expect(report.leader?.id).toBe(leader.id);
        expect(report.members.map((member) => member.id)).toEqual([...cluster.ids()].sort((a, b) => a - b));
      } finally {
        await writers.stop();
      }

      await cluster.converged(cluster.ids());
      for (const id of cluster.ids()) expectExactlyOnce(cluster.projection(id), writers.record);
    },
    childProcessesMs,
  );

  test(
    "a leader removed with the admin command steps down, a new leader is elected, and the removed server stops by itself",
    async () => {
      const cluster = await startCluster(3);
      const old = await cluster.leader();
      const alice = await loggedIn(cluster.addresses(), "alice");
      const writers = startWriters([[alice, "alice"]]);
      try {
        await writers.more(sendsPerPhaseCount, "before the removal");
        const removal = await cluster.admin(["remove", String(old.id)]);
        expect(removal.code).toBe(0);
        expect(removal.stdout).toContain(`removed ${old.id}`);
        cluster.markRemoved(old.id);

        const next = await cluster.leader({ excluding: [old.id] });
        expect(next.term).toBeGreaterThan(old.term);
        await cluster.membershipLists(old.id, false);
        await writers.more(sendsPerPhaseCount, "through the new leader");
        const settled = await cluster.leader();
        await expectLeadershipStable(cluster, cluster.ids(), settled, writers);
        await expectStoppedAsRemoved(cluster, old.id);
      } finally {
        await writers.stop();
      }

      await cluster.converged(cluster.ids());
      for (const id of cluster.ids()) expectExactlyOnce(cluster.projection(id), writers.record);
    },
    childProcessesMs,
  );

  // Regression: the leader steps down in the Ready that commits its own removal; the removal must
  // still be answered as done (the driver applies before it fails what is pending).
  test(
    "the admin command that removes the leader reports success",
    async () => {
      const cluster = await startCluster(3);
      const old = await cluster.leader();
      const removal = await cluster.admin(["remove", String(old.id)]);
      expect({ code: removal.code, stderr: removal.stderr }).toEqual({ code: 0, stderr: "" });
      expect(removal.stdout).toContain(`removed ${old.id}`);
    },
    childProcessesMs,
  );

  test(
    "a five-replica cluster keeps serving writes with two replicas SIGKILLed, and acknowledges nothing with three down",
    async () => {
      const cluster = await startCluster(5);
      const first = await cluster.leader();
      const alice = await loggedIn(cluster.addresses(), "alice");
      const writers = startWriters([[alice, "alice"]]);
      const killed = [first.id, cluster.ids().find((id) => id !== first.id)!];
      try {
        await writers.more(sendsPerPhaseCount, "with five replicas");
        for (const id of killed) await cluster.kill(id, "SIGKILL");
        await cluster.leader({ excluding: killed });
        await writers.more(2 * sendsPerPhaseCount, "with two replicas down");
      } finally {
        await writers.stop();
      }
      const live = cluster.running().map((member) => member.id);
      expect(live.length).toBe(3);
      await cluster.converged(live);
      for (const id of live) expectExactlyOnce(cluster.projection(id), writers.record);

      // A third replica down: two of five are no majority, so no write may be acknowledged.
      const impatient = newClient(cluster.addresses(), { failoverDeadlineMs: 2000, attemptDeadlineMs: 500 });
      await impatient.login("alice", password);
      const current = await cluster.leader();
      await cluster.kill(live.find((id) => id !== current.id)!, "SIGKILL");
      let acknowledged = false;
      await impatient.sendMessage("alice", "without a majority").then(
        () => (acknowledged = true),
        () => undefined,
      );
      expect(acknowledged).toBe(false);
      for (const member of cluster.running()) {
        expect(cluster.projection(member.id).messages.map((message) => message.text)).not.toContain("without a majority");
      }
    },
    childProcessesMs,
  );

  test(
    "a follower stopped while the leader compacts its log catches up by snapshot after a restart",
    async () => {
      const cluster = await startCluster(3, smallSnapshots);
      const leader = await cluster.leader();
      const follower = cluster.ids().find((id) => id !== leader.id)!;
      const alice = await loggedIn(cluster.addresses(), "alice");
      await alice.sendMessage("alice", "before the follower stops");
      await cluster.kill(follower, "SIGKILL");

      await fill(alice, writesPastCompactionCount, "while down");
      await waitFor(() => cluster.log(leader.id).includes("compacted the log"), conditionMsMax, "the leader to compact its log");

      await cluster.restart(follower);
      await waitFor(() => cluster.log(follower).includes("installed a snapshot"), conditionMsMax, "the follower to install a snapshot");
      await cluster.converged(cluster.ids());
      const caughtUp = cluster.projection(follower);
      expect(caughtUp.hash).toBe(cluster.projection(leader.id).hash);
      expect(caughtUp.messages.length).toBe(writesPastCompactionCount + 1);
    },
    childProcessesMs,
  );
});
