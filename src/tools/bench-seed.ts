/**
 * State for the benchmarks that need a big cluster: accounts and messages
 * written offline through the same log store and apply loop the replicas
 * use (so the tables are what a replica would hold), into the first
 * replica's data directory, then copied to the others with their own
 * server ids. Every seeded account's password is "bench-password".
 */
import { closeSync, copyFileSync, fsyncSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { prepareState, readIdentity, saveIdentity } from "../log/identity.ts";
import { LogStore } from "../log/log-store.ts";
import type { Entry } from "../log/raft/types.ts";
import { Projections } from "../projections/apply.ts";
import type { OperationEnvelope } from "../projections/operations.ts";
import { openDatabase } from "../storage/database.ts";
import type { ReplicaCluster } from "./processes/replica-cluster.ts";

export interface SeedPlan {
  /** Accounts besides alice and bob: user0, user1, ... */
  accounts: number;
  /** Messages alice sends: every `toBobEvery`-th to bob, the others spread over the accounts. */
  messages: number;
  toBobEvery: number;
}

export const seededPassword = "bench-password";
const seedBatchEntries = 4096;
/** Entries kept after the compaction point of the seeded log (as a replica would keep). */
const seedTailEntries = 5_000;
const aliceToken = "f".repeat(64);

function entry(index: number, op: OperationEnvelope["op"]): Entry {
  return { index, term: 1, type: "command", data: JSON.stringify({ atMs: 1_800_000_000_000 + index, op }) };
}

/** Seeds `plan` into server 1's directory and copies it to every other founder's. */
export async function seedCluster(cluster: ReplicaCluster, plan: SeedPlan): Promise<void> {
  await seedState(cluster.layout.dataDir(1), plan, cluster);
  for (const { id } of cluster.founders.slice(1)) {
    mkdirSync(cluster.layout.dataDir(id), { recursive: true });
    copyFileSync(join(cluster.layout.dataDir(1), "chat.db"), join(cluster.layout.dataDir(id), "chat.db"));
    const db = openDatabase(join(cluster.layout.dataDir(id), "chat.db"));
    saveIdentity(db, { ...readIdentity(db)!, serverId: id });
    db.close();
  }
  // Written through the page cache: unflushed, the kernel would write these hundreds of megabytes
  // back some 30 s later (vm.dirty_expire_centisecs), in the middle of the measurement, stalling
  // the replicas' fsyncs for 100 ms and more.
  for (const { id } of cluster.founders) flushToDisk(join(cluster.layout.dataDir(id), "chat.db"));
}

function flushToDisk(path: string): void {
  const descriptor = openSync(path, "r+");
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

async function seedState(dataDir: string, plan: SeedPlan, cluster: ReplicaCluster): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(join(dataDir, "chat.db"));
  const log = new LogStore(db);
  const projections = new Projections(db);
  const passwordHash = await Bun.password.hash(seededPassword, "argon2id");
  const voters = cluster.founders;
  prepareState(db, log, voters[0]!.id, { kind: "found", voters });
  projections.apply(log.entries(1, 2)); // the founding config entry
  let next = 2;
  let batch: Entry[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    log.append(batch, { term: 1, vote: 1, commit: batch[batch.length - 1]!.index });
    projections.apply(batch);
    batch = [];
  };
  const add = (op: OperationEnvelope["op"]) => {
    batch.push(entry(next++, op));
    if (batch.length >= seedBatchEntries) flush();
  };
  const started = performance.now();
  add({ type: "CreateAccount", username: "alice", passwordHash });
  add({ type: "CreateAccount", username: "bob", passwordHash });
  for (let user = 0; user < plan.accounts; user++) {
    add({ type: "CreateAccount", username: `user${user}`, passwordHash });
    if (user % 50_000 === 0) process.stdout.write(`\rseeding: ${user} of ${plan.accounts} accounts`);
  }
  add({ type: "Login", username: "alice", accountIndex: 2, tokenHash: aliceToken, sessionNonce: "seed" });
  for (let message = 0; message < plan.messages; message++) {
    const recipient = plan.accounts === 0 || message % plan.toBobEvery === 0 ? "bob" : `user${(message * 7919) % plan.accounts}`;
    add({ type: "SendMessage", username: "alice", tokenHash: aliceToken, recipient, text: `seeded message number ${message}, about sixty bytes long` });
    if (message % 200_000 === 0) process.stdout.write(`\rseeding: ${message} of ${plan.messages} messages      `);
  }
  flush();
  log.compact(Math.max(1, log.lastIndex() - seedTailEntries));
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  console.log(`\rseeded ${plan.accounts} accounts and ${plan.messages} messages in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
