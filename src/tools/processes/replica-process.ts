/**
 * A replica as a child process (`bun src/tools/replica.ts ...`): spawned,
 * then known to be up once it logs "serving address=HOST:PORT", which also
 * says where it listens.
 */
import { join } from "node:path";
import { projectRoot } from "../../config.ts";
import { ScriptProcess, spawnSubprocess, type ScriptOptions } from "./script-process.ts";

export const replicaScript = join(projectRoot, "src", "tools", "replica.ts");
/**
 * How long a replica may take from spawn to its "serving" line: Bun's start,
 * opening and checking SQLite, migrations. Generous, so that a loaded
 * machine (several replicas starting on two cores) does not fail a start.
 */
export const replicaStartMsMax = 30_000;
const servingLine = /\bserving address=(\S+)/;

export interface ReplicaSpawnOptions extends ScriptOptions {
  /** The replica's flags, `--server_id` and `--data_dir` among them. */
  args: string[];
  dataDir: string;
  /** CHAT_CLUSTER_SECRET for the child; without it the child inherits this process's environment. */
  secret?: string;
}

export class ReplicaProcess extends ScriptProcess {
  readonly dataDir: string;
  /** Filled in from its "serving" line, as output arrives. */
  private readonly serving: { address: string };

  constructor(options: ReplicaSpawnOptions) {
    const env = { ...options.env, ...(options.secret ? { CHAT_CLUSTER_SECRET: options.secret } : {}) };
    const serving = { address: "" };
    super(spawnSubprocess(replicaScript, options.args, { ...options, env }), {
      ...options,
      onLine: (line, stream) => {
        const match = serving.address === "" && stream === "stderr" ? servingLine.exec(line) : null;
        if (match) serving.address = match[1]!;
        options.onLine?.(line, stream);
      },
    });
    this.dataDir = options.dataDir;
    this.serving = serving;
  }

  /** host:port from its "serving" line; empty until then. */
  get address(): string {
    return this.serving.address;
  }

  get port(): number {
    return this.address === "" ? 0 : Number(this.address.split(":").pop());
  }

  /**
   * Resolves once it has logged "serving address=HOST:PORT"; throws with its
   * log if it exits first, or kills it and throws if that takes longer than
   * `replicaStartMsMax`.
   */
  async untilServing(): Promise<this> {
    const deadline = Date.now() + replicaStartMsMax;
    while (this.address === "") {
      if (!this.running()) {
        await this.finished;
        throw new Error(`replica exited with ${this.exitCode ?? this.signalCode} before serving:\n${this.stderr.text()}`);
      }
      if (Date.now() > deadline) {
        await this.kill("SIGKILL");
        throw new Error(`replica did not log serving within ${replicaStartMsMax} ms:\n${this.stderr.text()}`);
      }
      await Bun.sleep(10);
    }
    return this;
  }
}

/** Spawns a replica without waiting for it (a start meant to fail, or a supervisor that only prints its log). */
export function spawnReplica(options: ReplicaSpawnOptions): ReplicaProcess {
  return new ReplicaProcess(options);
}

/** Spawns a replica and waits until it serves. */
export function startReplica(options: ReplicaSpawnOptions): Promise<ReplicaProcess> {
  return spawnReplica(options).untilServing();
}
