/** Test helpers: an in-process replica on a free loopback port, and clients for it. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChatClient } from "../../src/client/chat-client.ts";
import { createLogger } from "../../src/logger.ts";
import { type ReplicaOptions, startReplica, type RunningReplica } from "../../src/replica.ts";

/** argon2id at minimum cost: tests check behaviour, not hashing strength. */
export const cheapPasswordHashing = { memoryCost: 8, timeCost: 1 };
export const testSecret = "test-cluster-secret-0123456789";

export function temporaryDirectory(prefix = "chat-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestReplica {
  replica: RunningReplica;
  dataDir: string;
  client(): ChatClient;
  /** Stops the replica (keeping its data) and closes every client made. */
  stop(): Promise<void>;
  /** Stops and deletes the data. */
  destroy(): Promise<void>;
}

/** A cluster of one in-process replica on a free loopback port, fast timings, cheap hashing; `overrides` change any of it. */
export function testReplicaOptions(dataDir: string, overrides: Partial<ReplicaOptions> = {}): ReplicaOptions {
  return {
    serverId: 1,
    host: "127.0.0.1",
    port: 0,
    dataDir,
    peers: [],
    timing: { tickMs: 10, heartbeatTicks: 5, electionTicks: 30 },
    peerCallTimeoutMs: 1000,
    initialLeader: true,
    clusterSecret: testSecret,
    passwordHashing: cheapPasswordHashing,
    logger: createLogger("test-replica", "warn"),
    ...overrides,
  };
}

export async function startTestReplica(dataDir?: string): Promise<TestReplica> {
  const directory = dataDir ? null : temporaryDirectory();
  const dir = dataDir ?? directory!.path;
  const replica = await startReplica(testReplicaOptions(dir));
  const clients: ChatClient[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const client of clients) client.close();
    await replica.stop();
  };
  return {
    replica,
    dataDir: dir,
    client: () => {
      const client = new ChatClient({ address: replica.address });
      clients.push(client);
      return client;
    },
    stop,
    destroy: async () => {
      await stop();
      directory?.remove();
    },
  };
}

/** Registers and logs in a user; returns the logged-in client. */
export async function userClient(test: TestReplica, username: string, password = "correct horse"): Promise<ChatClient> {
  const client = test.client();
  await client.createAccount(username, password);
  await client.login(username, password);
  return client;
}

/** How long a test waits for a condition unless it says otherwise: far above what it takes on an idle machine. */
export const conditionMsMax = 20_000;
/** Deadline of one gRPC call a test makes by hand. */
export const callMsMax = 20_000;

/** Polls `condition` until it holds or `timeoutMs` passes (no bare sleeps in tests). */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = conditionMsMax, what = "condition") {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await Bun.sleep(10);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
