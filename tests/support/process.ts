/**
 * Real-process test helpers: replicas started as `bun src/tools/replica.ts`
 * and clients started as `bun src/client/cli.ts --json`, each a child
 * process whose output is collected line by line. A ProcessGroup remembers
 * every child it started; `cleanup()` kills and awaits them all, so a
 * failing test leaks no process.
 */
import type { Subprocess } from "bun";
import { join, resolve } from "node:path";
import { waitFor } from "./replica.ts";

export const repositoryRoot = resolve(import.meta.dir, "..", "..");
export const replicaScript = join(repositoryRoot, "src", "tools", "replica.ts");
export const cliScript = join(repositoryRoot, "src", "client", "cli.ts");
export const processSecret = "process-test-cluster-secret-0123456789";

/** How long a replica may take from spawn to its "serving" log line. */
export const replicaStartMsMax = 10_000;
/** How long a child may take to exit after a signal or end of input. */
export const processExitMsMax = 10_000;
/** How long a CLI may take to answer one command. */
export const cliAnswerMsMax = 10_000;

type Child = Subprocess<"pipe" | "ignore", "pipe", "pipe">;

/** The lines of one output stream, as they arrive. */
export class LineCollector {
  readonly lines: string[] = [];
  /** Resolves once the stream has ended and every line is in `lines`. */
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.pump(stream);
  }

  text(): string {
    return this.lines.join("\n");
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let partial = "";
    for await (const chunk of stream) {
      partial += decoder.decode(chunk, { stream: true });
      const parts = partial.split("\n");
      partial = parts.pop()!;
      this.lines.push(...parts);
    }
    if (partial.length > 0) this.lines.push(partial);
  }
}

export interface ReplicaProcess {
  child: Child;
  dataDir: string;
  /** host:port from its "serving" log line; empty until then. */
  address: string;
  port: number;
  stderr: LineCollector;
  stdout: LineCollector;
  /** Sends `signal` and resolves with the exit code once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Sends `signal` without waiting (SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void;
}

/** One JSON line of the CLI: a result, an error or a live event. */
export type CliLine = Record<string, unknown> & { ok?: boolean; command?: string; event?: string };

export class ProcessGroup {
  private readonly children: Child[] = [];

  /** Spawns a replica without waiting for it: for starts that are meant to fail. */
  spawnReplica(dataDir: string, port = 0, extraEnv: Record<string, string> = {}): ReplicaProcess {
    const args = ["--standalone", "--server_port", String(port), "--data_dir", dataDir, "--server_id", "1"];
    return this.spawnReplicaWithArgs(args, dataDir, extraEnv);
  }

  /** Spawns `bun src/tools/replica.ts ...args` (which should include `--data_dir dataDir`) without waiting. */
  spawnReplicaWithArgs(args: string[], dataDir: string, extraEnv: Record<string, string> = {}): ReplicaProcess {
    const child = this.spawn([replicaScript, ...args], "ignore", { CHAT_CLUSTER_SECRET: processSecret, ...extraEnv });
    const replica: ReplicaProcess = {
      child,
      dataDir,
      address: "",
      port: 0,
      stderr: new LineCollector(child.stderr),
      stdout: new LineCollector(child.stdout),
      kill: async (signal = "SIGKILL") => {
        child.kill(signal);
        return withTimeout(child.exited, processExitMsMax, `replica exit after ${signal}`);
      },
      signal: (signal) => child.kill(signal),
    };
    return replica;
  }

  /** Starts a replica (port 0 lets it pick) and waits until it logs "serving address=HOST:PORT". */
  async startReplica(dataDir: string, port = 0): Promise<ReplicaProcess> {
    return waitUntilServing(this.spawnReplica(dataDir, port));
  }

  /** Stops `replica` with `signal` and starts a new one on the same data dir and port. */
  async restartReplica(replica: ReplicaProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<ReplicaProcess> {
    await replica.kill(signal);
    return this.startReplica(replica.dataDir, replica.port);
  }

  startCli(address: string): CliProcess {
    const child = this.spawn([cliScript, "--json", "--server", address], "pipe", {});
    return new CliProcess(child);
  }

  /** Kills every child still running and waits for each to exit. */
  async cleanup(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill("SIGCONT"); // a SIGSTOPped child: let it run into the SIGKILL
      child.kill("SIGKILL");
    }
    await Promise.all(this.children.map((child) => withTimeout(child.exited, processExitMsMax, "child exit")));
    this.children.length = 0;
  }

  private spawn(args: string[], stdin: "pipe" | "ignore", env: Record<string, string>): Child {
    const child = Bun.spawn([process.execPath, ...args], {
      cwd: repositoryRoot,
      stdin,
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1", ...env },
    }) as Child;
    this.children.push(child);
    return child;
  }
}

/** Waits until `replica` logs "serving address=HOST:PORT" and fills in its address and port. */
export async function waitUntilServing(replica: ReplicaProcess): Promise<ReplicaProcess> {
  const servingLine = () => replica.stderr.lines.find((line) => /\bserving address=\S+/.test(line));
  await waitFor(
    () => {
      if (replica.child.exitCode !== null) {
        throw new Error(`replica exited with ${replica.child.exitCode} before serving:\n${replica.stderr.text()}`);
      }
      return servingLine() !== undefined;
    },
    replicaStartMsMax,
    "the replica to log serving",
  );
  replica.address = /\bserving address=(\S+)/.exec(servingLine()!)![1]!;
  replica.port = Number(replica.address.split(":").pop());
  return replica;
}

/** A `--json` CLI child: write command lines, read its JSON lines in order. */
export class CliProcess {
  readonly stdout: LineCollector;
  readonly stderr: LineCollector;
  /** Index in `objects()` of the next result (or error) line `next()` returns. */
  private resultCursor = 0;

  constructor(readonly child: Child) {
    this.stdout = new LineCollector(child.stdout);
    this.stderr = new LineCollector(child.stderr);
  }

  objects(): CliLine[] {
    return this.stdout.lines.filter((line) => line.length > 0).map((line) => JSON.parse(line) as CliLine);
  }

  events(): CliLine[] {
    return this.objects().filter((object) => object.event !== undefined);
  }

  write(line: string): void {
    const stdin = this.child.stdin as import("bun").FileSink;
    stdin.write(`${line}\n`);
    stdin.flush();
  }

  /** The next result or error line (live events are skipped), waiting for it. */
  async next(timeoutMs = cliAnswerMsMax): Promise<CliLine> {
    let found: CliLine | undefined;
    await waitFor(
      () => {
        const answers = this.objects().filter((object) => object.ok !== undefined);
        found = answers[this.resultCursor];
        return found !== undefined;
      },
      timeoutMs,
      `CLI answer #${this.resultCursor + 1} (stdout so far: ${this.stdout.text()}; stderr: ${this.stderr.text()})`,
    );
    this.resultCursor += 1;
    return found!;
  }

  /** Writes one command and returns its answer. */
  async run(line: string): Promise<CliLine> {
    this.write(line);
    return this.next();
  }

  /** Waits for a live event matching `predicate`. */
  async event(predicate: (event: CliLine) => boolean, timeoutMs = cliAnswerMsMax): Promise<CliLine> {
    let found: CliLine | undefined;
    await waitFor(() => (found = this.events().find(predicate)) !== undefined, timeoutMs, "a live event from the CLI");
    return found!;
  }

  /** Closes stdin (end of input) and resolves with the exit code. */
  async end(): Promise<number> {
    await (this.child.stdin as import("bun").FileSink).end();
    const code = await withTimeout(this.child.exited, processExitMsMax, "CLI exit at end of input");
    await this.stdout.done;
    return code;
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
