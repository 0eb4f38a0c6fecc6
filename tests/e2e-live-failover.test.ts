/**
 * Live delivery through failovers, with real replica processes and the
 * client library's follow(): a message committed while a subscriber's
 * stream is down arrives once the stream reopens, exactly once, even for a
 * subscriber that had not received any message yet.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ChatClient, followRetryPauseMaxMs, type ChatClientError, type ChatMessage, type Resumption, type Subscription } from "../src/client/chat-client.ts";
import { TestCluster } from "./support/cluster.ts";
import { TestProcesses } from "./support/process.ts";
import { waitFor } from "./support/replica.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";

const password = "correct horse battery";
/** Far above a re-election plus a reconnection on a slow machine. */
const deliveryMsMax = 20_000;
/** The terminal client used to give up after this many failed resubscriptions. */
const oldResubscribeAttemptsMax = 6;
/** Attempts to reopen while the cluster is down: past the old limit, and several at the longest pause. */
const attemptsWhileDown = oldResubscribeAttemptsMax + 3;
/** Time for those attempts: each pause is at most followRetryPauseMaxMs, plus a discovery round and a refused connection. */
const outageMsMax = attemptsWhileDown * (followRetryPauseMaxMs + 2000);

let cluster: TestCluster | null = null;
const clients: ChatClient[] = [];
const subscriptions: Subscription[] = [];
const cliProcesses = new TestProcesses();

afterEach(async () => {
  for (const subscription of subscriptions.splice(0)) subscription.cancel();
  for (const client of clients.splice(0)) client.close();
  await cliProcesses.cleanup();
  await cluster?.cleanup();
  cluster = null;
}, hookMs);

/**
 * A client whose streams, after the first, open only once the test calls
 * `release()`: the test, not the machine's speed, decides that a message
 * commits while the stream is down.
 */
class GatedClient extends ChatClient {
  /** The after_id of every stream follow() asked for, gated or not. */
  readonly requestedAfterIds: number[] = [];
  private readonly gate = Promise.withResolvers<void>();

  release(): void {
    this.gate.resolve();
  }

  override subscribe(...args: Parameters<ChatClient["subscribe"]>): Subscription {
    this.requestedAfterIds.push(args[0]);
    if (this.requestedAfterIds.length === 1) return super.subscribe(...args);
    let opened: Subscription | null = null;
    let cancelled = false;
    void this.gate.promise.then(() => {
      if (!cancelled) opened = super.subscribe(...args);
    });
    return {
      cancel: () => {
        cancelled = true;
        opened?.cancel();
      },
    };
  }
}

async function loggedIn<Client extends ChatClient>(client: Client, username: string): Promise<Client> {
  clients.push(client);
  await client.createAccount(username, password);
  await client.login(username, password);
  return client;
}

describe("live delivery through a failover", () => {
  test(
    "a message committed on the new leader before a new user's stream reopens arrives live exactly once",
    async () => {
      cluster = await TestCluster.start(3);
      const addresses = cluster.addresses();
      const alice = await loggedIn(new GatedClient({ addresses }), "alice");
      const bob = await loggedIn(new ChatClient({ addresses }), "bob");
      const received: ChatMessage[] = [];
      const resumptions: Resumption[] = [];
      let opened = 0;
      subscriptions.push(
        alice.follow(0, {
          onMessage: (message) => received.push(message),
          onOpen: () => (opened += 1),
          onResumed: (resumption) => resumptions.push(resumption),
        }),
      );
      await waitFor(() => opened === 1, deliveryMsMax, "alice's first stream");

      const leader = await cluster.leader();
      await cluster.kill(leader.id, "SIGKILL");
      await waitFor(() => alice.requestedAfterIds.length >= 2, deliveryMsMax, "alice's client to try to reopen its stream");
      const whileDown = await bob.sendMessage("alice", "sent while alice's stream was down");
      alice.release();
      await waitFor(() => received.some((message) => message.id === whileDown.id), deliveryMsMax, "the message sent while down");

      // A second message, live: once it is there, a duplicate of the first would have arrived before it.
      const afterwards = await bob.sendMessage("alice", "sent once alice is back");
      await waitFor(() => received.some((message) => message.id === afterwards.id), deliveryMsMax, "the live message");
      expect(received.map((message) => message.id)).toEqual([whileDown.id, afterwards.id]);
      expect(resumptions).toMatchObject([{ missedCount: 1 }]);
    },
    childProcessesMs,
  );

  test(
    "follow() keeps retrying while no replica answers, past the old limits, and says once that it is back",
    async () => {
      cluster = await TestCluster.start(1);
      const addresses = cluster.addresses();
      // The old follow() gave up after failoverDeadlineMs; make that short to show it no longer bounds a stream.
      const alice = await loggedIn(new GatedClient({ addresses, failoverDeadlineMs: 500 }), "alice");
      alice.release();
      const received: ChatMessage[] = [];
      const interruptions: (ChatClientError | undefined)[] = [];
      const resumptions: Resumption[] = [];
      const ends: ChatClientError[] = [];
      let opened = 0;
      subscriptions.push(
        alice.follow(0, {
          onMessage: (message) => received.push(message),
          onOpen: () => (opened += 1),
          onInterrupted: (error) => interruptions.push(error),
          onResumed: (resumption) => resumptions.push(resumption),
          onEnd: (error) => ends.push(error),
        }),
      );
      await waitFor(() => opened === 1, deliveryMsMax, "alice's first stream");

      await cluster.kill(1, "SIGKILL");
      const attemptsAtKill = alice.requestedAfterIds.length;
      await waitFor(
        () => alice.requestedAfterIds.length - attemptsAtKill >= attemptsWhileDown,
        outageMsMax,
        `${attemptsWhileDown} attempts to reopen while the cluster is down`,
      );
      expect(ends).toEqual([]);
      expect(resumptions).toEqual([]);
      expect(interruptions).toHaveLength(1);

      await cluster.restart(1);
      await waitFor(() => resumptions.length === 1, deliveryMsMax, "the stream to be back");
      expect(resumptions[0]!.attempts).toBeGreaterThan(attemptsWhileDown);
      expect(resumptions[0]!.missedCount).toBe(0);
      expect(interruptions).toHaveLength(1);

      const bob = await loggedIn(new ChatClient({ addresses }), "bob");
      const { id } = await bob.sendMessage("alice", "you are back");
      await waitFor(() => received.some((message) => message.id === id), deliveryMsMax, "the message sent once back");
      expect(received.map((message) => message.id)).toEqual([id]);
      expect(ends).toEqual([]);
    },
    outageMsMax + childProcessesMs,
  );

  test(
    "the --json client says once that live messages broke, and emits one resumed event when they are back",
    async () => {
      cluster = await TestCluster.start(1);
      const cli = cliProcesses.startCli(cluster.member(1).address);
      expect(await cli.run(`register carol ${password}`)).toMatchObject({ ok: true });
      expect(await cli.run(`login carol ${password}`)).toMatchObject({ ok: true });
      await cli.event((event) => event.event === "live");

      await cluster.kill(1, "SIGKILL");
      await cli.event((event) => event.event === "notice" && String(event.text).startsWith("live messages interrupted"));
      await cluster.restart(1);
      const resumed = await cli.event((event) => event.event === "resumed", deliveryMsMax);
      expect(resumed).toMatchObject({ missedCount: 0, attempts: expect.any(Number), downMs: expect.any(Number) });

      const dave = await loggedIn(new ChatClient({ addresses: cluster.addresses() }), "dave");
      const { id } = await dave.sendMessage("carol", "welcome back");
      await cli.event((event) => event.event === "message" && (event.message as ChatMessage).id === id, deliveryMsMax);
      const events = cli.events().map((event) => event.event);
      expect(events.filter((event) => event === "resumed")).toHaveLength(1);
      expect(cli.events().filter((event) => String(event.text).startsWith("live messages"))).toHaveLength(1);
      expect(events.filter((event) => event === "message")).toHaveLength(1);
      expect(await cli.end()).toBe(0);
    },
    childProcessesMs,
  );
});
