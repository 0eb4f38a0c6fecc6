/**
 * Starts replicas as real child processes (for the demo and the benchmark):
 * one standalone replica, or a cluster on free loopback ports with its own
 * config_master.json in a scratch directory.
 */
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../config.ts";

/** How long a replica may take from spawn to its "serving" log line. */
export const replicaStartTimeoutMs = 15_000;
const replicaScript = join(projectRoot, "src/tools/replica.ts");

export interface ReplicaChild {
  id: number;
  address: string;
  port: number;
  dataDir: string;
  process: Subprocess<"ignore", "ignore", "pipe">;
}

/** A port that was free a moment ago (bind to 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Spawns one replica and waits for its "serving address=" line. */
export async function spawnReplica(id: number, dataDir: string, args: string[], secret: string): Promise<ReplicaChild> {
  const child = Bun.spawn([process.execPath, replicaScript, "--server_id", String(id), "--data_dir", dataDir, ...args], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    env: { ...process.env, CHAT_CLUSTER_SECRET: secret, NO_COLOR: "1" },
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
      const logFile = Bun.file(join(dataDir, "..", `replica-${id}.log`)).writer();
      logFile.write(text);
      void (async () => {
        // Keep draining so the replica never blocks on its log; keep the log beside its data.
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) logFile.write(chunk.value);
        await logFile.end();
      })();
      const address = match[1]!;
      return { id, address, port: Number(address.split(":").pop()), dataDir, process: child };
    }
  }
  child.kill("SIGKILL");
  throw new Error(`replica ${id} did not start:\n${text}`);
}

export class LocalCluster {
  readonly replicas = new Map<number, ReplicaChild>();

  private constructor(
    readonly directory: string,
    private readonly configMaster: string,
    private readonly secret: string,
  ) {}

  private instances: { id: number; host: string; port: number }[] = [];

  /** Starts `size` replicas (1 = standalone) on free ports. */
  static async start(size: number, secret: string): Promise<LocalCluster> {
    const cluster = await LocalCluster.create(size, secret);
    await cluster.startAll();
    return cluster;
  }

  /** Lays out the scratch directory and config_master.json without starting anything (to seed data first). */
  static async create(size: number, secret: string): Promise<LocalCluster> {
    const directory = mkdtempSync(join(tmpdir(), "chat-cluster-"));
    const configMaster = join(directory, "config_master.json");
    const cluster = new LocalCluster(directory, configMaster, secret);
    for (let id = 1; id <= size; id++) cluster.instances.push({ id, host: "127.0.0.1", port: await freePort() });
    writeFileSync(configMaster, JSON.stringify({ instances: cluster.instances }, null, 2));
    return cluster;
  }

  /** The initial voters, as config_master.json lists them. */
  get members(): { id: number; address: string }[] {
    return this.instances.map(({ id, host, port }) => ({ id, address: `${host}:${port}` }));
  }

  dataDir(id: number): string {
    return join(this.directory, `replica-${id}`);
  }

  async startAll(): Promise<void> {
    try {
      await Promise.all(this.instances.map((instance) => this.startReplica(instance.id, instance.port, this.instances.length)));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Starts a new server that joins the running cluster through the current replicas. */
  async join(id: number): Promise<ReplicaChild> {
    const args = ["--join", "true", "--server_port", String(await freePort()), "--peers", this.addresses.join(",")];
    const replica = await spawnReplica(id, this.dataDir(id), args, this.secret);
    this.replicas.set(id, replica);
    return replica;
  }

  get addresses(): string[] {
    return [...this.replicas.values()].map((replica) => replica.address);
  }

  async startReplica(id: number, port: number, size = this.replicas.size): Promise<ReplicaChild> {
    const args =
      size === 1
        ? ["--standalone", "--server_port", String(port)]
        : ["--config_master", this.configMaster, "--initial_leader", String(id === 1)];
    const replica = await spawnReplica(id, this.dataDir(id), args, this.secret);
    this.replicas.set(id, replica);
    return replica;
  }

  async kill(id: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const replica = this.replicas.get(id);
    if (!replica) return;
    replica.process.kill(signal);
    await replica.process.exited;
  }

  /** Stops every replica and deletes the scratch directory (kept, with the logs, when CHAT_KEEP_CLUSTER=1). */
  async stop(): Promise<void> {
    for (const replica of this.replicas.values()) replica.process.kill("SIGTERM");
    await Promise.all([...this.replicas.values()].map((replica) => replica.process.exited));
    if (process.env.CHAT_KEEP_CLUSTER === "1") console.log(`kept ${this.directory} (data and replica logs)`);
    else rmSync(this.directory, { recursive: true, force: true });
  }
}
