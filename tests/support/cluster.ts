/**
 * A cluster of real replica processes for tests, on free loopback ports with
 * its own config_master.json and data directories in a scratch directory:
 * find the leader, kill, pause, resume and restart replicas by id, read each
 * one's projection from its chat.db, and wait until all agree.
 * It can also run with its own config.json copy (small snapshot bounds),
 * start a server that joins at runtime, run the admin command, and wait
 * until the membership in the log lists (or no longer lists) a server.
 * `cleanup()` kills and awaits every process and deletes the scratch
 * directory, so a failing test leaks nothing.
 */
import { Database } from "bun:sqlite";
import * as grpc from "@grpc/grpc-js";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectionHash } from "../../src/projections/hash.ts";
import { clusterSecretKey } from "../../src/rpc/cluster-secret.ts";
import type { AdminServiceClient } from "../../src/rpc/generated/chat/AdminService.ts";
import type { StatusReply__Output } from "../../src/rpc/generated/chat/StatusReply.ts";
import { channelOptions, chatProto } from "../../src/rpc/proto.ts";
import { leaderAddressKey } from "../../src/rpc/status.ts";
import type { GetLeaderInfoReply__Output } from "../../src/rpc/generated/chat/GetLeaderInfoReply.ts";
import { databaseFileName } from "../../src/replica.ts";
import { freePort } from "../../src/tools/replica-process.ts";
import { ProcessGroup, processExitMsMax, processSecret, repositoryRoot, waitUntilServing, type ReplicaProcess } from "./process.ts";
import { rawStub } from "./raw-client.ts";
import { temporaryDirectory, waitFor } from "./replica.ts";

/** How long a cluster may take to agree on a leader (start, or after a fault): many election timeouts. */
export const leaderAgreedMsMax = 10_000;
/** How long replicas may take to reach the same applied index and projection. */
export const convergedMsMax = 15_000;
/** Deadline of one GetLeaderInfo: a stopped replica must not hold up the poll. */
const leaderInfoCallMs = 500;
/** How long a reader waits on a lock a running replica holds (checkpoint, WAL recovery). */
const readerBusyTimeoutMs = 5000;
/** How long one admin command (a subprocess) may take; a removal waits for a commit or an election. */
export const adminCommandMsMax = 15_000;
/** Deadline of one AdminService call made by the harness itself. */
const adminCallMs = 2000;
/** How long a membership change may take to reach every replica's log. */
export const membershipMsMax = 15_000;
export const adminScript = join(repositoryRoot, "src", "tools", "admin.ts");

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

/** What `start` may change from the defaults. */
export interface ClusterOptions {
  /**
   * Writes a copy of the repository's config.json into the scratch directory
   * with these snapshot bounds and starts every replica with `--config` it.
   */
  snapshot?: { afterEntries: number; tailEntries: number };
}

/** What a subprocess of the admin command printed, and its exit code. */
export interface AdminResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface StoredMessage {
  id: number;
  sender: string;
  recipient: string;
  text: string;
}

export interface Projection {
  appliedIndex: number;
  hash: string;
  messages: StoredMessage[];
}

export interface LeaderView {
  id: number;
  address: string;
  term: number;
}

/** Distinct free ports (a port handed out twice in a row is asked for again). */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count && tries < count * 10; tries++) ports.add(await freePort());
  if (ports.size < count) throw new Error(`found only ${ports.size} of ${count} free ports`);
  return [...ports];
}

export class TestCluster {
  private readonly processes = new ProcessGroup();
  private readonly stubs = new Map<number, ReturnType<typeof rawStub>>();
  /** Admin subprocesses still running, killed by `cleanup`. */
  private readonly adminChildren = new Set<import("bun").Subprocess>();

  private constructor(
    readonly members: Map<number, ClusterMember>,
    private readonly configMaster: string,
    private readonly scratch: { path: string; remove(): void },
    /** The config.json copy every replica gets with `--config`, if `start` wrote one. */
    readonly configFile: string | null,
  ) {}

  /**
   * Starts `size` replicas (ids 1..size, id 1 the initial leader) and waits until they agree on a leader.
   * A port `freePorts` handed out can be taken before the replica binds it (an outgoing connection's
   * ephemeral port): then the whole start is tried again on other ports.
   */
  static async start(size: number, options: ClusterOptions = {}): Promise<TestCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await TestCluster.startOnce(size, options);
      } catch (error) {
        if (attempt >= portAttemptsMax || !isPortTaken(error)) throw error;
      }
    }
  }

  private static async startOnce(size: number, options: ClusterOptions): Promise<TestCluster> {
    const scratch = temporaryDirectory("chat-cluster-");
    const ports = await freePorts(size);
    const instances = ports.map((port, offset) => ({ id: offset + 1, host: "127.0.0.1", port }));
    const configMaster = join(scratch.path, "config_master.json");
    writeFileSync(configMaster, JSON.stringify({ instances }, null, 2));
    let configFile: string | null = null;
    if (options.snapshot) {
      const config = JSON.parse(readFileSync(join(repositoryRoot, "config.json"), "utf8")) as Record<string, unknown>;
      config.snapshot_after_entries = options.snapshot.afterEntries;
      config.snapshot_tail_entries = options.snapshot.tailEntries;
      configFile = join(scratch.path, "config.json");
      writeFileSync(configFile, JSON.stringify(config, null, 2));
    }
    const members = new Map<number, ClusterMember>();
    const cluster = new TestCluster(members, configMaster, scratch, configFile);
    try {
      for (const { id, port } of instances) {
        const dataDir = join(scratch.path, `replica-${id}`);
        const address = `127.0.0.1:${port}`;
        members.set(id, { id, port, address, dataDir, state: "running", process: cluster.spawn(id, dataDir) });
      }
      await Promise.all([...members.values()].map((member) => waitUntilServing(member.process)));
      await cluster.leader();
      return cluster;
    } catch (error) {
      await cluster.cleanup();
      throw error;
    }
  }

  member(id: number): ClusterMember {
    const member = this.members.get(id);
    if (!member) throw new Error(`no replica ${id} in this cluster`);
    return member;
  }

  /** Every replica's address (removed ones excepted), for a client that fails over. */
  addresses(): string[] {
    return this.inCluster().map((member) => member.address);
  }

  /** The ids of every member not removed. */
  ids(): number[] {
    return this.inCluster().map((member) => member.id);
  }

  /** Members not removed from the membership, whatever their process state. */
  inCluster(): ClusterMember[] {
    return [...this.members.values()].filter((member) => !member.removed);
  }

  /** Running members that are still in the membership (a removed server's process is not counted). */
  running(): ClusterMember[] {
    return this.inCluster().filter((member) => member.state === "running");
  }

  /** GetLeaderInfo of one replica, straight to it (no redirect, no retry); null when it does not answer. */
  leaderInfo(id: number): Promise<GetLeaderInfoReply__Output | null> {
    let stub = this.stubs.get(id);
    if (!stub) this.stubs.set(id, (stub = rawStub(this.member(id).address)));
    return new Promise((resolve) => {
      stub.GetLeaderInfo({}, { deadline: Date.now() + leaderInfoCallMs }, (error: grpc.ServiceError | null, reply) =>
        resolve(error || !reply ? null : reply),
      );
    });
  }

  /**
   * Polls every running replica until a majority of the whole cluster name
   * the same leader in the same term and that leader, running, says so
   * itself. `excluding` ids are never accepted as the leader.
   */
  async leader(options: { excluding?: number[]; timeoutMs?: number } = {}): Promise<LeaderView> {
    const majority = Math.floor(this.inCluster().length / 2) + 1;
    let found: LeaderView | null = null;
    await waitFor(
      async () => {
        const replies = await Promise.all(this.running().map((member) => this.leaderInfo(member.id)));
        found = agreedLeader(replies, majority);
        return found !== null && !(options.excluding ?? []).includes(found.id);
      },
      options.timeoutMs ?? leaderAgreedMsMax,
      `a majority to agree on a leader${options.excluding?.length ? ` other than ${options.excluding.join(", ")}` : ""}`,
    );
    return found!;
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(id: number, signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
    const member = this.member(id);
    if (member.state === "paused") member.process.signal("SIGCONT");
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

  /** Starts an exited replica again on the same data dir and port. */
  async restart(id: number): Promise<void> {
    const member = this.member(id);
    if (member.state !== "exited") throw new Error(`replica ${id} is ${member.state}; stop it first`);
    member.process = this.spawn(id, member.dataDir);
    member.state = "running";
    await waitUntilServing(member.process);
  }

  /** Reads replica `id`'s chat tables from its database file (read-only; safe while it runs). */
  projection(id: number): Projection {
    const db = new Database(join(this.member(id).dataDir, databaseFileName), { readonly: true });
    try {
      db.exec(`PRAGMA busy_timeout = ${readerBusyTimeoutMs}`);
      // One read transaction: the index, hash and messages come from the same snapshot.
      return db.transaction(() => {
        const row = db.query("SELECT applied_index AS appliedIndex FROM applied_state WHERE id = 1").get() as
          | { appliedIndex: number }
          | null;
        const messages = db.query("SELECT id, sender, recipient, text FROM messages ORDER BY id").all() as StoredMessage[];
        return { appliedIndex: row?.appliedIndex ?? 0, hash: projectionHash(db), messages };
      })();
    } finally {
      db.close();
    }
  }

  /** Waits until every running replica (or those in `ids`) has the same applied index and projection hash. */
  async converged(ids: number[] = this.running().map((member) => member.id), timeoutMs = convergedMsMax): Promise<Projection> {
    let last: Map<number, Projection> = new Map();
    try {
      await waitFor(
        () => {
          last = new Map(ids.map((id) => [id, this.projection(id)]));
          const first = last.get(ids[0]!)!;
          return [...last.values()].every((p) => p.appliedIndex === first.appliedIndex && p.hash === first.hash);
        },
        timeoutMs,
        `replicas ${ids.join(", ")} to converge`,
      );
    } catch (error) {
      const state = [...last].map(([id, p]) => `replica ${id}: applied ${p.appliedIndex} hash ${p.hash.slice(0, 12)}`);
      throw new Error(`${(error as Error).message} (${state.join("; ")})`);
    }
    return last.get(ids[0]!)!;
  }

  /**
   * Starts server `id` with `--join true` on a free port and a fresh data
   * dir, asking the running members (`--peers`) for the leader, and waits
   * until it serves. It becomes a member here at once; whether the cluster
   * has taken it in is for `membershipLists` to wait for.
   */
  async join(id: number): Promise<ClusterMember> {
    if (this.members.has(id)) throw new Error(`replica ${id} is already in this cluster`);
    const peers = this.running().map((member) => member.address);
    const dataDir = join(this.scratch.path, `replica-${id}`);
    for (let attempt = 1; ; attempt++) {
      const port = (await freePorts(1))[0]!;
      const member: ClusterMember = {
        id,
        port,
        address: `127.0.0.1:${port}`,
        dataDir,
        state: "running",
        joined: true,
        process: this.spawnJoiner(id, port, dataDir, peers),
      };
      try {
        await waitUntilServing(member.process);
        this.members.set(id, member);
        return member;
      } catch (error) {
        // It binds before it asks to join: a start that failed to bind left nothing behind in the cluster.
        if (attempt >= portAttemptsMax || !isPortTaken(error)) {
          await member.process.kill("SIGKILL");
          throw error;
        }
      }
    }
  }

  /** Stops counting `id` as a member (after the cluster removed it); its process is left as it is. */
  markRemoved(id: number): void {
    this.member(id).removed = true;
    this.stubs.get(id)?.close();
    this.stubs.delete(id);
  }

  /**
   * Runs `bun src/tools/admin.ts --server <addresses> ...args` with the
   * cluster secret and resolves with its output once it exits (killed after
   * `timeoutMs`).
   */
  async admin(args: string[], timeoutMs = adminCommandMsMax): Promise<AdminResult> {
    const child = Bun.spawn([process.execPath, adminScript, "--server", this.addresses().join(","), ...args], {
      cwd: repositoryRoot,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1", CHAT_CLUSTER_SECRET: processSecret },
    });
    this.adminChildren.add(child);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    try {
      const [stdout, stderr, code] = await Promise.all([
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
        child.exited,
      ]);
      if (child.signalCode === "SIGKILL") throw new Error(`admin ${args.join(" ")} timed out after ${timeoutMs} ms:\n${stdout}${stderr}`);
      return { code, stdout, stderr };
    } finally {
      clearTimeout(timer);
      this.adminChildren.delete(child);
    }
  }

  /**
   * AdminService.Status straight over gRPC (with the cluster secret),
   * following the leader redirect; null when no running member answers.
   */
  async status(): Promise<StatusReply__Output | null> {
    const queue = this.running().map((member) => member.address);
    for (let attempt = 0; attempt < queue.length + 2 && queue.length > 0; attempt++) {
      const address = queue.shift()!;
      const stub = new chatProto.chat.AdminService(address, grpc.credentials.createInsecure(), channelOptions) as AdminServiceClient;
      const metadata = new grpc.Metadata();
      metadata.set(clusterSecretKey, processSecret);
      try {
        return await new Promise<StatusReply__Output>((resolve, reject) =>
          stub.Status({}, metadata, { deadline: Date.now() + adminCallMs }, (error, reply) => (error ? reject(error) : resolve(reply!))),
        );
      } catch (error) {
        const leader = (error as grpc.ServiceError).metadata?.get(leaderAddressKey)[0];
        if (leader) queue.unshift(String(leader));
      } finally {
        stub.close();
      }
    }
    return null;
  }

  /**
   * Waits until GetLeaderInfo (the membership in the log) of every running
   * member in `on` (default: every running member) lists server `id`
   * (`present` true) or does not (`present` false).
   */
  async membershipLists(id: number, present: boolean, options: { on?: number[]; timeoutMs?: number } = {}): Promise<void> {
    const on = options.on ?? this.running().map((member) => member.id);
    let seen = "";
    try {
      await waitFor(
        async () => {
          const replies = await Promise.all(on.map((replica) => this.leaderInfo(replica)));
          seen = replies.map((reply, at) => `${on[at]}: [${reply?.replicas.map((r) => r.id).join(",") ?? "no answer"}]`).join("; ");
          return replies.every((reply) => reply !== null && reply.replicas.some((replica) => replica.id === id) === present);
        },
        options.timeoutMs ?? membershipMsMax,
        `replicas ${on.join(", ")} to ${present ? "list" : "no longer list"} server ${id}`,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message} (${seen})`);
    }
  }

  /** Waits until the leader's Status says `id` is a member with `role` ("voter" or "learner"). */
  async roleBecomes(id: number, role: string, timeoutMs = membershipMsMax): Promise<StatusReply__Output> {
    let status: StatusReply__Output | null = null;
    await waitFor(
      async () => {
        status = await this.status();
        return status?.replicas.some((replica) => replica.id === id && replica.role === role) ?? false;
      },
      timeoutMs,
      `server ${id} to be a ${role}`,
    );
    return status!;
  }

  /** The log lines of replica `id`'s current process. */
  log(id: number): string {
    return this.member(id).process.stderr.text();
  }

  /** Kills (resuming the paused first) and awaits every process, then deletes the data. */
  async cleanup(): Promise<void> {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
    for (const child of this.adminChildren) child.kill("SIGKILL");
    await Promise.all(
      [...this.adminChildren].map((child) =>
        Promise.race([child.exited, Bun.sleep(processExitMsMax)]),
      ),
    );
    await this.processes.cleanup();
    for (const member of this.members.values()) member.state = "exited";
    this.scratch.remove();
  }

  private spawn(id: number, dataDir: string): ReplicaProcess {
    const member = this.members.get(id);
    if (member?.joined) return this.spawnJoiner(id, member.port, dataDir, this.running().filter((m) => m.id !== id).map((m) => m.address));
    const args = ["--server_id", String(id), "--data_dir", dataDir, "--config_master", this.configMaster];
    if (this.configFile) args.push("--config", this.configFile);
    if (id === 1) args.push("--initial_leader", "true");
    return this.processes.spawnReplicaWithArgs(args, dataDir);
  }

  /** A server outside config_master.json: `--join true` (ignored by a replica that already has state). */
  private spawnJoiner(id: number, port: number, dataDir: string, peers: string[]): ReplicaProcess {
    const args = ["--server_id", String(id), "--join", "true", "--server_port", String(port), "--data_dir", dataDir];
    args.push("--peers", peers.join(","));
    if (this.configFile) args.push("--config", this.configFile);
    return this.processes.spawnReplicaWithArgs(args, dataDir);
  }
}

/** Starts tried on fresh ports when a port was taken between `freePorts` and the bind. */
const portAttemptsMax = 3;

function isPortTaken(error: unknown): boolean {
  return error instanceof Error && error.message.includes("EADDRINUSE");
}

/** The leader of the highest term that at least `majority` replies name, if it also names itself. */
function agreedLeader(replies: (GetLeaderInfoReply__Output | null)[], majority: number): LeaderView | null {
  const answered = replies.filter((reply): reply is GetLeaderInfoReply__Output => reply !== null && reply.leaderId !== 0);
  let best: LeaderView | null = null;
  for (const reply of answered) {
    const term = Number(reply.term);
    const agreeing = answered.filter((other) => other.leaderId === reply.leaderId && Number(other.term) === term);
    const selfConfirmed = agreeing.some((other) => other.replyingId === reply.leaderId);
    if (agreeing.length < majority || !selfConfirmed) continue;
    if (!best || term > best.term) best = { id: reply.leaderId, address: reply.leaderAddress, term };
  }
  return best;
}
