/**
 * `bun run bench`: starts a local cluster of real replica processes (1 or 3)
 * on scratch directories, drives SendMessage with several loads for a
 * bounded time each, and prints acknowledged writes per second, latency
 * percentiles and the leader's resident memory; then SIGKILLs and SIGSTOPs the leader a
 * few times each and prints the failover time (fault until the next acknowledged
 * write). Medians over several runs; not part of the test suite.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ChatClient } from "../client/chat-client.ts";
import { GrpcChatTransport } from "../client/grpc-transport.ts";
import { benchCompare, cpuMicros, median, percentile } from "./bench-compare.ts";
import { benchJoin } from "./bench-join.ts";
import { benchCutLink } from "./bench-cut.ts";
import { agreedLeader, failoverLine, writeContinuously } from "./failover-timing.ts";
import { benchGrow } from "./bench-grow.ts";
import { benchLive } from "./bench-live.ts";
import type { TlsMaterial } from "../rpc/tls.ts";
import { ReplicaCluster } from "./processes/replica-cluster.ts";
import { answerVersion } from "./version.ts";

const usage = `Usage: bun run bench -- [options]

Options:
  --replicas N       cluster size, 1 or 3 (default 3)
  --loads LIST       requests in flight, comma separated (default 1,16,64)
  --seconds N        measuring time per load and run (default 5, max 120)
  --runs N           runs per load; the median is reported (default 3, max 10)
  --kills N          leader failovers to time per fault (SIGKILL, then SIGSTOP), 0 to skip
                     (default 5, max 20; needs 3 replicas)
  --address H:P      measure a replica that is already running instead of starting one
  --tls              the cluster serves TLS and replicates over mutual TLS (a scratch CA)
  --metrics          start the replicas with their metrics endpoint on (--metrics-port 0), and
                     scrape each once a second while measuring, as Prometheus would
  --compare etcd     instead: our 3 replicas against a 3-member etcd (apt-get install -y etcd-server),
                     interleaved for --rounds rounds of --seconds per load; then CPU per write by
                     process and the stages of one write at 1 in flight (about 2 minutes by default)
  --compare tls      instead: our 3 replicas with TLS against 3 in plain text, interleaved the same way
  --rounds N         rounds of --compare (default 3, max 10)
  --join-messages N  instead: seed N messages, join a 4th server under writes, time it to voter,
                     and time a restart at that size (max 5000000)
  --live             instead: live delivery latency, from a send's acknowledgement to its arrival on
                     the recipient's streams, with --subscribers streams open (default 1000, max 10000)
                     and --rate sends per second (default 1000, max 5000) for --seconds
  --grow A,M         instead: each kind of request one at a time on a small cluster and on one
                     seeded with A accounts and M messages (e.g. 100000,1000000), p50/p99 side by side
  --cut-link N       instead: N times, cut the leader's links to the other replicas (through fault
                     proxies) while a client writes; the time to the next acknowledged write (max 50)
  --profile DIR      the replicas started write a CPU profile each (Bun's markdown format:
                     hot functions, call tree, callers) into DIR when they stop
  -h, --help         show this help
  --version          print the version`;

const benchSecondsMax = 120;
const benchRunsMax = 10;
const loadMax = 256;
const killsMax = 20;
const joinMessagesMax = 5_000_000;
const liveSubscribersMax = 10_000;
const growAccountsMax = 1_000_000;
const cutLinkRunsMax = 50;
const liveRateMax = 5000;
const benchSecret = "bench-cluster-secret-0123456789";
/** Steady writing before a kill, and the longest a failover may take before the bench gives up. */
const steadyWritingMs = 500;
const failoverTimeoutMs = 15_000;
/** Distinguishes this run's accounts on a replica that outlives it. */
const runId = Date.now().toString(36);

interface RunResult {
  acked: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  rssMb: number;
  /** The leader's user and system CPU per acknowledged write (NaN without its pid). */
  leaderCpuMicrosPerWrite: number;
}

function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kilobytes = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kilobytes / 1024;
}

/** TLS material of the cluster the bench started (--tls), for every client it makes; null: plain text. */
let clientTls: TlsMaterial | null = null;

async function measure(addresses: string[], pid: number | undefined, load: number, seconds: number, round: number): Promise<RunResult> {
  const clients: ChatClient[] = [];
  for (let lane = 0; lane < load; lane++) {
    const client = new ChatClient({ addresses, tls: clientTls });
    const name = `bench-${runId}-${round}-${lane}`;
    await client.createAccount(name, "bench-password");
    await client.login(name, "bench-password");
    clients.push(client);
  }
  const latencies: number[] = [];
  const stopAt = performance.now() + seconds * 1000;
  const started = performance.now();
  const cpuBefore = pid === undefined ? NaN : cpuMicros(pid);
  await Promise.all(
    clients.map(async (client, lane) => {
      const recipient = `bench-${runId}-${round}-${(lane + 1) % load}`;
      while (performance.now() < stopAt) {
        const sentAt = performance.now();
        await client.sendMessage(recipient, "benchmark message of a typical length, about sixty bytes");
        latencies.push(performance.now() - sentAt);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpuSpent = pid === undefined ? NaN : cpuMicros(pid) - cpuBefore;
  for (const client of clients) client.close();
  latencies.sort((a, b) => a - b);
  return {
    acked: latencies.length,
    perSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    rssMb: pid === undefined ? NaN : residentMb(pid),
    leaderCpuMicrosPerWrite: cpuSpent / latencies.length,
  };
}

function parseList(text: string): number[] {
  const loads = text.split(",").map(Number);
  if (loads.some((load) => !Number.isInteger(load) || load < 1 || load > loadMax)) {
    throw new Error(`--loads must be integers from 1 to ${loadMax}`);
  }
  return loads;
}

function boundedInteger(name: string, text: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${name} must be from 1 to ${max}`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      replicas: { type: "string", default: "3" },
      loads: { type: "string", default: "1,16,64" },
      seconds: { type: "string", default: "5" },
      runs: { type: "string", default: "3" },
      kills: { type: "string", default: "5" },
      address: { type: "string" },
      metrics: { type: "boolean", default: false },
      compare: { type: "string" },
      rounds: { type: "string", default: "3" },
      "join-messages": { type: "string" },
      tls: { type: "boolean", default: false },
      profile: { type: "string" },
      live: { type: "boolean", default: false },
      grow: { type: "string" },
      "cut-link": { type: "string" },
      subscribers: { type: "string", default: "1000" },
      rate: { type: "string", default: "1000" },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return console.log(usage);
  if (answerVersion(values.version)) return;
  // Read by src/tools/processes/script-process.ts when it starts the replicas.
  if (values.profile) process.env.CHAT_CPU_PROFILE_DIR = values.profile;
  if (values["cut-link"]) return benchCutLink(boundedInteger("cut-link", values["cut-link"], cutLinkRunsMax));
  if (values.grow) {
    const [accounts, messages] = values.grow.split(",");
    if (accounts === undefined || messages === undefined) throw new Error("--grow takes ACCOUNTS,MESSAGES, e.g. 100000,1000000");
    return benchGrow({
      accounts: boundedInteger("grow accounts", accounts, growAccountsMax),
      messages: boundedInteger("grow messages", messages, joinMessagesMax),
      secret: benchSecret,
    });
  }
  if (values.live) {
    const subscribers = boundedInteger("subscribers", values.subscribers, liveSubscribersMax);
    const rate = boundedInteger("rate", values.rate, liveRateMax);
    return benchLive({ subscribers, rate, seconds: boundedInteger("seconds", values.seconds, benchSecondsMax), secret: benchSecret });
  }
  if (values["join-messages"]) return benchJoin(boundedInteger("join-messages", values["join-messages"], joinMessagesMax));
  if (values.compare !== undefined) {
    if (values.compare !== "etcd" && values.compare !== "tls") throw new Error("--compare takes etcd or tls");
    const seconds = boundedInteger("seconds", values.seconds, benchSecondsMax);
    const rounds = boundedInteger("rounds", values.rounds, benchRunsMax);
    return benchCompare({ loads: parseList(values.loads), seconds, rounds, secret: benchSecret, against: values.compare });
  }
  const replicas = Number(values.replicas);
  if (replicas !== 1 && replicas !== 3) throw new Error("--replicas must be 1 or 3");
  const loads = parseList(values.loads);
  const seconds = boundedInteger("seconds", values.seconds, benchSecondsMax);
  const runs = boundedInteger("runs", values.runs, benchRunsMax);
  const kills = values.kills === "0" ? 0 : boundedInteger("kills", values.kills, killsMax);
  const config = values.metrics ? { metrics_port: 0 } : undefined;
  const cluster = values.address ? null : await ReplicaCluster.start(replicas, { secret: benchSecret, config, tls: values.tls });
  clientTls = cluster?.clientTls() ?? null;
  const addresses = cluster ? cluster.addresses() : [values.address!];
  const scraping = cluster && values.metrics ? scrapeMetrics(cluster) : null;
  try {
    const leaderPid = async () => (cluster ? cluster.members.get(await leaderId(addresses))?.process.pid : undefined);
    console.log(`${cluster ? replicas : "a running"} replica(s); ${seconds} s per run, median of ${runs}; acknowledged = on disk on a majority`);
    console.log("in flight |  acked/s |  p50 ms |  p99 ms | leader RSS MB | leader CPU µs/write | runs (acked/s)");
    await leaderId(addresses); // the first election is over before anything is measured
    const termBefore = await currentTerm(addresses);
    let round = 0;
    for (const load of loads) {
      const results: RunResult[] = [];
      for (let run = 0; run < runs; run++) results.push(await measure(addresses, await leaderPid(), load, seconds, round++));
      const row = [
        String(load).padStart(9),
        median(results.map((r) => r.perSecond))
          .toFixed(0)
          .padStart(8),
        median(results.map((r) => r.p50Ms))
          .toFixed(2)
          .padStart(7),
        median(results.map((r) => r.p99Ms))
          .toFixed(2)
          .padStart(7),
        median(results.map((r) => r.rssMb))
          .toFixed(0)
          .padStart(13),
        median(results.map((r) => r.leaderCpuMicrosPerWrite))
          .toFixed(0)
          .padStart(19),
        results.map((r) => r.perSecond.toFixed(0)).join(", "),
      ];
      console.log(row.join(" | "));
    }
    const termAfter = await currentTerm(addresses);
    console.log(`elections during the load runs: ${termAfter - termBefore} (term ${termBefore} → ${termAfter}; 0 means none spurious)`);
    if (cluster && replicas === 3 && kills > 0) await measureFailovers(cluster, kills);
  } finally {
    scraping?.stop();
    await cluster?.stop("SIGTERM");
  }
}

/** How often --metrics scrapes each replica: far more often than Prometheus would (15 s), to show the cost. */
const scrapeEveryMs = 1000;

/** Scrapes every replica's /metrics (its port from its log's "serving" line) until stopped. */
function scrapeMetrics(cluster: ReplicaCluster): { stop(): void } {
  const urls = [...cluster.members.values()].map((member) => {
    const found = /metrics"?[=:]"?(http:\/\/[^\s"]+)/.exec(readFileSync(cluster.layout.logFile(member.id), "utf8"));
    if (!found) throw new Error(`replica ${member.id} does not say where it serves metrics`);
    return found[1]!;
  });
  const timer = setInterval(() => {
    for (const url of urls)
      void fetch(url).then(
        (response) => response.text(),
        () => "",
      );
  }, scrapeEveryMs);
  return { stop: () => clearInterval(timer) };
}

async function currentTerm(addresses: string[]): Promise<number> {
  const client = new ChatClient({ addresses, tls: clientTls });
  try {
    return Number((await client.getLeaderInfo()).term);
  } finally {
    client.close();
  }
}

async function leaderId(addresses: string[]): Promise<number> {
  const client = new ChatClient({ addresses, tls: clientTls });
  try {
    for (const deadline = Date.now() + failoverTimeoutMs; Date.now() < deadline; await Bun.sleep(20)) {
      const info = await client.getLeaderInfo();
      if (info.leaderId) return info.leaderId;
    }
    throw new Error("no leader elected");
  } finally {
    client.close();
  }
}

type LeaderFault = "SIGKILL" | "SIGSTOP";

/**
 * Each fault in turn to the leader while one client writes: SIGKILL (then a
 * restart) and SIGSTOP (then SIGCONT); the time from the fault to the next
 * acknowledged write.
 */
async function measureFailovers(cluster: ReplicaCluster, kills: number): Promise<void> {
  for (const fault of ["SIGKILL", "SIGSTOP"] as const) await measureFailoversBy(cluster, kills, fault);
}

async function measureFailoversBy(cluster: ReplicaCluster, kills: number, fault: LeaderFault): Promise<void> {
  const times: number[] = [];
  const client = new ChatClient({ addresses: cluster.addresses(), failoverDeadlineMs: failoverTimeoutMs, tls: clientTls });
  const name = `failover-${runId}-${fault === "SIGKILL" ? "kill" : "stop"}`;
  await client.createAccount(name, "bench-password");
  await client.login(name, "bench-password");
  const direct = new GrpcChatTransport(clientTls);
  for (let kill = 0; kill < kills; kill++) {
    const victim = await agreedLeader(direct, cluster.addresses(), failoverTimeoutMs);
    const writer = writeContinuously(() => client.sendMessage(name, "during failover"));
    await Bun.sleep(steadyWritingMs);
    const faultAt = performance.now();
    if (fault === "SIGKILL") await cluster.kill(victim);
    else cluster.pause(victim);
    times.push(await writer.timeToAckAfter(faultAt, failoverTimeoutMs));
    await writer.stop();
    if (fault === "SIGKILL") await cluster.restart(victim);
    else cluster.resume(victim);
  }
  client.close();
  direct.close();
  console.log(failoverLine(`${fault} leader`, times));
}

main().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
