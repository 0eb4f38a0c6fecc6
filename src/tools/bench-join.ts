/**
 * The join benchmark (`bun run bench -- --join-messages N`): a 3-replica
 * cluster whose state already holds N messages (seeded offline through the
 * same log store and apply loop the replicas use, then copied to every
 * replica), a client writing throughout, and a fourth server joining.
 * Prints the time until the new server is a voter, the longest write stall
 * while the snapshot streams, the replicas' resident memory, and the time a
 * replica of that size takes to restart.
 */
import * as grpc from "@grpc/grpc-js";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ChatClient } from "../client/chat-client.ts";
import { prepareState, readIdentity, saveIdentity } from "../log/identity.ts";
import { LogStore } from "../log/log-store.ts";
import type { Membership } from "../log/membership.ts";
import type { Entry } from "../log/raft/types.ts";
import { Projections } from "../projections/apply.ts";
import type { OperationEnvelope } from "../projections/operations.ts";
import { deriveClusterKeys } from "../keys.ts";
import { clusterKeyHeader } from "../rpc/cluster-secret.ts";
import type { StatusReply__Output } from "../rpc/generated/chat/StatusReply.ts";
import { channelOptions, chatProto } from "../rpc/proto.ts";
import { openDatabase } from "../storage/database.ts";
import { ReplicaCluster } from "./processes/replica-cluster.ts";

const secret = "bench-join-cluster-secret-0123456789";
const seedBatchEntries = 4096;
/** Entries kept after the compaction point of the seeded log (as a replica would keep). */
const seedTailEntries = 5_000;
const joinTimeoutMs = 10 * 60 * 1000;

function envelope(index: number, op: OperationEnvelope["op"]): Entry {
  return { index, term: 1, type: "command", data: JSON.stringify({ atMs: 1_800_000_000_000 + index, op }) };
}

/** Writes N messages between two users into a replica's data directory, as the log and apply loop would. */
export async function seed(dataDir: string, messages: number, voters: Membership["voters"]): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(join(dataDir, "chat.db"));
  const log = new LogStore(db);
  const projections = new Projections(db);
  const passwordHash = await Bun.password.hash("bench-password", "argon2id");
  prepareState(db, log, voters[0]!.id, { kind: "found", voters });
  projections.apply(log.entries(1, 2)); // the founding config entry
  const head = [
    envelope(2, { type: "CreateAccount", username: "alice", passwordHash }),
    envelope(3, { type: "CreateAccount", username: "bob", passwordHash }),
    envelope(4, { type: "Login", username: "alice", accountIndex: 2, tokenHash: "f".repeat(64), sessionNonce: "seed" }),
  ];
  const apply = (entries: typeof head) => {
    log.append(entries, { term: 1, vote: 1, commit: entries[entries.length - 1]!.index });
    projections.apply(entries);
  };
  apply(head);
  const started = performance.now();
  for (let first = 5; first < messages + 5; first += seedBatchEntries) {
    const batch = [];
    for (let index = first; index < Math.min(first + seedBatchEntries, messages + 5); index++) {
      batch.push(
        envelope(index, {
          type: "SendMessage",
          username: "alice",
          tokenHash: "f".repeat(64),
          recipient: "bob",
          text: `seeded message number ${index}, about sixty bytes long`,
        }),
      );
    }
    apply(batch);
    if ((first - 5) % (seedBatchEntries * 50) === 0) process.stdout.write(`\rseeding: ${first - 5} of ${messages} messages`);
  }
  log.compact(Math.max(1, log.lastIndex() - seedTailEntries));
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  console.log(`\rseeded ${messages} messages in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function residentMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
}

async function status(addresses: string[]): Promise<StatusReply__Output | null> {
  for (const address of addresses) {
    const stub = new chatProto.chat.AdminService(address, grpc.credentials.createInsecure(), channelOptions);
    const metadata = new grpc.Metadata();
    metadata.set(clusterKeyHeader, deriveClusterKeys(secret).admin);
    const reply = await new Promise<StatusReply__Output | null>((resolve) =>
      stub.Status({}, metadata, { deadline: Date.now() + 2000 }, (error, value) => resolve(error ? null : value!)),
    );
    stub.close();
    if (reply) return reply;
  }
  return null;
}

export async function benchJoin(messages: number): Promise<void> {
  const cluster = await ReplicaCluster.create(3, { secret });
  try {
    await seed(cluster.layout.dataDir(1), messages, cluster.founders);
    for (const id of [2, 3]) {
      mkdirSync(cluster.layout.dataDir(id), { recursive: true });
      copyFileSync(join(cluster.layout.dataDir(1), "chat.db"), join(cluster.layout.dataDir(id), "chat.db"));
      const db = openDatabase(join(cluster.layout.dataDir(id), "chat.db"));
      saveIdentity(db, { ...readIdentity(db)!, serverId: id });
      db.close();
    }
    await cluster.startAll();
    const writer = new ChatClient({ addresses: cluster.addresses() });
    await writer.createAccount("writer", "bench-password");
    await writer.login("writer", "bench-password");
    let writing = true;
    const latencies: number[] = [];
    const loop = (async () => {
      while (writing) {
        const sentAt = performance.now();
        await writer.sendMessage("bob", "written while a server joins");
        latencies.push(performance.now() - sentAt);
      }
    })();
    const joinedAt = performance.now();
    const joiner = await cluster.join(4);
    let voterAfterMs = NaN;
    while (performance.now() - joinedAt < joinTimeoutMs) {
      const reply = await status(cluster.addresses());
      if (reply?.replicas.some((replica) => replica.id === 4 && replica.role === "voter")) {
        voterAfterMs = performance.now() - joinedAt;
        break;
      }
      await Bun.sleep(100);
    }
    writing = false;
    await loop;
    writer.close();
    latencies.sort((a, b) => a - b);
    console.log(`join with ${messages} messages: voter after ${(voterAfterMs / 1000).toFixed(1)} s`);
    console.log(
      `writes during the join: ${latencies.length}, p50 ${latencies[Math.floor(latencies.length / 2)]?.toFixed(1)} ms, ` +
        `p99 ${latencies[Math.floor(latencies.length * 0.99)]?.toFixed(1)} ms, longest ${latencies[latencies.length - 1]?.toFixed(1)} ms`,
    );
    for (const [id, member] of cluster.members) console.log(`replica ${id} resident memory: ${residentMb(member.process.pid).toFixed(0)} MB`);
    await cluster.kill(2);
    const restartAt = performance.now();
    await cluster.restart(2);
    console.log(`restart of a replica holding ${messages} messages: serving after ${((performance.now() - restartAt) / 1000).toFixed(2)} s`);
    console.log(`replica 2 resident memory after restart: ${residentMb(cluster.member(2).process.pid).toFixed(0)} MB`);
    void joiner;
  } finally {
    await cluster.stop("SIGTERM");
  }
}
