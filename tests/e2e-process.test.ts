/**
 * End to end with a real replica process: chat through the client library,
 * SIGKILL the replica mid-burst, restart it on the same data dir and port,
 * and check that every acknowledged write is there exactly once, sessions
 * still work and unread counts are right. Also: SIGTERM is a clean stop,
 * and a garbage database is refused.
 *
 * The replica runs with config.json's real argon2id cost (~50-75 ms a
 * hash), so the test keeps to a handful of accounts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ChatClient, ChatClientError, type ChatMessage } from "../src/client/chat-client.ts";
import { TestProcesses, type ReplicaProcess } from "./support/process.ts";
import { conditionMsMax, temporaryDirectory, waitFor } from "./support/replica.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";

const password = "correct horse battery";
/** Messages each way in the acknowledged conversation. */
const roundsCount = 15;
/** Sends each of two senders makes, one after another, while the replica is SIGKILLed. */
const burstCount = 40;
/** How many of bob's unread messages he reads before the crash. */
const readBeforeCrashCount = 5;
/** A restarted replica's port may take the client's reconnect backoff (about 1 s, jittered) to answer. */
const reconnectMsMax = 20_000;

interface Sent {
  id: number;
  sender: string;
  recipient: string;
  text: string;
}

const processes = new TestProcesses();
const directories: { remove(): void }[] = [];
const clients: ChatClient[] = [];

afterAll(async () => {
  for (const client of clients) client.close();
  await processes.cleanup();
  for (const directory of directories) directory.remove();
}, hookMs);

function dataDirectory(): string {
  const directory = temporaryDirectory("chat-e2e-");
  directories.push(directory);
  return directory.path;
}

async function loggedInClient(address: string, username: string): Promise<ChatClient> {
  const client = new ChatClient({ address });
  clients.push(client);
  await client.createAccount(username, password);
  await client.login(username, password);
  return client;
}

/** A restarted replica: retry a read until the client's channel has reconnected. */
async function untilReachable(client: ChatClient): Promise<void> {
  await waitFor(
    async () => {
      try {
        await client.getLeaderInfo();
        return true;
      } catch (error) {
        if (error instanceof ChatClientError && error.code === "UNAVAILABLE") return false;
        throw error;
      }
    },
    reconnectMsMax,
    "the client to reach the restarted replica",
  );
}

/** Every message in `client`'s history, newest first, page by page. */
async function fullHistory(client: ChatClient): Promise<ChatMessage[]> {
  const pageSize = 50;
  const messages: ChatMessage[] = [];
  let beforeId = 0;
  // Bounded: far more pages than the few hundred messages this test sends.
  for (let page = 0; page < 100; page++) {
    const reply = await client.listMessages(pageSize, beforeId);
    messages.push(...reply.messages);
    if (reply.nextBeforeId === 0) return messages;
    beforeId = reply.nextBeforeId;
  }
  throw new Error("history did not end after 100 pages");
}

/** Chats both ways; bob listens live from after the first message. Returns every acknowledged send. */
async function converse(alice: ChatClient, bob: ChatClient): Promise<{ sent: Sent[]; live: ChatMessage[] }> {
  const sent: Sent[] = [];
  const send = async (from: ChatClient, to: string, text: string) => {
    const { id } = await from.sendMessage(to, text);
    sent.push({ id, sender: from.username!, recipient: to, text });
  };
  await send(alice, "bob", "first, before bob listens");
  // after_id = an acknowledged id: the stream catches up from there, so no message can slip past it.
  const live: ChatMessage[] = [];
  const subscription = bob.subscribe(
    sent[0]!.id,
    (message) => live.push(message),
    () => {},
  );
  for (let round = 0; round < roundsCount; round++) {
    await send(alice, "bob", `alice to bob ${round}`);
    await send(bob, "alice", `bob to alice ${round}`);
  }
  const expectedLive = sent.filter((message) => message.recipient === "bob").slice(1);
  await waitFor(() => live.length >= expectedLive.length, conditionMsMax, "bob's live messages");
  subscription.cancel();
  expect(live.map((message) => message.id)).toEqual(expectedLive.map((message) => message.id));
  return { sent, live };
}

/**
 * Alice and bob each send one message after another (up to `burstCount`)
 * while the replica is SIGKILLed after a few acknowledgements, so a write
 * is in flight when it dies. Returns what was acknowledged and every text
 * that was attempted.
 */
async function sendWhileKilled(alice: ChatClient, bob: ChatClient, replica: ReplicaProcess) {
  const acknowledged: Sent[] = [];
  const attempted: string[] = [];
  const sendUntilFailure = async (from: ChatClient, to: string) => {
    for (let index = 0; index < burstCount; index++) {
      const text = `burst ${from.username} ${index}`;
      attempted.push(text);
      try {
        const { id } = await from.sendMessage(to, text);
        acknowledged.push({ id, sender: from.username!, recipient: to, text });
      } catch {
        return; // the replica is gone: this write may or may not have been committed
      }
    }
  };
  const senders = Promise.all([sendUntilFailure(alice, "bob"), sendUntilFailure(bob, "alice")]);
  await waitFor(() => acknowledged.length >= 10, conditionMsMax, "the first acknowledged burst sends");
  expect(await replica.kill("SIGKILL")).not.toBe(0);
  await senders;
  expect(acknowledged.length).toBeLessThan(2 * burstCount);
  return { acknowledged, attempted };
}

describe("a replica as a real process", () => {
  test(
    "after a SIGKILL and a restart every acknowledged message is there exactly once, sessions work and unread counts are right",
    async () => {
      const dataDir = dataDirectory();
      let replica = await processes.startStandalone(dataDir);
      const alice = await loggedInClient(replica.address, "alice");
      const bob = await loggedInClient(replica.address, "bob");
      const { sent } = await converse(alice, bob);
      const read = await bob.readNewMessages(readBeforeCrashCount);
      const readIds = new Set(read.messages.map((message) => message.id));
      expect(readIds.size).toBe(readBeforeCrashCount);
      const burst = await sendWhileKilled(alice, bob, replica);
      sent.push(...burst.acknowledged);

      replica = await processes.startStandalone(dataDir, replica.port);
      await untilReachable(alice);
      await untilReachable(bob);
      // The old tokens: sessions are in the log, so they outlive the process.
      const aliceHistory = await fullHistory(alice);
      const bobHistory = await fullHistory(bob);
      for (const history of [aliceHistory, bobHistory]) {
        const ids = history.map((message) => message.id);
        expect(new Set(ids).size).toBe(ids.length);
        const byId = new Map(history.map((message) => [message.id, message]));
        for (const message of sent) expect(byId.get(message.id)).toMatchObject(message);
        // An unacknowledged burst send may or may not have landed, but never twice.
        for (const text of burst.attempted) expect(history.filter((message) => message.text === text).length).toBeLessThanOrEqual(1);
      }

      // Read state survived too: what bob read before the crash is read, the rest of his mail is not.
      const toBob = bobHistory.filter((message) => message.recipient === "bob");
      for (const message of toBob) expect(message.read).toBe(readIds.has(message.id));
      const toAlice = aliceHistory.filter((message) => message.recipient === "alice");
      expect(toAlice.every((message) => !message.read)).toBe(true);
      const bobAgain = new ChatClient({ address: replica.address });
      clients.push(bobAgain);
      expect((await bobAgain.login("bob", password)).unreadCount).toBe(toBob.length - readBeforeCrashCount);
      expect((await alice.readNewMessages(1)).unreadRemaining).toBe(toAlice.length - 1);

      // And the old sessions still write.
      const after = await alice.sendMessage("bob", "after the restart");
      expect((await bob.listMessages(1)).messages[0]).toMatchObject({ id: after.id, text: "after the restart" });
    },
    childProcessesMs,
  );

  test(
    "SIGTERM stops the replica cleanly, even with a live subscription open, and it starts again",
    async () => {
      const dataDir = dataDirectory();
      const replica = await processes.startStandalone(dataDir);
      const carol = await loggedInClient(replica.address, "carol");
      let streamEnded = false;
      const subscription = carol.subscribe(
        0,
        () => {},
        () => (streamEnded = true),
      );
      await carol.sendMessage("carol", "note to self");
      expect(await replica.kill("SIGTERM")).toBe(0);
      expect(replica.stderr.lines.some((line) => line.includes("stopped"))).toBe(true);
      await waitFor(() => streamEnded, conditionMsMax, "the subscription to end");
      subscription.cancel();

      const again = await processes.startStandalone(dataDir, replica.port);
      await untilReachable(carol);
      expect((await carol.listMessages(10)).messages.map((message) => message.text)).toEqual(["note to self"]);
      expect(await again.kill("SIGTERM")).toBe(0);
    },
    childProcessesMs,
  );

  test(
    "a replica whose chat.db is garbage refuses to start and says why",
    async () => {
      const dataDir = dataDirectory();
      writeFileSync(join(dataDir, "chat.db"), "this is not a database, just some text that is long enough\n".repeat(20));
      const replica = processes.spawnStandalone(dataDir);
      const code = await replica.finished;
      expect(code).not.toBe(0);
      expect(replica.stderr.text()).toContain("refusing to open");
    },
    childProcessesMs,
  );
});
