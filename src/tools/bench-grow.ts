/**
 * `bun run bench -- --grow ACCOUNTS,MESSAGES`: what the chat's requests
 * cost as the tables grow. The same requests, one at a time, against a
 * small three-replica cluster (bob with `smallInbox` unread messages, so
 * his reads take messages in both) and against one seeded with ACCOUNTS
 * accounts and MESSAGES messages (src/tools/bench-seed.ts; a tenth of them
 * to bob), side by side: p50 and p99 of each, their ratio, and the
 * replicas' resident memory.
 */
import { readFileSync } from "node:fs";
import { ChatClient } from "../client/chat-client.ts";
import { percentile } from "./bench-compare.ts";
import { seedCluster, seededPassword } from "./bench-seed.ts";
import { ReplicaCluster } from "./processes/replica-cluster.ts";

export interface GrowOptions {
  accounts: number;
  messages: number;
  secret: string;
}

/** Calls per request kind and cluster, after a warm-up of a tenth as many. */
const callsPerKind = 300;
const toBobEvery = 10;
/** Bob's unread messages in the small cluster: more than its reads take. */
const smallInbox = 5_000;

type Kind = "SendMessage" | "ReadNewMessages" | "ListMessages" | "ListAccounts prefix" | "ListAccounts wildcard";

interface Figures {
  p50: number;
  p99: number;
}

function residentMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
}

async function time(call: () => Promise<unknown>): Promise<Figures> {
  for (let warm = 0; warm < callsPerKind / 10; warm++) await call();
  const latencies: number[] = [];
  for (let done = 0; done < callsPerKind; done++) {
    const startedAt = performance.now();
    await call();
    latencies.push(performance.now() - startedAt);
  }
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/** Each kind of request against one cluster; bob reads his inbox (deep when seeded), alice sends. */
async function measureCluster(cluster: ReplicaCluster, accounts: number): Promise<{ figures: Map<Kind, Figures>; rssMb: number[] }> {
  const addresses = cluster.addresses();
  const login = async (name: string) => {
    const client = new ChatClient({ addresses });
    await client.login(name, seededPassword);
    return client;
  };
  const alice = await login("alice");
  const bob = await login("bob");
  const figures = new Map<Kind, Figures>();
  try {
    const someone = (n: number) => (accounts > 0 ? `user${(n * 31) % accounts}` : "bob");
    let sent = 0;
    figures.set("SendMessage", await time(() => alice.sendMessage(someone(sent++), "a message of a typical length, about sixty bytes long")));
    figures.set("ReadNewMessages", await time(() => bob.readNewMessages(10)));
    figures.set("ListMessages", await time(() => bob.listMessages(50, 0)));
    figures.set("ListAccounts prefix", await time(() => bob.listAccounts("user12*", 50)));
    figures.set("ListAccounts wildcard", await time(() => bob.listAccounts("*99*", 50)));
  } finally {
    alice.close();
    bob.close();
  }
  return { figures, rssMb: cluster.running().map((member) => residentMb(member.process.pid)) };
}

async function withCluster<T>(secret: string, seed: { accounts: number; messages: number }, work: (cluster: ReplicaCluster) => Promise<T>): Promise<T> {
  const cluster = await ReplicaCluster.create(3, { secret });
  try {
    await seedCluster(cluster, { ...seed, toBobEvery });
    await cluster.startAll();
    return await work(cluster);
  } finally {
    await cluster.stop("SIGTERM");
  }
}

export async function benchGrow(options: GrowOptions): Promise<void> {
  const small = await withCluster(options.secret, { accounts: 0, messages: smallInbox }, (cluster) => measureCluster(cluster, 0));
  const grown = await withCluster(options.secret, options, (cluster) => measureCluster(cluster, options.accounts));
  console.log(
    `\none request at a time, ${callsPerKind} of each; small cluster (2 accounts, ${smallInbox} messages) vs ${options.accounts} accounts and ${options.messages} messages`,
  );
  console.log("request               | small p50 ms | small p99 ms | grown p50 ms | grown p99 ms | p99 ratio");
  for (const [kind, before] of small.figures) {
    const after = grown.figures.get(kind)!;
    console.log(
      `${kind.padEnd(21)} | ${before.p50.toFixed(2).padStart(12)} | ${before.p99.toFixed(2).padStart(12)} | ` +
        `${after.p50.toFixed(2).padStart(12)} | ${after.p99.toFixed(2).padStart(12)} | ${(after.p99 / before.p99).toFixed(2).padStart(9)}`,
    );
  }
  const mb = (values: number[]) => values.map((value) => value.toFixed(0)).join(", ");
  console.log(`replicas' resident memory: small ${mb(small.rssMb)} MB; grown ${mb(grown.rssMb)} MB`);
}
