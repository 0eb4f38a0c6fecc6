/**
 * Three replicas as real processes on loopback: a paused leader is deposed
 * and follows, a stopped follower catches up, and a leader SIGKILLed under
 * concurrent writes loses no acknowledged message and duplicates none.
 * Clients use the library's failover (`new ChatClient({ addresses })`): a
 * write is retried with its (client id, seq) until some leader answers.
 */
import { afterEach, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { ChatClient } from "../src/client/chat-client.ts";
import { authorizationKey, clientIdKey, clientSeqKey } from "../src/rpc/chat-server.ts";
import { TestCluster, type Projection, type StoredMessage } from "./support/cluster.ts";
import { rawCall, rawStub } from "./support/raw-client.ts";
import { conditionMsMax, waitFor } from "./support/replica.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";

const password = "correct horse battery";
/** Acknowledged sends both clients need before the leader is killed, and after. */
const sendsBeforeKillCount = 10;
const sendsAfterKillCount = 30;
/** A bound on each client's loop, far above what the test needs. */
const sendsPerClientMax = 500;
/** How long the clients may take to reach the counts above. */
const sendingMsMax = 20_000;
/** Messages written while a follower is down. */
const writesWhileDownCount = 36;

let cluster: TestCluster | null = null;
const clients: ChatClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await cluster?.cleanup();
  cluster = null;
}, hookMs);

async function startCluster(): Promise<TestCluster> {
  cluster = await TestCluster.start(3);
  return cluster;
}

async function loggedIn(addresses: string[], username: string): Promise<ChatClient> {
  const client = new ChatClient({ addresses });
  clients.push(client);
  await client.createAccount(username, password);
  await client.login(username, password);
  return client;
}

interface SendRecord {
  acknowledged: StoredMessage[];
  /** Texts whose send threw: they may or may not have been applied. */
  unknown: string[];
}

/** Sends one message after another until `stopped()`, recording every answer. */
async function sendUntilStopped(client: ChatClient, recipient: string, record: SendRecord, stopped: () => boolean) {
  for (let number = 0; number < sendsPerClientMax && !stopped(); number++) {
    const text = `${client.username} to ${recipient} #${number}`;
    try {
      const { id } = await client.sendMessage(recipient, text);
      record.acknowledged.push({ id, sender: client.username!, recipient, text });
    } catch {
      record.unknown.push(text);
    }
  }
}

/** Every acknowledged message is stored once with its text, and no text is stored twice. */
function expectExactlyOnce(projection: Projection, record: SendRecord): void {
  const byId = new Map(projection.messages.map((message) => [message.id, message]));
  for (const message of record.acknowledged) expect(byId.get(message.id)).toEqual(message);
  const texts = projection.messages.map((message) => message.text);
  expect(new Set(texts).size).toBe(texts.length);
}

describe("a cluster of three real replicas", () => {
  test(
    "a leader paused past its election timeout is deposed, acknowledges nothing more, and follows the new leader",
    async () => {
      const cluster = await startCluster();
      const old = await cluster.leader();
      const alice = await loggedIn(cluster.addresses(), "alice");
      await alice.sendMessage("alice", "before the pause");

      cluster.pause(old.id);
      const next = await cluster.leader({ excluding: [old.id] });
      expect(next.term).toBeGreaterThan(old.term);
      await alice.sendMessage("alice", "while the old leader sleeps");

      // Straight to the old leader, no redirect, sent while it sleeps so that it is waiting when it
      // wakes up still believing it leads (unless the new leader's messages are read first).
      const stub = rawStub(cluster.member(old.id).address);
      const answer = rawCall(
        stub,
        "SendMessage",
        { recipient: "alice", text: "to the deposed leader" },
        {
          [authorizationKey]: `Bearer ${alice.token}`,
          [clientIdKey]: "deposed-leader-test-client",
          [clientSeqKey]: "1",
        },
      );
      cluster.resume(old.id);
      const deposed = await answer;
      stub.close();
      expect(grpc.status[deposed.code]).toBe("UNAVAILABLE");

      await cluster.converged(cluster.ids());
      const texts = cluster.projection(old.id).messages.map((message) => message.text);
      expect(texts).toEqual(["before the pause", "while the old leader sleeps"]);
      // It follows: it names the cluster's leader in the cluster's term. Polled, since one GetLeaderInfo
      // may miss its short deadline on a loaded machine, and load may have caused another election since.
      let view = next;
      await waitFor(
        async () => {
          view = await cluster.leader();
          const info = await cluster.leaderInfo(old.id);
          return info?.leaderId === view.id && Number(info.term) === view.term;
        },
        conditionMsMax,
        `replica ${old.id} to follow the cluster's leader`,
      );
      expect(view.term).toBeGreaterThan(old.term);
    },
    childProcessesMs,
  );

  test(
    "a follower stopped while the others take writes catches up after a restart",
    async () => {
      const cluster = await startCluster();
      const leader = await cluster.leader();
      const follower = cluster.ids().find((id) => id !== leader.id)!;
      const alice = await loggedIn(cluster.addresses(), "alice");
      await alice.sendMessage("alice", "before the follower stops");
      expect(await cluster.kill(follower, "SIGTERM")).toBe(0);

      for (let number = 0; number < writesWhileDownCount; number++) await alice.sendMessage("alice", `while down #${number}`);
      await cluster.restart(follower);

      await cluster.converged(cluster.ids());
      const caughtUp = cluster.projection(follower);
      expect(caughtUp.hash).toBe(cluster.projection(leader.id).hash);
      expect(caughtUp.messages.length).toBe(writesWhileDownCount + 1);
    },
    childProcessesMs,
  );

  test(
    "after the leader is SIGKILLed under concurrent writes, every acknowledged message is on every replica exactly once",
    async () => {
      const cluster = await startCluster();
      const first = await cluster.leader();
      const alice = await loggedIn(cluster.addresses(), "alice");
      const bob = await loggedIn(cluster.addresses(), "bob");
      const record: SendRecord = { acknowledged: [], unknown: [] };
      let stopped = false;
      const senders = Promise.all([sendUntilStopped(alice, "bob", record, () => stopped), sendUntilStopped(bob, "alice", record, () => stopped)]);
      try {
        await waitFor(() => record.acknowledged.length >= sendsBeforeKillCount, sendingMsMax, "sends before the kill");
        await cluster.kill(first.id, "SIGKILL");
        const acknowledgedAtKill = record.acknowledged.length;
        await cluster.leader({ excluding: [first.id] });
        const wanted = acknowledgedAtKill + sendsAfterKillCount;
        await waitFor(() => record.acknowledged.length >= wanted, sendingMsMax, "sends through the new leader");
      } finally {
        stopped = true;
        await senders;
      }

      await cluster.restart(first.id);
      await cluster.converged(cluster.ids());
      const ids = record.acknowledged.map((message) => message.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of cluster.ids()) expectExactlyOnce(cluster.projection(id), record);
    },
    childProcessesMs,
  );
});
