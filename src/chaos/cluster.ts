/**
 * The chaos run's replicas: real processes (src/tools/processes), one per
 * server slot. Slots 1..N found the cluster; the spare slots join at
 * runtime. Every slot's port is chosen up front, so that every replica can
 * be told from its start (CHAT_TEST_PEER_ROUTES) which fault proxy leads to
 * each other slot, and each replica reads its wall-clock skew from a file of
 * its own (CHAT_TEST_CLOCK_SKEW_FILE) that the nemesis rewrites.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ClusterLayout } from "../tools/processes/cluster-layout.ts";
import { freePorts } from "../tools/processes/free-port.ts";
import { ProcessGroup } from "../tools/processes/process-group.ts";
import { spawnReplica, type ReplicaProcess } from "../tools/processes/replica-process.ts";
import { peerRoutesVariable } from "../rpc/peer-routes.ts";
import { clockSkewFileVariable } from "../wall-clock.ts";
import type { ChaosNetwork } from "./network.ts";

/**
 * config.json changes for a chaos cluster: cheap password hashing (many
 * logins on two shared cores); no compaction within a run, so that each
 * replica's whole log can be replayed and compared with its tables; and
 * sessions that end after a day and a half unused, so that the nemesis's
 * clock jumps of two days end sessions on the leader that jumped.
 */
export const chaosConfig = {
  password_hashing: { memory_cost: 64, time_cost: 1 },
  snapshot_after_entries: 10_000_000,
  session_idle_ms: 36 * 60 * 60 * 1000,
};
/** The cluster secret of a chaos run (loopback only, like every scratch cluster's). */
export const chaosSecret = "chaos-cluster-secret-0123456789";

/**
 * absent: a spare not started yet; running, paused (SIGSTOP), down (killed
 * or stopped, to be restarted); removed: taken out of the membership.
 */
export type SlotState = "absent" | "running" | "paused" | "down" | "removed";

export interface Slot {
  id: number;
  port: number;
  address: string;
  founder: boolean;
  state: SlotState;
  process: ReplicaProcess | null;
  /** The file this replica's wall-clock skew is read from. */
  skewFile: string;
  skewMs: number;
  /** Set before the run ends this slot's process itself; an exit without it is the replica's own doing. */
  expectingExit: boolean;
}

export class ChaosCluster {
  readonly slots = new Map<number, Slot>();
  /** Replicas that exited with a non-zero status when nothing asked them to (a fatal check, a crash). */
  private readonly selfExits: string[] = [];
  private readonly processes = new ProcessGroup();
  network: ChaosNetwork | null = null;

  private constructor(readonly layout: ClusterLayout) {}

  /** Lays out `founders` voters and `spares` slots on free ports; nothing runs yet. */
  static async create(founders: number, spares: number): Promise<ChaosCluster> {
    const layout = await ClusterLayout.create(founders, chaosConfig);
    const cluster = new ChaosCluster(layout);
    const sparePorts = await freePorts(spares + founders);
    const taken = new Set(layout.instances.map((instance) => instance.port));
    const freeSpares = sparePorts.filter((port) => !taken.has(port)).slice(0, spares);
    const ports = [...layout.instances.map((instance) => instance.port), ...freeSpares];
    ports.forEach((port, offset) => {
      const id = offset + 1;
      const skewFile = join(layout.directory, `clock-skew-${id}`);
      writeFileSync(skewFile, "0");
      cluster.slots.set(id, {
        id,
        port,
        address: `127.0.0.1:${port}`,
        founder: id <= founders,
        state: "absent",
        process: null,
        skewFile,
        skewMs: 0,
        expectingExit: false,
      });
    });
    return cluster;
  }

  /** Each slot's id and real port, for the network of proxies. */
  ports(): Map<number, number> {
    return new Map([...this.slots.values()].map((slot) => [slot.id, slot.port]));
  }

  slot(id: number): Slot {
    const slot = this.slots.get(id);
    if (!slot) throw new Error(`no slot ${id}`);
    return slot;
  }

  /** Slots whose server is (or may still be) in the membership: started and not removed. */
  members(): Slot[] {
    return [...this.slots.values()].filter((slot) => slot.state !== "absent" && slot.state !== "removed");
  }

  /** Members whose process runs (a removed server may have exited by itself before the run knew). */
  running(): Slot[] {
    return this.members().filter((slot) => slot.state === "running" && slot.process?.running());
  }

  unexpectedExits(): string[] {
    return [...this.selfExits];
  }

  /** Starts every founder and waits until each serves. */
  async startFounders(): Promise<void> {
    const founders = [...this.slots.values()].filter((slot) => slot.founder);
    for (const slot of founders) this.spawn(slot);
    await Promise.all(founders.map((slot) => slot.process!.untilServing()));
  }

  /** Starts spare `id` with `--join true`, asking the running members for the leader. */
  async join(id: number): Promise<void> {
    const slot = this.slot(id);
    if (slot.state !== "absent") throw new Error(`slot ${id} is ${slot.state}`);
    this.spawn(slot);
    await slot.process!.untilServing();
  }

  async kill(id: number, signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    const slot = this.slot(id);
    slot.expectingExit = true;
    await slot.process?.kill(signal);
    slot.state = "down";
  }

  pause(id: number): void {
    const slot = this.slot(id);
    slot.process?.signal("SIGSTOP");
    slot.state = "paused";
  }

  resume(id: number): void {
    const slot = this.slot(id);
    slot.process?.signal("SIGCONT");
    slot.state = "running";
  }

  /** Starts a down replica again on its data, with the command that first started it. */
  async restart(id: number): Promise<void> {
    const slot = this.slot(id);
    if (slot.state !== "down") throw new Error(`slot ${id} is ${slot.state}`);
    this.spawn(slot);
    await slot.process!.untilServing();
  }

  /** The server left the membership: its process is ended (a removed replica exits by itself, or is killed here). */
  async markRemoved(id: number): Promise<void> {
    const slot = this.slot(id);
    slot.expectingExit = true;
    await slot.process?.kill("SIGKILL");
    slot.state = "removed";
  }

  /** Sets replica `id`'s wall-clock skew (it rereads the file within src/wall-clock.ts's poll). */
  skewClock(id: number, skewMs: number): void {
    const slot = this.slot(id);
    slot.skewMs = skewMs;
    writeFileSync(slot.skewFile, String(skewMs));
  }

  /** Ends every process (SIGKILL, or SIGTERM with a grace), leaving the data for the final checks. */
  async stopAll(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    for (const slot of this.slots.values()) slot.expectingExit = true;
    if (signal === "SIGTERM") await this.processes.stopAll(5000);
    else await this.processes.killAll();
    for (const slot of this.slots.values()) if (slot.state !== "absent" && slot.state !== "removed") slot.state = "down";
  }

  dataDir(id: number): string {
    return this.layout.dataDir(id);
  }

  logFile(id: number): string {
    return this.layout.logFile(id);
  }

  private spawn(slot: Slot): void {
    const dataDir = this.layout.dataDir(slot.id);
    const args = ["--server_id", String(slot.id), "--data_dir", dataDir, "--config", this.layout.configFile!];
    if (slot.founder) {
      args.push("--config_master", this.layout.configMaster);
      if (slot.id === 1) args.push("--initial_leader", "true");
    } else {
      const peers = [...this.slots.values()].filter((other) => other.id !== slot.id && other.state !== "absent" && other.state !== "removed");
      args.push("--join", "true", "--server_port", String(slot.port), "--peers", peers.map((peer) => peer.address).join(","));
    }
    const env = {
      [peerRoutesVariable]: JSON.stringify(this.network?.peerRoutesOf(slot.id) ?? {}),
      [clockSkewFileVariable]: slot.skewFile,
    };
    const process = this.processes.adopt(spawnReplica({ args, dataDir, secret: chaosSecret, env, logFile: this.layout.logFile(slot.id), keepLines: false }));
    slot.process = process;
    slot.state = "running";
    slot.expectingExit = false;
    void process.finished.then((code) => {
      // Status 0 is a removed server leaving; anything else nobody asked for is a finding.
      if (slot.process === process && !slot.expectingExit && code !== 0)
        this.selfExits.push(`server ${slot.id} (pid ${process.pid}) exited with status ${code} on its own; see ${this.layout.logFile(slot.id)}`);
    });
  }
}
