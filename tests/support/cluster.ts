/**
 * The test harness's view of a cluster of real replica processes
 * (ReplicaCluster: scratch layout, start, kill, pause, resume, restart,
 * join): find the leader, read each replica's projection from its chat.db,
 * wait until all agree, run the admin command, ask AdminService.Status, and
 * wait until the membership in the log lists (or no longer lists) a server.
 * `cleanup()` kills and awaits every process and deletes the scratch
 * directory, so a failing test leaks nothing.
 */
import { Database } from "bun:sqlite";
import * as grpc from "@grpc/grpc-js";
import { join } from "node:path";
import { projectionHash } from "../../src/projections/hash.ts";
import { deriveClusterKeys } from "../../src/keys.ts";
import { clusterKeyHeader } from "../../src/rpc/cluster-secret.ts";
import type { AdminServiceClient } from "../../src/rpc/generated/chat/AdminService.ts";
import type { StatusReply__Output } from "../../src/rpc/generated/chat/StatusReply.ts";
import { chatProto } from "../../src/rpc/proto.ts";
import { channelSecurity } from "../../src/rpc/tls.ts";
import { leaderAddressKey } from "../../src/rpc/status.ts";
import type { GetLeaderInfoReply__Output } from "../../src/rpc/generated/chat/GetLeaderInfoReply.ts";
import { databaseFileName } from "../../src/replica.ts";
import { projectRoot } from "../../src/config.ts";
import { ProcessGroup } from "../../src/tools/processes/process-group.ts";
import { ReplicaCluster, type ReplicaClusterOptions } from "../../src/tools/processes/replica-cluster.ts";
import { spawnScript } from "../../src/tools/processes/script-process.ts";
import { rawStub } from "./raw-client.ts";
import { waitFor } from "./replica.ts";

export type { ClusterMember, ReplicaState } from "../../src/tools/processes/replica-cluster.ts";
/** What `start` may change from the defaults: the secret, and config.json keys (small snapshot bounds, say). */
export type ClusterOptions = ReplicaClusterOptions;

/** How long a cluster may take to agree on a leader (start, or after a fault): many election timeouts, on a loaded machine. */
export const leaderAgreedMsMax = 20_000;
/** How long replicas may take to reach the same applied index and projection. */
export const convergedMsMax = 30_000;
/** Deadline of one GetLeaderInfo: a stopped replica must not hold up the poll. */
const leaderInfoCallMs = 500;
/** How long a reader waits on a lock a running replica holds (checkpoint, WAL recovery). */
const readerBusyTimeoutMs = 5000;
/** How long one admin command (a subprocess) may take; a removal waits for a commit or an election. */
export const adminCommandMsMax = 30_000;
/** Deadline of one AdminService call made by the harness itself. */
const adminCallMs = 2000;
/** How long a membership change may take to reach every replica's log. */
export const membershipMsMax = 30_000;
export const adminScript = join(projectRoot, "src", "tools", "admin.ts");

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

export class TestCluster extends ReplicaCluster {
  private readonly stubs = new Map<number, ReturnType<typeof rawStub>>();
  /** Admin subprocesses still running, killed by `cleanup`. */
  private readonly adminProcesses = new ProcessGroup();

  /** `TestCluster.start(size, options)` returns once the replicas serve and agree on a leader. */
  protected override async started(): Promise<void> {
    await this.leader();
  }

  /** GetLeaderInfo of one replica, straight to it (no redirect, no retry); null when it does not answer. */
  leaderInfo(id: number): Promise<GetLeaderInfoReply__Output | null> {
    const stub = this.stubs.get(id) ?? rawStub(this.member(id).address, this.clientTls());
    this.stubs.set(id, stub);
    return new Promise((resolve) => {
      stub.GetLeaderInfo({}, { deadline: Date.now() + leaderInfoCallMs }, (error: grpc.ServiceError | null, reply) => resolve(error || !reply ? null : reply));
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

  /** Reads replica `id`'s chat tables from its database file (read-only; safe while it runs). */
  projection(id: number): Projection {
    const db = new Database(join(this.member(id).dataDir, databaseFileName), { readonly: true });
    try {
      db.exec(`PRAGMA busy_timeout = ${readerBusyTimeoutMs}`);
      // One read transaction: the index, hash and messages come from the same snapshot.
      return db.transaction(() => {
        const row = db.query("SELECT applied_index AS appliedIndex FROM applied_state WHERE id = 1").get() as { appliedIndex: number } | null;
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

  /** Stops counting `id` as a member (after the cluster removed it); its process is left as it is. */
  override markRemoved(id: number): void {
    super.markRemoved(id);
    this.stubs.get(id)?.close();
    this.stubs.delete(id);
  }

  /**
   * Runs `bun src/tools/admin.ts --server <addresses> ...args` with the
   * cluster secret and resolves with its output once it exits (killed after
   * `timeoutMs`).
   */
  async admin(args: string[], timeoutMs = adminCommandMsMax): Promise<AdminResult> {
    const child = this.adminProcesses.adopt(
      spawnScript(adminScript, ["--server", this.addresses().join(","), ...args], { env: { CHAT_CLUSTER_SECRET: this.secret } }),
    );
    const timer = setTimeout(() => child.signal("SIGKILL"), timeoutMs);
    try {
      const code = await child.finished;
      const [stdout, stderr] = [child.stdout.text(), child.stderr.text()];
      if (child.signalCode === "SIGKILL") throw new Error(`admin ${args.join(" ")} timed out after ${timeoutMs} ms:\n${stdout}${stderr}`);
      return { code, stdout, stderr };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * AdminService.Status straight over gRPC (with the admin key),
   * following the leader redirect; null when no running member answers.
   */
  async status(): Promise<StatusReply__Output | null> {
    const queue = this.running().map((member) => member.address);
    for (let attempt = 0; attempt < queue.length + 2 && queue.length > 0; attempt++) {
      const address = queue.shift()!;
      const { credentials, options } = channelSecurity(this.clientTls(), address);
      const stub = new chatProto.chat.AdminService(address, credentials, options) as AdminServiceClient;
      const metadata = new grpc.Metadata();
      metadata.set(clusterKeyHeader, deriveClusterKeys(this.secret).admin);
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

  /** Closes the harness's channels and ends its admin commands too (also when a start fails). */
  override async stop(signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<void> {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
    await this.adminProcesses.killAll();
    await super.stop(signal);
  }

  /** Kills (resuming the paused first) and awaits every process, then deletes the data. */
  async cleanup(): Promise<void> {
    await this.stop("SIGKILL");
  }
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
