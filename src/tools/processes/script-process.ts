/**
 * One child process running a script of this repository under the same Bun:
 * its stdout and stderr read line by line to their end (kept, printed or
 * appended to a log file), signals, and kills that wait for the exit.
 */
import type { FileSink, Subprocess } from "bun";
import { closeSync, openSync, writeSync } from "node:fs";
import { projectRoot } from "../../config.ts";
import { LineCollector } from "./lines.ts";

/** How long a child may take to exit after SIGKILL, or after SIGTERM before it is SIGKILLed. */
export const processExitMsMax = 10_000;

export interface ScriptOptions {
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Let the child colour its output (default: NO_COLOR is set). */
  colour?: boolean;
  /** "pipe" to write to the child's stdin (see `write`); default "ignore". */
  stdin?: "pipe" | "ignore";
  /** Keep every output line in memory (default true). */
  keepLines?: boolean;
  /** Called with every output line as it arrives. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Appends every output line to this file too (kept beside a scratch cluster's data). */
  logFile?: string;
}

export type ScriptSubprocess = Subprocess<"pipe" | "ignore", "pipe", "pipe">;

export class ScriptProcess {
  readonly stdout: LineCollector;
  readonly stderr: LineCollector;
  /** Resolves with the exit code once the process has exited and both streams are read to their end. */
  readonly finished: Promise<number>;

  constructor(
    readonly child: ScriptSubprocess,
    options: ScriptOptions,
  ) {
    const logFd = options.logFile ? openSync(options.logFile, "a") : null;
    const collect = (stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr") =>
      new LineCollector(stream, {
        keep: options.keepLines,
        onLine: (line) => {
          if (logFd !== null) writeSync(logFd, `${line}\n`);
          options.onLine?.(line, name);
        },
      });
    this.stdout = collect(child.stdout, "stdout");
    this.stderr = collect(child.stderr, "stderr");
    this.finished = Promise.all([child.exited, this.stdout.done, this.stderr.done]).then(([code]) => {
      if (logFd !== null) closeSync(logFd);
      return code;
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** The signal that ended it ("SIGKILL"), or null. */
  get signalCode(): ScriptSubprocess["signalCode"] {
    return this.child.signalCode;
  }

  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` without waiting (SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void {
    if (this.running()) this.child.kill(signal);
  }

  /** Sends `signal` (a stopped child is let run into it) and resolves with the exit code once it is gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
    if (this.running()) {
      this.child.kill("SIGCONT");
      this.child.kill(signal);
    }
    return withTimeout(this.child.exited, processExitMsMax, `pid ${this.pid} to exit after ${signal}`);
  }

  /**
   * SIGTERM, then SIGKILL if it is still running after `graceMs` (calling
   * `onForceKill` first); resolves once it has exited and its output is read.
   */
  async stop(graceMs: number, onForceKill: () => void = () => {}): Promise<number> {
    if (this.running()) {
      this.child.kill("SIGCONT");
      this.child.kill("SIGTERM");
    }
    const killer = setTimeout(() => {
      if (!this.running()) return;
      onForceKill();
      this.child.kill("SIGKILL");
    }, graceMs);
    try {
      return await this.finished;
    } finally {
      clearTimeout(killer);
    }
  }

  /** Writes one line to stdin (spawned with `stdin: "pipe"`). */
  write(line: string): void {
    const stdin = this.child.stdin as FileSink;
    stdin.write(`${line}\n`);
    stdin.flush();
  }

  /** Closes stdin: end of input. */
  async endInput(): Promise<void> {
    await (this.child.stdin as FileSink).end();
  }
}

/** Starts `bun <script> ...args` in the repository root, its output piped. */
/**
 * CHAT_CPU_PROFILE_DIR=DIR makes every script started from here write a CPU
 * profile (Bun's markdown format, grep-friendly) into DIR when it exits:
 * `bun run bench -- --profile DIR` sets it for the replicas it measures.
 */
function profileFlags(): string[] {
  const dir = process.env.CHAT_CPU_PROFILE_DIR;
  return dir ? ["--cpu-prof-md", `--cpu-prof-dir=${dir}`] : [];
}

export function spawnSubprocess(script: string, args: string[], options: ScriptOptions = {}): ScriptSubprocess {
  return Bun.spawn([process.execPath, ...profileFlags(), script, ...args], {
    cwd: projectRoot,
    stdin: options.stdin ?? "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...(options.colour ? {} : { NO_COLOR: "1" }), ...options.env },
  }) as ScriptSubprocess;
}

export function spawnScript(script: string, args: string[], options: ScriptOptions = {}): ScriptProcess {
  return new ScriptProcess(spawnSubprocess(script, args, options), options);
}

export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
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
