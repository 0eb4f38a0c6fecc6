/**
 * A cluster of replica processes on this machine, addressed by server id:
 * started from a scratch layout (id 1 the initial leader), joined at
 * runtime, killed, paused, resumed and restarted. Every process it starts
 * is ended by `stop`, which also deletes the scratch directory. The demo,
 * the benchmark and the test harness (tests/support/cluster.ts) use it.
 */
import { shutdownGraceMs } from "../../replica.ts";
import { ClusterLayout } from "./cluster-layout.ts";
import { freePorts, isPortTaken } from "./free-port.ts";
import { ProcessGroup } from "./process-group.ts";
import { spawnReplica, type ReplicaProcess } from "./replica-process.ts";

/** A replica's own graceful stop takes up to shutdownGraceMs; after this much longer it is SIGKILLed. */
export const replicaStopGraceMs = shutdownGraceMs + 3000;
/** Starts tried on fresh ports when a port was taken between choosing it and the replica's bind. */
const portAttemptsMax = 3;

export type ReplicaState = "running" | "paused" | "exited";

export interface ClusterMember {
  id: number;
  port: number;
  address: string;
  dataDir: string;
  state: ReplicaState;
  /** The current process; replaced by `restart`. */
  process: ReplicaProcess;
  /** Started with `--join true` (not in config_master.json). */
  joined?: boolean;
  /** Taken out of the membership (`markRemoved`): its process may still run, but it is no longer counted. */
  removed?: boolean;
}

/** The secret of a scratch cluster unless its owner names one: development only, like config.json's. */
export const scratchClusterSecret = "scratch-cluster-secret-0123456789";

export interface ReplicaClusterOptions {
  /** The cluster secret every replica gets (CHAT_CLUSTER_SECRET); default scratchClusterSecret. */
  secret?: string;
  /** Keys of config.json to change: every replica then starts with `--config` a changed copy. */
  config?: Record<string, unknown>;
  /** TLS between clients and replicas, mutual TLS between replicas, with a scratch CA (`clientTls()` for clients). */
  tls?: boolean;
}

export class ReplicaCluster {
  readonly members = new Map<number, ClusterMember>();
  private readonly processes = new ProcessGroup();

  constructor(
    readonly layout: ClusterLayout,
    readonly secret: string,
  ) {}

  /** Lays out the scratch directory without starting anything (to seed data first); `startAll` starts it. */
  static async create<Cluster extends ReplicaCluster>(
    this: new (
      layout: ClusterLayout,
      secret: string,
    ) => Cluster,
    size: number,
    options: ReplicaClusterOptions = {},
  ): Promise<Cluster> {
    return new this(await ClusterLayout.create(size, options.config, options.tls), options.secret ?? scratchClusterSecret);
  }

  /**
   * Starts `size` replicas (ids 1..size) and waits until each serves. A port
   * chosen for config_master.json can be taken before the replica binds it
   * (another process's outgoing connection): then the whole start is tried
   * again on other ports.
   */
  static async start<Cluster extends ReplicaCluster>(
    this: new (
      layout: ClusterLayout,
      secret: string,
    ) => Cluster,
    size: number,
    options: ReplicaClusterOptions = {},
  ): Promise<Cluster> {
    for (let attempt = 1; ; attempt++) {
      const cluster = new this(await ClusterLayout.create(size, options.config, options.tls), options.secret ?? scratchClusterSecret);
      try {
        await cluster.startAll();
        return cluster;
      } catch (error) {
        if (attempt >= portAttemptsMax || !isPortTaken(error)) throw error;
      }
    }
  }

  /** The CA and a client certificate signed by it, for clients and admin calls; null when the cluster runs plain text. */
  clientTls() {
    return this.layout.clientTls();
  }

  /** The founding voters, as config_master.json lists them. */
  get founders(): { id: number; address: string }[] {
    return this.layout.instances.map(({ id, host, port }) => ({ id, address: `${host}:${port}` }));
  }

  /** Starts every founding voter and waits until each serves (and `started` holds); stops them all if any fails. */
  async startAll(): Promise<void> {
    try {
      for (const { id, host, port } of this.layout.instances) {
        const dataDir = this.layout.dataDir(id);
        const process = this.spawn(id, dataDir);
        this.members.set(id, { id, port, address: `${host}:${port}`, dataDir, state: "running", process });
      }
      await Promise.all([...this.members.values()].map((member) => member.process.untilServing()));
      await this.started();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** What a cluster must also reach before `startAll` returns (a subclass waits for a leader, say). */
  protected async started(): Promise<void> {}

  member(id: number): ClusterMember {
    const member = this.members.get(id);
    if (!member) throw new Error(`no replica ${id} in this cluster`);
    return member;
  }

  /** Members not removed from the membership, whatever their process state. */
  inCluster(): ClusterMember[] {
    return [...this.members.values()].filter((member) => !member.removed);
  }

  /** Running members that are still in the membership (a removed server's process is not counted). */
  running(): ClusterMember[] {
    return this.inCluster().filter((member) => member.state === "running");
  }

  /** Every replica's address (removed ones excepted), for a client that fails over. */
  addresses(): string[] {
    return this.inCluster().map((member) => member.address);
  }

  /** The ids of every member not removed. */
  ids(): number[] {
    return this.inCluster().map((member) => member.id);
  }

  /** The output of replica `id`'s current process. */
  log(id: number): string {
    return this.member(id).process.stderr.text();
  }

  /** Sends `signal` (resuming a paused replica first) and waits for the process to exit. */
  async kill(id: number, signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
    const member = this.member(id);
    const code = await member.process.kill(signal);
    member.state = "exited";
    return code;
  }

  /** SIGSTOP: the process stays, silent, holding its port. */
  pause(id: number): void {
    const member = this.member(id);
    member.process.signal("SIGSTOP");
    member.state = "paused";
  }

  resume(id: number): void {
    const member = this.member(id);
    member.process.signal("SIGCONT");
    member.state = "running";
  }

  /** Starts an exited replica again on the same data dir and port, and waits until it serves. */
  async restart(id: number): Promise<ClusterMember> {
    const member = this.member(id);
    if (member.state !== "exited") throw new Error(`replica ${id} is ${member.state}; stop it first`);
    member.process = this.spawn(id, member.dataDir);
    member.state = "running";
    await member.process.untilServing();
    return member;
  }

  /**
   * Starts server `id` with `--join true` on a free port and a fresh data
   * dir, asking the running members (`--peers`) for the leader, and waits
   * until it serves. It is a member here at once; whether the cluster has
   * taken it in is for the caller to find out.
   */
  async join(id: number): Promise<ClusterMember> {
    if (this.members.has(id)) throw new Error(`replica ${id} is already in this cluster`);
    const peers = this.running().map((member) => member.address);
    const dataDir = this.layout.dataDir(id);
    for (let attempt = 1; ; attempt++) {
      const port = (await freePorts(1))[0]!;
      const process = this.spawnJoiner(id, port, dataDir, peers);
      try {
        await process.untilServing();
        const member: ClusterMember = { id, port, address: `127.0.0.1:${port}`, dataDir, state: "running", process, joined: true };
        this.members.set(id, member);
        return member;
      } catch (error) {
        await process.kill("SIGKILL");
        // It binds before it asks to join: a start that failed to bind left nothing behind in the cluster.
        if (attempt >= portAttemptsMax || !isPortTaken(error)) throw error;
      }
    }
  }

  /** Stops counting `id` as a member (after the cluster removed it); its process is left as it is. */
  markRemoved(id: number): void {
    this.member(id).removed = true;
  }

  /**
   * Ends every process this cluster started and deletes the scratch
   * directory (see ClusterLayout.remove). "SIGKILL" (tests: nothing to
   * wait for) or "SIGTERM" (a clean stop, SIGKILL after replicaStopGraceMs).
   */
  async stop(signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<void> {
    if (signal === "SIGTERM") await this.processes.stopAll(replicaStopGraceMs);
    else await this.processes.killAll();
    for (const member of this.members.values()) member.state = "exited";
    this.layout.remove();
  }

  private spawn(id: number, dataDir: string): ReplicaProcess {
    const member = this.members.get(id);
    if (member?.joined) {
      const peers = this.running()
        .filter((other) => other.id !== id)
        .map((other) => other.address);
      return this.spawnJoiner(id, member.port, dataDir, peers);
    }
    const args = ["--server_id", String(id), "--data_dir", dataDir, "--config_master", this.layout.configMaster];
    if (id === 1) args.push("--initial_leader", "true");
    return this.spawnWith(id, dataDir, args);
  }

  /** A server outside config_master.json: `--join true` (ignored by a replica that already has state). */
  private spawnJoiner(id: number, port: number, dataDir: string, peers: string[]): ReplicaProcess {
    const args = ["--server_id", String(id), "--join", "true", "--server_port", String(port), "--data_dir", dataDir];
    args.push("--peers", peers.join(","));
    return this.spawnWith(id, dataDir, args);
  }

  private spawnWith(id: number, dataDir: string, args: string[]): ReplicaProcess {
    if (this.layout.configFile) args.push("--config", this.layout.configFile);
    args.push(...this.layout.tlsFlags(id));
    return this.processes.adopt(spawnReplica({ args, dataDir, secret: this.secret, logFile: this.layout.logFile(id) }));
  }
}
