/**
 * `bun run chaos`: real replicas on loopback under a seeded nemesis, users
 * running the client library through fault proxies, and the history
 * checker's verdict at the end (src/chaos/run.ts).
 */
import { parseArgs } from "node:util";
import { type ChaosOptions, runChaos, usersDefault } from "../chaos/run.ts";
import { answerVersion } from "./version.ts";

const usage = `Usage: bun run chaos -- --duration S [--seed N] [--replicas 3|5] [--users N] [--keep]

Starts 3 (or 5) replicas on loopback, every link between them and every
client link through a fault proxy, runs ${usersDefault} users with the client library, and
has a seeded nemesis kill, pause, partition, restart, add and remove servers,
move the leadership and jump clocks for S seconds. Then every fault heals,
the cluster settles, and the history checker judges the run.

Options:
  --duration S     seconds of faults (required)
  --seed N         the nemesis's and users' seed (default: random; printed)
  --replicas 3|5   founding replicas (default 3)
  --users N        concurrent users (default ${usersDefault})
  --keep           keep the run's folder even when it passes
  -h, --help       show this help
  --version        print the version

Exit status: 0 every property holds, 1 a violation (the folder with the history,
the nemesis schedule and the replicas' logs is named in the output), 2 bad usage.`;

function positiveInteger(name: string, text: string | undefined, fallback?: number): number {
  if (text === undefined && fallback !== undefined) return fallback;
  const value = Number(text);
  if (!text || !/^[0-9]+$/.test(text) || value < 1) throw new Error(`--${name} must be a positive integer, not "${text ?? ""}"`);
  return value;
}

async function main(): Promise<number> {
  let options: Omit<ChaosOptions, "log">;
  try {
    const { values } = parseArgs({
      options: {
        duration: { type: "string" },
        seed: { type: "string" },
        replicas: { type: "string" },
        users: { type: "string" },
        keep: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
    });
    if (values.help) {
      console.log(usage);
      return 0;
    }
    if (answerVersion(values.version)) return 0;
    const replicas = positiveInteger("replicas", values.replicas, 3);
    if (replicas !== 3 && replicas !== 5) throw new Error("--replicas must be 3 or 5");
    options = {
      durationS: positiveInteger("duration", values.duration),
      seed: positiveInteger("seed", values.seed, 1 + Math.floor(Math.random() * 1_000_000)),
      replicas: replicas as 3 | 5,
      users: positiveInteger("users", values.users, usersDefault),
      keep: values.keep,
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const result = await runChaos({ ...options, log: (line) => console.log(line) });
  console.log(result.summary);
  return result.ok ? 0 : 1;
}

process.exitCode = await main();
