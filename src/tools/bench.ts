/**
 * `bun run bench`: starts a real replica process on a scratch directory,
 * drives SendMessage with several loads for a bounded time each, and prints
 * acknowledged writes per second, latency percentiles and the replica's
 * resident memory. Medians over several runs; not part of the test suite.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ChatClient } from "../client/chat-client.ts";
import { projectRoot } from "../config.ts";

const usage = `Usage: bun run bench -- [options]

Options:
  --loads LIST       requests in flight, comma separated (default 1,16,64)
  --seconds N        measuring time per load and run (default 5, max 120)
  --runs N           runs per load; the median is reported (default 3, max 10)
  --address H:P      measure a replica that is already running instead of starting one
  -h, --help         show this help`;

const benchSecondsMax = 120;
const benchRunsMax = 10;
const loadMax = 256;
const replicaStartTimeoutMs = 15_000;
/** Distinguishes this run's accounts on a replica that outlives it. */
const runId = Date.now().toString(36);

interface RunResult {
  acked: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  rssMb: number;
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kilobytes = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kilobytes / 1024;
}

async function startReplicaProcess(dataDir: string) {
  const child = Bun.spawn([process.execPath, join(projectRoot, "src/tools/replica.ts"), "--standalone", "--server_port", "0", "--data_dir", dataDir], {
    stderr: "pipe",
    stdout: "ignore",
    env: { ...process.env, CHAT_CLUSTER_SECRET: "bench-cluster-secret-0123456789" },
  });
  const reader = child.stderr.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + replicaStartTimeoutMs;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
    const match = /serving address=(\S+)/.exec(text);
    if (match) {
      void (async () => {
        while (!(await reader.read()).done); // keep draining so the replica never blocks on stderr
      })();
      return { child, address: match[1]! };
    }
  }
  child.kill("SIGKILL");
  throw new Error(`replica did not start:\n${text}`);
}

async function measure(address: string, pid: number | undefined, load: number, seconds: number, round: number): Promise<RunResult> {
  const clients: ChatClient[] = [];
  for (let lane = 0; lane < load; lane++) {
    const client = new ChatClient({ address });
    const name = `bench-${runId}-${round}-${lane}`;
    await client.createAccount(name, "bench-password");
    await client.login(name, "bench-password");
    clients.push(client);
  }
  const latencies: number[] = [];
  const stopAt = performance.now() + seconds * 1000;
  const started = performance.now();
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
  for (const client of clients) client.close();
  latencies.sort((a, b) => a - b);
  return {
    acked: latencies.length,
    perSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    rssMb: pid === undefined ? NaN : residentMb(pid),
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
      loads: { type: "string", default: "1,16,64" },
      seconds: { type: "string", default: "5" },
      runs: { type: "string", default: "3" },
      address: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return console.log(usage);
  const loads = parseList(values.loads);
  const seconds = boundedInteger("seconds", values.seconds, benchSecondsMax);
  const runs = boundedInteger("runs", values.runs, benchRunsMax);
  const dataDir = mkdtempSync(join(tmpdir(), "chat-bench-"));
  const { child, address } = values.address
    ? { child: null, address: values.address }
    : await startReplicaProcess(dataDir);
  try {
    console.log(`1 replica at ${address}; ${seconds} s per run, median of ${runs} runs; SendMessage acknowledged after fsync`);
    console.log("in flight |  acked/s |  p50 ms |  p99 ms | replica RSS MB | runs (acked/s)");
    let round = 0;
    for (const load of loads) {
      const results: RunResult[] = [];
      for (let run = 0; run < runs; run++) results.push(await measure(address, child?.pid, load, seconds, round++));
      const row = [
        String(load).padStart(9),
        median(results.map((r) => r.perSecond)).toFixed(0).padStart(8),
        median(results.map((r) => r.p50Ms)).toFixed(2).padStart(7),
        median(results.map((r) => r.p99Ms)).toFixed(2).padStart(7),
        median(results.map((r) => r.rssMb)).toFixed(0).padStart(14),
        results.map((r) => r.perSecond.toFixed(0)).join(", "),
      ];
      console.log(row.join(" | "));
    }
  } finally {
    child?.kill("SIGTERM");
    await child?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
