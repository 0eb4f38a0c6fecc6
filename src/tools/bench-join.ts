/**
 * The join benchmark (`bun run bench -- --join-messages N`): a 3-replica
 * cluster whose state already holds N messages (seeded offline,
 * src/tools/bench-seed.ts), a client writing throughout, and a fourth server joining.
 * Prints the time until the new server is a voter, the longest write stall
 * while the snapshot streams, the replicas' resident memory, and the time a
 * replica of that size takes to restart.
 */
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { ChatClient } from "../client/chat-client.ts";
import { deriveClusterKeys } from "../keys.ts";
import { clusterKeyHeader } from "../rpc/cluster-secret.ts";
import type { StatusReply__Output } from "../rpc/generated/chat/StatusReply.ts";
import { channelOptions, chatProto } from "../rpc/proto.ts";
import { seedCluster } from "./bench-seed.ts";
import { ReplicaCluster } from "./processes/replica-cluster.ts";

const secret = "bench-join-cluster-secret-0123456789";
const joinTimeoutMs = 10 * 60 * 1000;

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
    await seedCluster(cluster, { accounts: 0, messages, toBobEvery: 1 });
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
