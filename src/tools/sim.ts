// CLI for the seeded simulators.
//   bun src/tools/sim.ts --seeds N [--seed S] [--nodes 3|5] [--ticks T] [--whole]
// Runs seeds S..S+N-1 (S defaults to 1), each with 3 and 5 replicas unless
// --nodes picks one. The consensus core alone by default; with --whole, the
// whole replica (driver, projections, chat service, simulated users running
// the client library). On the first violation it prints the seed, the
// invariant and the tail of the trace, and exits with status 1.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSimulation, type SimResult } from "./sim/simulation.ts";
import { runWholeSimulation, type WholeSimResult } from "./sim/whole/simulation.ts";
import { answerVersion } from "./version.ts";

const usageText = `usage: bun run sim -- --seeds N [--seed S] [--nodes 3|5] [--ticks T] [--trace EVENTS] [--messages] [--verbose] [--whole]

  --seeds N      how many seeds to run (default 1)
  --seed S       the first seed (default 1); alone, replays that one seed
  --nodes N      replicas per run (default: 3 and 5)
  --ticks T      ticks of the faulty safety phase
  --trace EVENTS events printed on failure (core simulator)
  --messages     trace every delivered message (core simulator; slow)
  --verbose      print every replica's own log lines (to replay one seed)
  --whole        simulate whole replicas: the real driver, projections and chat
                 service on in-memory SQLite, with users that run the client
                 library, checked against their history
  -h, --help     show this help
  --version      print the version`;

interface CliOptions {
  seeds: number;
  firstSeed: number;
  nodeCounts: number[];
  safetyTicks?: number;
  traceTail: number;
  traceMessages: boolean;
  verbose: boolean;
  whole: boolean;
}

function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { seeds: 1, firstSeed: 1, nodeCounts: [3, 5], traceTail: 50, traceMessages: false, verbose: false, whole: false };
  let seedGiven = false;
  let seedsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--help" || flag === "-h") {
      console.log(usageText);
      process.exit(0);
    }
    if (answerVersion(flag === "--version")) process.exit(0);
    if (flag === "--messages" || flag === "--verbose" || flag === "--whole") {
      if (flag === "--messages") options.traceMessages = true;
      else if (flag === "--verbose") options.verbose = true;
      else options.whole = true;
      continue;
    }
    const value = Number(argv[i + 1]);
    if (flag === "--seeds") {
      options.seeds = value;
      seedsGiven = true;
    } else if (flag === "--seed") {
      options.firstSeed = value;
      seedGiven = true;
    } else if (flag === "--nodes") options.nodeCounts = [value];
    else if (flag === "--ticks") options.safetyTicks = value;
    else if (flag === "--trace") options.traceTail = value;
    else usage(`unknown flag ${flag}`);
    if (!Number.isInteger(value) || value < 0) usage(`${flag} needs a non-negative integer`);
    i++;
  }
  if (seedGiven && !seedsGiven) options.seeds = 1;
  if (!options.nodeCounts.every((n) => n >= 1 && n <= 9)) usage("--nodes must be between 1 and 9");
  return options;
}

function usage(problem: string): never {
  console.error(`${problem}\n${usageText}`);
  process.exit(2);
}

function report(result: SimResult): void {
  console.error(`FAIL seed ${result.seed} with ${result.nodeCount} nodes: ${result.invariant}`);
  console.error(result.message);
  console.error(`fault profile: ${JSON.stringify(result.profile)}`);
  console.error(`last ${result.trace.length} events:`);
  for (const line of result.trace) console.error(`  ${line}`);
  console.error(`replay: bun src/tools/sim.ts --seed ${result.seed} --nodes ${result.nodeCount}`);
}

async function mainWhole(options: CliOptions): Promise<void> {
  const started = performance.now();
  const stagingDir = mkdtempSync(join(tmpdir(), "chat-sim-"));
  process.on("exit", () => rmSync(stagingDir, { recursive: true, force: true }));
  const operations: Record<string, number> = {};
  let runs = 0;
  let crashes = 0;
  let clockJumps = 0;
  let snapshots = 0;
  let streams = 0;
  let delivered = 0;
  for (let seed = options.firstSeed; seed < options.firstSeed + options.seeds; seed++) {
    for (const nodeCount of options.nodeCounts) {
      const result = await runWholeSimulation({ seed, nodeCount, safetyTicks: options.safetyTicks, stagingDir, verbose: options.verbose });
      if (!result.ok) reportWhole(result);
      runs++;
      crashes += result.stats.crashes;
      clockJumps += result.stats.clockJumps;
      snapshots += result.stats.snapshotsInstalled;
      streams += result.stats.streamsOpened;
      delivered += result.stats.messagesDelivered;
      for (const [kind, count] of Object.entries(result.stats.operations)) operations[kind] = (operations[kind] ?? 0) + count;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `ok: ${options.seeds} seeds, ${runs} whole-replica runs (${options.nodeCounts.join("+")} nodes) in ${seconds.toFixed(1)}s (${(runs / seconds).toFixed(1)} runs/s)`,
  );
  console.log(
    `power cuts ${crashes}, clock jumps ${clockJumps}, snapshots installed ${snapshots}, live streams opened ${streams}, messages delivered live ${delivered}`,
  );
  console.log(
    `operations: ${Object.entries(operations)
      .sort()
      .map(([kind, count]) => `${kind} ${count}`)
      .join(", ")}`,
  );
}

function reportWhole(result: WholeSimResult): never {
  console.error(`FAIL seed ${result.seed} with ${result.nodeCount} whole replicas: ${result.invariant}`);
  console.error(result.message);
  console.error(`last ${result.trace.length} events:`);
  for (const line of result.trace) console.error(`  ${line}`);
  console.error(`replay: bun run sim -- --whole --seed ${result.seed} --nodes ${result.nodeCount}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.whole) {
    await mainWhole(options);
    return;
  }
  const started = performance.now();
  const totals = {
    runs: 0,
    elections: 0,
    writesAcked: 0,
    readsChecked: 0,
    crashes: 0,
    partitions: 0,
    messages: 0,
    membershipChanges: 0,
    transfers: 0,
    snapshotsInstalled: 0,
  };
  for (let seed = options.firstSeed; seed < options.firstSeed + options.seeds; seed++) {
    for (const nodeCount of options.nodeCounts) {
      const result = await runSimulation({
        seed,
        nodeCount,
        safetyTicks: options.safetyTicks,
        traceTailEvents: options.traceTail,
        traceMessages: options.traceMessages,
        verbose: options.verbose,
      });
      if (!result.ok) {
        report(result);
        process.exit(1);
      }
      totals.runs++;
      totals.elections += result.stats.elections;
      totals.writesAcked += result.stats.writesAcked;
      totals.readsChecked += result.stats.readsChecked;
      totals.crashes += result.stats.crashes;
      totals.partitions += result.stats.partitions;
      totals.messages += result.stats.network.sent;
      totals.membershipChanges += result.stats.membershipChanges;
      totals.transfers += result.stats.transfers;
      totals.snapshotsInstalled += result.stats.snapshotsInstalled;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`ok: ${options.seeds} seeds, ${totals.runs} runs (${options.nodeCounts.join("+")} nodes) in ${seconds.toFixed(1)}s`);
  console.log(
    `elections ${totals.elections}, writes acked ${totals.writesAcked}, reads checked ${totals.readsChecked}, crashes ${totals.crashes}, partition changes ${totals.partitions}, messages ${totals.messages}`,
  );
  console.log(
    `membership changes committed ${totals.membershipChanges}, leadership transfers ${totals.transfers}, snapshots installed ${totals.snapshotsInstalled}`,
  );
}

await main();
