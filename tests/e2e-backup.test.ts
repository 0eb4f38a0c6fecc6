/**
 * Backups of a running three-replica cluster: `admin backup FILE` taken
 * while two clients keep writing holds every write acknowledged before the
 * command started; `replica --restore FILE` starts a new cluster from it
 * that serves those messages, takes new writes, and a second server joins
 * it with --join. Bad input (an existing backup file, a data directory that
 * holds a database) is refused and changes nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ChatClient } from "../src/client/chat-client.ts";
import { databaseFileName } from "../src/replica.ts";
import { freePorts } from "../src/tools/processes/free-port.ts";
import { ProcessGroup } from "../src/tools/processes/process-group.ts";
import { spawnReplica, type ReplicaProcess } from "../src/tools/processes/replica-process.ts";
import { TestCluster } from "./support/cluster.ts";
import { conditionMsMax, waitFor } from "./support/replica.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";

const password = "correct horse battery";
/** Acknowledged sends before the backup starts, and during or after it. */
const sendsBeforeBackupCount = 30;
const sendsAfterBackupCount = 10;
/** A bound on each writer's loop, far above what the test needs. */
const sendsPerWriterMax = 2000;

let cluster: TestCluster;
const processes = new ProcessGroup();
const clients: ChatClient[] = [];

beforeAll(async () => {
  cluster = await TestCluster.start(3);
}, hookMs);

afterAll(async () => {
  for (const client of clients.splice(0)) client.close();
  await processes.killAll();
  await cluster?.cleanup();
}, hookMs);

async function loggedIn(addresses: string[], username: string, create: boolean): Promise<ChatClient> {
  const client = new ChatClient({ addresses });
  clients.push(client);
  if (create) await client.createAccount(username, password);
  await client.login(username, password);
  return client;
}

/** Sends until stopped; `acknowledged` gets each text once its send is answered. */
function startWriter(client: ChatClient, recipient: string, acknowledged: string[]) {
  let stopped = false;
  const done = (async () => {
    for (let number = 0; number < sendsPerWriterMax && !stopped; number++) {
      const text = `${client.username} to ${recipient} #${number}`;
      try {
        await client.sendMessage(recipient, text);
        acknowledged.push(text);
      } catch {
        // An unknown outcome: neither required in the backup nor forbidden.
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

function messageTexts(databasePath: string): Set<string> {
  const db = new Database(databasePath, { readonly: true });
  try {
    return new Set((db.query("SELECT text FROM messages").all() as { text: string }[]).map((row) => row.text));
  } finally {
    db.close();
  }
}

function restoredReplica(id: number, args: string[]): ReplicaProcess {
  const dataDir = join(cluster.layout.directory, `restored-${id}`);
  const logFile = join(cluster.layout.directory, `restored-${id}.log`);
  return processes.adopt(spawnReplica({ args: ["--server_id", String(id), "--data_dir", dataDir, ...args], dataDir, secret: cluster.secret, logFile }));
}

test(
  "a backup taken under concurrent writes holds every write acknowledged before it began, and a restored cluster serves them and grows",
  async () => {
    const addresses = cluster.addresses();
    const alice = await loggedIn(addresses, "alice", true);
    const bob = await loggedIn(addresses, "bob", true);
    const acknowledged: string[] = [];
    const writers = [startWriter(alice, "bob", acknowledged), startWriter(bob, "alice", acknowledged)];
    let ackedBeforeBackup: string[] = [];
    const backupFile = join(cluster.layout.directory, "backup.db");
    try {
      await waitFor(() => acknowledged.length >= sendsBeforeBackupCount, conditionMsMax, "writes before the backup");
      ackedBeforeBackup = [...acknowledged];
      const backup = await cluster.admin(["backup", backupFile]);
      expect(backup.stderr).toBe("");
      expect(backup.code).toBe(0);
      expect(backup.stdout).toMatch(/^backup of applied index \d+ \(term \d+, voters 1, 2, 3\) from 127\.0\.0\.1:\d+: \d+ rows/);
      const countAtBackupEnd = acknowledged.length;
      await waitFor(() => acknowledged.length >= countAtBackupEnd + sendsAfterBackupCount, conditionMsMax, "writes after the backup");
    } finally {
      for (const writer of writers) await writer.stop();
    }

    const inBackup = messageTexts(backupFile);
    const missing = ackedBeforeBackup.filter((text) => !inBackup.has(text));
    expect(missing).toEqual([]);
    expect(existsSync(`${backupFile}-wal`)).toBe(false); // one self-contained file
    const backupDb = new Database(backupFile, { readonly: true });
    try {
      // The exactly-once table and the membership travel with the chat tables.
      expect((backupDb.query("SELECT COUNT(*) AS n FROM client_results").get() as { n: number }).n).toBeGreaterThan(0);
      expect((backupDb.query("SELECT id FROM cluster_members ORDER BY id").all() as { id: number }[]).map((row) => row.id)).toEqual([1, 2, 3]);
    } finally {
      backupDb.close();
    }

    // A new cluster from the backup: server 7 alone, then server 8 joins it.
    const [port7, port8] = await freePorts(2);
    const seven = await restoredReplica(7, ["--restore", backupFile, "--server_port", String(port7)]).untilServing();
    expect(seven.stderr.text()).toContain("restored a backup as a new cluster of this server alone");
    const restoredAlice = await loggedIn([seven.address], "alice", false);
    await restoredAlice.sendMessage("bob", "after the restore");
    const restoredTexts = messageTexts(join(seven.dataDir, databaseFileName));
    expect(ackedBeforeBackup.filter((text) => !restoredTexts.has(text))).toEqual([]);
    expect(restoredTexts.has("after the restore")).toBe(true);

    const eight = await restoredReplica(8, ["--join", "true", "--peers", seven.address, "--server_port", String(port8)]).untilServing();
    const restoredView = new ChatClient({ address: seven.address });
    clients.push(restoredView);
    await waitFor(async () => (await restoredView.getLeaderInfo()).replicas.some((replica) => replica.id === 8), conditionMsMax, "server 8 to join");
    await waitFor(() => messageTexts(join(eight.dataDir, databaseFileName)).has("after the restore"), conditionMsMax, "server 8 to catch up");
  },
  childProcessesMs,
);

test(
  "bad input changes nothing: a backup never overwrites a file; a restore never overwrites a data directory's database, nor starts from a file that is not a backup",
  async () => {
    const existing = join(cluster.layout.directory, "existing.db");
    writeFileSync(existing, "keep me");
    const refused = await cluster.admin(["backup", existing]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("exists already: a backup never overwrites a file");
    expect(readFileSync(existing, "utf8")).toBe("keep me");

    const missing = await cluster.admin(["backup"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("backup needs a file name");

    // Server 3's data directory holds its database: restoring into it is refused, and the database stays as it was.
    await cluster.kill(3, "SIGKILL");
    const dataDir = cluster.member(3).dataDir;
    const before = Bun.hash(readFileSync(join(dataDir, databaseFileName)));
    const [port] = await freePorts(1);
    const restore = restoredReplica(3, ["--restore", join(cluster.layout.directory, "backup.db"), "--server_port", String(port), "--data_dir", dataDir]);
    expect(await restore.finished).toBe(1);
    expect(restore.stderr.text()).toContain(`--restore starts a new cluster in an empty data directory, but ${join(dataDir, databaseFileName)} exists`);
    expect(Bun.hash(readFileSync(join(dataDir, databaseFileName)))).toBe(before);

    // A file that is not a backup is refused, and the empty data directory stays without a database.
    const garbage = join(cluster.layout.directory, "garbage.db");
    writeFileSync(garbage, "not a database");
    const [garbagePort] = await freePorts(1);
    const notBackup = restoredReplica(10, ["--restore", garbage, "--server_port", String(garbagePort)]);
    expect(await notBackup.finished).toBe(1);
    expect(notBackup.stderr.text()).toContain(`--restore ${garbage} is not a usable backup`);
    expect(existsSync(join(notBackup.dataDir, databaseFileName))).toBe(false);
  },
  childProcessesMs,
);
