/**
 * Runs the replicas as children: starts one per instance, reports a child
 * that exits on its own (the others keep running), and stops them all with
 * SIGTERM, then SIGKILL for any still running after a bounded grace.
 */
import { ProcessGroup } from "../processes/process-group.ts";
import { replicaStopGraceMs } from "../processes/replica-cluster.ts";
import { spawnReplica, type ReplicaProcess } from "../processes/replica-process.ts";
import { replicaDataDir, type ClusterOptions } from "./options.ts";
import type { Printer } from "./output.ts";

/** A replica's own graceful stop takes up to shutdownGraceMs; after this much longer it is SIGKILLed. */
const stopGraceMs = replicaStopGraceMs;

interface Child {
  name: string;
  process: ReplicaProcess;
}

export class Supervisor {
  private readonly children: Child[] = [];
  private readonly processes = new ProcessGroup();
  private stopping = false;

  constructor(
    private readonly options: ClusterOptions,
    private readonly printer: Printer,
    /** Whether the replicas may colour their own level tags (when ours are coloured). */
    private readonly colour: boolean,
    /** Runs once every child has exited while not stopping. */
    private readonly onAllExited: () => void,
  ) {}

  start(): void {
    const initialLeaderId = this.options.instances[0]!.id;
    this.options.instances.forEach((instance, position) => {
      const dataDir = replicaDataDir(this.options, instance.id);
      const args = ["--server_id", String(instance.id), "--data_dir", dataDir, "--config_master", this.options.configMaster];
      if (instance.id === initialLeaderId) args.push("--initial_leader", "true");
      this.children.push(this.spawn(instance.id, position, dataDir, args));
    });
  }

  /** SIGTERM to every running child; SIGKILL to those still running after stopGraceMs. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.processes.stopAll(stopGraceMs, (process) => {
      const name = this.children.find((child) => child.process === process)?.name ?? `pid ${process.pid}`;
      this.printer.warn(`${name} still running after ${stopGraceMs} ms: SIGKILL`);
    });
    await Promise.all(this.children.map((child) => child.process.finished));
  }

  private spawn(id: number, position: number, dataDir: string, args: string[]): Child {
    const name = `replica-${id}`;
    const process = this.processes.adopt(
      spawnReplica({
        args,
        dataDir,
        // A terminal's worth of log, printed as it comes and not kept.
        keepLines: false,
        onLine: (line) => this.printer.line(name, position, line),
        colour: this.colour,
        env: this.colour ? { FORCE_COLOR: "1" } : {},
      }),
    );
    void process.finished.then(() => this.onExit(name, process));
    return { name, process };
  }

  private onExit(name: string, process: ReplicaProcess): void {
    if (this.stopping) {
      this.printer.note(`${name} stopped (${describeExit(process)})`);
      return;
    }
    const allExited = this.children.every((other) => !other.process.running());
    const others = allExited ? "no replica is left" : "the other replicas keep running";
    this.printer.warn(`${name} exited unexpectedly (${describeExit(process)}); ${others}`);
    if (allExited) this.onAllExited();
  }
}

function describeExit(process: ReplicaProcess): string {
  return process.signalCode ? `killed by ${process.signalCode}` : `exit code ${process.exitCode}`;
}
