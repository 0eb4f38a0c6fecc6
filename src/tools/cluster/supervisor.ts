/**
 * Runs the replicas as children: starts one per instance, reports a child
 * that exits on its own (the others keep running), and stops them all with
 * SIGTERM, then SIGKILL for any still running after a bounded grace.
 */
import type { Subprocess } from "bun";
import { join } from "node:path";
import { projectRoot } from "../../config.ts";
import { shutdownGraceMs } from "../../replica.ts";
import { replicaDataDir, type ClusterOptions } from "./options.ts";
import { forEachLine, type Printer } from "./output.ts";

/** A replica's own graceful stop takes up to shutdownGraceMs; after this much longer it is SIGKILLed. */
export const stopGraceMs = shutdownGraceMs + 3000;

const replicaScript = join(projectRoot, "src", "tools", "replica.ts");

interface Child {
  id: number;
  name: string;
  process: Subprocess<"ignore", "pipe", "pipe">;
  /** Resolves once the process has exited and both of its streams are printed. */
  finished: Promise<void>;
}

export class Supervisor {
  private readonly children: Child[] = [];
  private stopping = false;

  constructor(
    private readonly options: ClusterOptions,
    private readonly printer: Printer,
    private readonly childEnv: Record<string, string>,
    /** Runs once every child has exited while not stopping. */
    private readonly onAllExited: () => void,
  ) {}

  start(): void {
    const initialLeaderId = this.options.instances[0]!.id;
    this.options.instances.forEach((instance, position) => {
      const args = ["--server_id", String(instance.id), "--data_dir", replicaDataDir(this.options, instance.id)];
      args.push("--config_master", this.options.configMaster);
      if (instance.id === initialLeaderId) args.push("--initial_leader", "true");
      this.children.push(this.spawn(instance.id, position, args));
    });
  }

  /** SIGTERM to every running child; SIGKILL to those still running after stopGraceMs. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    const running = this.children.filter((child) => child.process.exitCode === null && child.process.signalCode === null);
    for (const child of running) child.process.kill("SIGTERM");
    const killer = setTimeout(() => {
      for (const child of running) {
        if (child.process.exitCode !== null || child.process.signalCode !== null) continue;
        this.printer.warn(`${child.name} still running after ${stopGraceMs} ms: SIGKILL`);
        child.process.kill("SIGKILL");
      }
    }, stopGraceMs);
    await Promise.all(this.children.map((child) => child.finished));
    clearTimeout(killer);
  }

  private spawn(id: number, position: number, args: string[]): Child {
    const name = `replica-${id}`;
    const child = Bun.spawn([process.execPath, replicaScript, ...args], {
      cwd: projectRoot,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ...this.childEnv },
    });
    const print = (line: string) => this.printer.line(name, position, line);
    const finished = Promise.all([forEachLine(child.stdout, print), forEachLine(child.stderr, print), child.exited]).then(
      () => this.onExit(name, child),
    );
    return { id, name, process: child, finished };
  }

  private onExit(name: string, child: Subprocess<"ignore", "pipe", "pipe">): void {
    if (this.stopping) {
      this.printer.note(`${name} stopped (${describeExit(child)})`);
      return;
    }
    const allExited = this.children.every((other) => other.process.exitCode !== null || other.process.signalCode !== null);
    const others = allExited ? "no replica is left" : "the other replicas keep running";
    this.printer.warn(`${name} exited unexpectedly (${describeExit(child)}); ${others}`);
    if (allExited) this.onAllExited();
  }
}

function describeExit(child: Subprocess<"ignore", "pipe", "pipe">): string {
  return child.signalCode ? `killed by ${child.signalCode}` : `exit code ${child.exitCode}`;
}
