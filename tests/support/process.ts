/**
 * Real-process test helpers on top of src/tools/processes: standalone
 * replicas and clients started as `bun src/client/cli.ts --json`, each a
 * child process whose output is collected line by line. A TestProcesses
 * remembers every child it started; `cleanup()` kills and awaits them all,
 * so a failing test leaks no process.
 */
import { join } from "node:path";
import { projectRoot } from "../../src/config.ts";
import { ProcessGroup } from "../../src/tools/processes/process-group.ts";
import { spawnReplica, type ReplicaProcess } from "../../src/tools/processes/replica-process.ts";
import { processExitMsMax, spawnScript, withTimeout, type ScriptProcess } from "../../src/tools/processes/script-process.ts";
import { waitFor } from "./replica.ts";

export type { ReplicaProcess } from "../../src/tools/processes/replica-process.ts";
export const cliScript = join(projectRoot, "src", "client", "cli.ts");
export const processSecret = "process-test-cluster-secret-0123456789";

/** How long a CLI may take to answer one command, on a loaded machine. */
export const cliAnswerMsMax = 20_000;

/** One JSON line of the CLI: a result, an error or a live event. */
export type CliLine = Record<string, unknown> & { ok?: boolean; command?: string; event?: string };

export class TestProcesses {
  private readonly group = new ProcessGroup();

  /** Spawns a standalone replica (server 1) without waiting for it: for starts that are meant to fail. */
  spawnStandalone(dataDir: string, port = 0): ReplicaProcess {
    const args = ["--standalone", "--server_port", String(port), "--data_dir", dataDir, "--server_id", "1"];
    return this.group.adopt(spawnReplica({ args, dataDir, secret: processSecret }));
  }

  /** Starts a standalone replica (port 0 lets it pick) and waits until it logs "serving address=HOST:PORT". */
  startStandalone(dataDir: string, port = 0): Promise<ReplicaProcess> {
    return this.spawnStandalone(dataDir, port).untilServing();
  }

  startCli(address: string): CliProcess {
    return new CliProcess(this.group.adopt(spawnScript(cliScript, ["--json", "--server", address], { stdin: "pipe" })));
  }

  /** Kills every child still running and waits for each to exit. */
  cleanup(): Promise<void> {
    return this.group.killAll();
  }
}

/** A `--json` CLI child: write command lines, read its JSON lines in order. */
export class CliProcess {
  /** Index in `objects()` of the next result (or error) line `next()` returns. */
  private resultCursor = 0;

  constructor(readonly process: ScriptProcess) {}

  get stdout() {
    return this.process.stdout;
  }

  get stderr() {
    return this.process.stderr;
  }

  objects(): CliLine[] {
    return this.stdout.lines.filter((line) => line.length > 0).map((line) => JSON.parse(line) as CliLine);
  }

  events(): CliLine[] {
    return this.objects().filter((object) => object.event !== undefined);
  }

  write(line: string): void {
    this.process.write(line);
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
    await waitFor(
      () => {
        found = this.events().find(predicate);
        return found !== undefined;
      },
      timeoutMs,
      "a live event from the CLI",
    );
    return found!;
  }

  /** Closes stdin (end of input) and resolves with the exit code once its output is read. */
  async end(): Promise<number> {
    await this.process.endInput();
    return withTimeout(this.process.finished, processExitMsMax, "CLI exit at end of input");
  }
}
