/**
 * The development cluster secret ships in config.json, so everyone knows it:
 * a replica accepts it only where no other machine can reach it.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { developmentSecret, isLoopbackHost } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { databaseFileName, startReplica, type RunningReplica } from "../src/replica.ts";
import { temporaryDirectory, testReplicaOptions } from "./support/replica.ts";
import { hookMs, inProcessReplicaMs } from "./support/timeouts.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, hookMs);

/** Starts a replica on `host` with the development secret, in a fresh data directory. */
function startWithDevelopmentSecret(host: string): { started: Promise<RunningReplica>; dataDir: string } {
  const directory = temporaryDirectory("development-secret-");
  cleanups.push(() => directory.remove());
  const dataDir = join(directory.path, "replica-1");
  const started = startReplica(testReplicaOptions(dataDir, { host, clusterSecret: developmentSecret, logger: createLogger("dev-secret-test", "error") }));
  started.then((replica) => cleanups.push(() => replica.stop())).catch(() => {});
  return { started, dataDir };
}

describe("the development cluster secret", () => {
  test(
    "is refused on an address other machines can reach, before anything is written",
    async () => {
      const { started, dataDir } = startWithDevelopmentSecret("0.0.0.0");
      await expect(started).rejects.toThrow(/development cluster secret.*0\.0\.0\.0.*CHAT_CLUSTER_SECRET/);
      expect(existsSync(join(dataDir, databaseFileName))).toBe(false);
    },
    inProcessReplicaMs,
  );

  test(
    "is accepted on a loopback address",
    async () => {
      const replica = await startWithDevelopmentSecret("127.0.0.1").started;
      expect(replica.address).toStartWith("127.0.0.1:");
    },
    inProcessReplicaMs,
  );

  test("loopback means 127.0.0.0/8, ::1 and localhost, nothing else", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
      expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: true });
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "example.com", "127.0.0.1.example.com", ""]) {
      expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: false });
    }
  });
});
