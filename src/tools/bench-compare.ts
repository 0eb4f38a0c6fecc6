/**
 * `bun run bench -- --compare etcd`: our three replicas and a three-member
 * etcd, both on loopback with durable commits, driven by the same gRPC
 * library with a 256-byte value at the same loads, interleaved (ours, etcd,
 * ours, etcd, ... for several rounds) so that a noisy machine hurts both
 * alike. Prints one side-by-side table (medians of the rounds), the CPU
 * each process spends per acknowledged write, and where the time of one
 * write goes at 1 in flight (stages marked by src/log/stage-timings.ts,
 * switched on for these replicas only).
 *
 * `--compare tls` runs the same rounds against two clusters of ours, one
 * with TLS (mutual between replicas) and one in plain text: what TLS costs.
 */
import { readFileSync } from "node:fs";
import { ChatClient } from "../client/chat-client.ts";
import { stageTimingsLinePrefix, type StageTotals } from "../log/stage-timings.ts";
import { EtcdCluster, EtcdPutClient, etcdInstallHint, etcdInstalled } from "./bench-etcd.ts";
import { ReplicaCluster } from "./processes/replica-cluster.ts";

export interface CompareOptions {
  loads: number[];
  seconds: number;
  rounds: number;
  secret: string;
  /** etcd (the default), or our own cluster with TLS against the same in plain text. */
  against?: "etcd" | "tls";
}

/** The value each write carries: a chat message's text, an etcd value. */
const valueBytes = 256;
const benchValue = "x".repeat(valueBytes);
/** Writing before anything is measured, per system: the JIT costs 20-40% on a fresh cluster. */
const warmUpSeconds = 3;
const warmUpLoad = 16;
/** The stage profile: one write at a time for this long, after the rounds. */
const profileSeconds = 5;
/** Time for a replica to write its stage-timings line after SIGUSR2. */
const dumpWaitMs = 300;

/** "ours" and "etcd"; or, comparing TLS, "tls" and "plain" (both ours). */
type System = string;

/** One measurement of one system at one load. CPU figures are microseconds per acknowledged write. */
interface Sample {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Per process role: "leader", "follower", "follower 2", "client". */
  cpu: Record<string, number>;
}

interface Driver {
  system: System;
  /** Writes once from lane `lane`; resolves when acknowledged. */
  write(lane: number): Promise<void>;
  /** The pids to read CPU of, by role, as the cluster stands now. */
  processes(): Promise<Record<string, number>>;
}

export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const clockTicksPerSecond = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

/** User plus system CPU of process `pid` so far, in microseconds (/proc/PID/stat, utime + stime). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After "pid (comm) ", field 3 (state) is fields[0]: utime (14) and stime (15) are fields[11] and [12].
  return ((Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond) * 1e6;
}

async function measure(driver: Driver, load: number, seconds: number): Promise<Sample> {
  const pids = { ...(await driver.processes()), client: process.pid };
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([role, pid]) => [role, cpuMicros(pid)]));
  const latencies: number[] = [];
  const started = performance.now();
  const stopAt = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: load }, async (_, lane) => {
      while (performance.now() < stopAt) {
        const sentAt = performance.now();
        await driver.write(lane);
        latencies.push(performance.now() - sentAt);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = Object.fromEntries(Object.entries(pids).map(([role, pid]) => [role, (cpuMicros(pid) - cpuBefore[role]!) / latencies.length]));
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies[latencies.length - 1]!,
    meanMs: latencies.reduce((sum, latency) => sum + latency, 0) / latencies.length,
    cpu,
  };
}

/** Server pids by role: "leader", "follower", "follower 2". */
function roles(leader: number, followers: number[]): Record<string, number> {
  const byRole: Record<string, number> = { leader };
  followers.forEach((pid, offset) => {
    byRole[offset === 0 ? "follower" : `follower ${offset + 1}`] = pid;
  });
  return byRole;
}

/** Our cluster: one logged-in client per lane, each writing to the next lane's account. */
async function oursDriver(cluster: ReplicaCluster, lanes: number, system = "ours"): Promise<Driver & { close(): void; leaderPid(): Promise<number> }> {
  const runId = Date.now().toString(36);
  const clients: ChatClient[] = [];
  for (let lane = 0; lane < lanes; lane++) {
    const client = new ChatClient({ addresses: cluster.addresses(), tls: cluster.clientTls() });
    await client.createAccount(`compare-${runId}-${lane}`, "bench-password");
    await client.login(`compare-${runId}-${lane}`, "bench-password");
    clients.push(client);
  }
  const leaderId = async () => Number((await clients[0]!.getLeaderInfo()).leaderId);
  return {
    system,
    write: async (lane) => {
      await clients[lane]!.sendMessage(`compare-${runId}-${(lane + 1) % lanes}`, benchValue);
    },
    processes: async () => {
      const leader = await leaderId();
      const followers = cluster.running().filter((member) => member.id !== leader);
      return roles(
        cluster.member(leader).process.pid,
        followers.map((member) => member.process.pid),
      );
    },
    leaderPid: async () => cluster.member(await leaderId()).process.pid,
    close: () => {
      for (const client of clients) client.close();
    },
  };
}

/** The etcd cluster: one Put client per lane to the leader, each overwriting its own key. */
async function etcdDriver(cluster: EtcdCluster, lanes: number): Promise<Driver & { close(): void }> {
  const leader = await cluster.leaderAddress();
  const value = Buffer.from(benchValue);
  const clients = Array.from({ length: lanes }, (_, lane) => new EtcdPutClient(leader, Buffer.from(`bench/${lane}`)));
  return {
    system: "etcd",
    write: (lane) => clients[lane]!.put(value),
    processes: async () => {
      const leaderAddress = await cluster.leaderAddress();
      const followers = cluster.members.filter((member) => member.clientAddress !== leaderAddress);
      return roles(
        cluster.pidOf(leaderAddress),
        followers.map((member) => member.process.pid),
      );
    },
    close: () => {
      for (const client of clients) client.close();
    },
  };
}

/** Our cluster with TLS and one without, measured like `benchCompare` (the TLS one first: the ratio is tls / plain). */
async function benchTls(options: CompareOptions): Promise<void> {
  const lanes = Math.max(...options.loads);
  const clusters: ReplicaCluster[] = [];
  const closers: (() => void)[] = [];
  try {
    clusters.push(await ReplicaCluster.start(3, { secret: options.secret, tls: true }));
    clusters.push(await ReplicaCluster.start(3, { secret: options.secret }));
    const drivers: Driver[] = [];
    for (const [cluster, system] of [
      [clusters[0]!, "tls"],
      [clusters[1]!, "plain"],
    ] as const) {
      const driver = await oursDriver(cluster, lanes, system);
      closers.push(driver.close);
      drivers.push(driver);
    }
    const samples = await interleavedRounds(options, drivers);
    printSideBySide(options, samples, drivers);
    printCpu(options.loads, samples, drivers);
  } finally {
    for (const close of closers) close();
    for (const cluster of clusters) await cluster.stop("SIGTERM");
  }
}

/** A warm-up of each driver, then every load on every driver in turn, `rounds` times: a noisy machine hurts all alike. */
async function interleavedRounds(options: CompareOptions, drivers: Driver[]): Promise<Map<string, Sample[]>> {
  for (const driver of drivers) await measure(driver, warmUpLoad, warmUpSeconds);
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < options.rounds; round++) {
    for (const load of options.loads) {
      for (const driver of drivers) {
        const key = `${load} ${driver.system}`;
        samples.set(key, [...(samples.get(key) ?? []), await measure(driver, load, options.seconds)]);
      }
    }
  }
  return samples;
}

export async function benchCompare(options: CompareOptions): Promise<void> {
  if (options.against === "tls") return benchTls(options);
  const withEtcd = etcdInstalled();
  if (!withEtcd) console.log(`etcd comparison skipped: no etcd binary found; ${etcdInstallHint}. Measuring ours alone.`);
  process.env.CHAT_STAGE_TIMINGS = "1"; // inherited by the replicas started next, and by nothing else
  const lanes = Math.max(warmUpLoad, ...options.loads); // the warm-up writes from warmUpLoad lanes
  let ours: ReplicaCluster | null = null;
  let etcd: EtcdCluster | null = null;
  const closers: (() => void)[] = [];
  // Interrupted (Ctrl-C, or a timeout's SIGTERM): etcd does not watch its parent, so stop both clusters before exiting.
  const interrupted = async () => {
    await Promise.allSettled([ours?.stop("SIGKILL"), etcd?.stop()]);
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    ours = await ReplicaCluster.start(3, { secret: options.secret });
    etcd = withEtcd ? await EtcdCluster.start() : null;
    const oursSide = await oursDriver(ours, lanes);
    closers.push(oursSide.close);
    const drivers: Driver[] = [oursSide];
    if (etcd) {
      const etcdSide = await etcdDriver(etcd, lanes);
      closers.push(etcdSide.close);
      drivers.push(etcdSide);
    }
    const samples = await interleavedRounds(options, drivers);
    printSideBySide(options, samples, drivers);
    printCpu(options.loads, samples, drivers);
    await profileStages(ours, oursSide);
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    for (const close of closers) close();
    await ours?.stop("SIGTERM");
    await etcd?.stop();
  }
}

function fixed(value: number, digits: number, width: number): string {
  return (Number.isFinite(value) ? value.toFixed(digits) : "-").padStart(width);
}

function serverCpu(sample: Sample): number {
  return Object.entries(sample.cpu)
    .filter(([role]) => role !== "client")
    .reduce((sum, [, micros]) => sum + micros, 0);
}

interface Row {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  serverCpu: number;
  clientCpu: number;
}

function medianRow(samples: Sample[]): Row {
  return {
    perSecond: median(samples.map((sample) => sample.perSecond)),
    p50Ms: median(samples.map((sample) => sample.p50Ms)),
    p99Ms: median(samples.map((sample) => sample.p99Ms)),
    maxMs: median(samples.map((sample) => sample.maxMs)),
    serverCpu: median(samples.map(serverCpu)),
    clientCpu: median(samples.map((sample) => sample.cpu.client!)),
  };
}

function printSideBySide(options: CompareOptions, samples: Map<string, Sample[]>, drivers: Driver[]): void {
  console.log(
    `\nthree replicas each, loopback, durable commits, ${valueBytes}-byte values; ${options.seconds} s per run, ` +
      `median of ${options.rounds} interleaved rounds; ratio = ${drivers.map((driver) => driver.system).join(" / ")}`,
  );
  console.log("in flight | system | writes/s |  p50 ms |  p99 ms |  max ms | server CPU µs/write | client CPU µs/write | runs (writes/s)");
  const line = (load: number, label: string, row: Row, digits: number, runs: string) =>
    console.log(
      [
        String(load).padStart(9),
        label.padEnd(6),
        fixed(row.perSecond, digits, 8),
        fixed(row.p50Ms, 2, 7),
        fixed(row.p99Ms, 2, 7),
        fixed(row.maxMs, 2, 7),
        fixed(row.serverCpu, digits, 19),
        fixed(row.clientCpu, digits, 19),
        runs,
      ].join(" | "),
    );
  for (const load of options.loads) {
    const rows = new Map<System, Row>();
    for (const driver of drivers) {
      const runs = samples.get(`${load} ${driver.system}`)!;
      rows.set(driver.system, medianRow(runs));
      line(load, driver.system, rows.get(driver.system)!, 0, runs.map((run) => run.perSecond.toFixed(0)).join(", "));
    }
    const [first, second] = drivers.map((driver) => rows.get(driver.system)!);
    if (!first || !second) continue;
    const ratio = Object.fromEntries(Object.entries(first).map(([key, value]) => [key, value / second[key as keyof Row]])) as unknown as Row;
    line(load, "ratio", ratio, 2, "");
  }
}

function printCpu(loads: number[], samples: Map<string, Sample[]>, drivers: Driver[]): void {
  console.log("\nCPU µs per acknowledged write, by process (medians of the rounds)");
  console.log("in flight | system |   leader | follower | follower 2 |   client");
  for (const load of loads) {
    for (const driver of drivers) {
      const runs = samples.get(`${load} ${driver.system}`)!;
      const role = (name: string) => fixed(median(runs.map((run) => run.cpu[name] ?? NaN)), 0, Math.max(name.length, 8));
      console.log([String(load).padStart(9), driver.system.padEnd(6), role("leader"), role("follower"), role("follower 2"), role("client")].join(" | "));
    }
  }
}

/** Replica `pid`'s stage totals since its last dump (it writes them to stderr on SIGUSR2 and starts again). */
async function dumpStages(cluster: ReplicaCluster): Promise<Map<number, StageTotals>> {
  const before = new Map(cluster.running().map((member) => [member.id, member.process.stderr.text().length]));
  for (const member of cluster.running()) member.process.signal("SIGUSR2");
  await Bun.sleep(dumpWaitMs);
  const totals = new Map<number, StageTotals>();
  for (const member of cluster.running()) {
    const fresh = member.process.stderr.text().slice(before.get(member.id));
    const line = fresh.split("\n").find((candidate) => candidate.startsWith(stageTimingsLinePrefix));
    if (line) totals.set(member.process.pid, JSON.parse(line.slice(stageTimingsLinePrefix.length)) as StageTotals);
  }
  return totals;
}

/** Stages in the order a write passes them on the leader (src/log/stage-timings.ts marks them). */
const stageOrder: [string, string][] = [
  ["receive", "gRPC handler to the service (caller from metadata, request checks, write barrier)"],
  ["validate", "session, rules and stored-result lookups; the operation decided and encoded"],
  ["append", "proposed until this turn's Ready is persisted (group commit: waits for the turn)"],
  ["fsync", "the log transaction: entries inserted, WAL fsynced"],
  ["replicate", "fsynced until a follower's answer makes it committed (the follower's receive, fsync, answer)"],
  ["commit", "committed until the next Ready applies it"],
  ["apply", "the chat tables updated (one transaction)"],
  ["answer", "the result back through the service to the gRPC reply"],
];

async function profileStages(cluster: ReplicaCluster, ours: Driver & { leaderPid(): Promise<number> }): Promise<void> {
  await dumpStages(cluster); // drops what the rounds booked
  const sample = await measure(ours, 1, profileSeconds);
  const totals = await dumpStages(cluster);
  const leaderPid = await ours.leaderPid();
  const leader = totals.get(leaderPid);
  if (!leader || leader.spans === 0) return console.log("\nstage profile: the leader wrote no stage timings");
  console.log(`\nwhere one write's time goes at 1 in flight (after the warm-up and the rounds; ${leader.spans} writes, mean ms)`);
  let inSpans = 0;
  for (const [stage, what] of stageOrder) {
    const total = leader.stages[stage];
    const ms = total ? total.ms / leader.spans : NaN;
    if (Number.isFinite(ms)) inSpans += ms;
    console.log(`  ${stage.padEnd(9)} ${fixed(ms, 3, 7)}  ${what}`);
  }
  const follower = [...totals.entries()].find(([pid]) => pid !== leaderPid)?.[1];
  const followerMean = (name: string) => {
    const total = follower?.durations[name];
    return total ? total.ms / total.count : NaN;
  };
  console.log(
    `    of replicate, on a follower: append received to answered ${fixed(followerMean("follower: append received to answered"), 3, 6)} ms, ` +
      `of which log append and fsync ${fixed(followerMean("follower: log append and fsync"), 3, 6)} ms; its apply ${fixed(followerMean("follower: apply"), 3, 6)} ms`,
  );
  console.log(`  ${"server".padEnd(9)} ${fixed(inSpans, 3, 7)}  the leader's handler to its reply, in all`);
  console.log(
    `  ${"wire".padEnd(9)} ${fixed(sample.meanMs - inSpans, 3, 7)}  client round trip (${sample.meanMs.toFixed(3)} ms) less the above: both ways over loopback gRPC`,
  );
}
