/**
 * A cluster of real replica processes for tests, on free loopback ports with
 * its own config_master.json and data directories in a scratch directory:
 * find the leader, kill, pause, resume and restart replicas by id, read each
 * one's projection from its chat.db, and wait until all agree.
 * `cleanup()` kills and awaits every process and deletes the scratch
 * directory, so a failing test leaks nothing.
 */
import { Database } from "bun:sqlite";
import * as grpc from "@grpc/grpc-js";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { projectionHash } from "../../src/projections/hash.ts";
import type { GetLeaderInfoReply__Output } from "../../src/rpc/generated/chat/GetLeaderInfoReply.ts";
import { databaseFileName } from "../../src/replica.ts";
import { ProcessGroup, waitUntilServing, type ReplicaProcess } from "./process.ts";
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

export type ReplicaState = "running" | "paused" | "exited";

export interface ClusterMember {
  id: number;
  port: number;
  address: string;
  dataDir: string;
  state: ReplicaState;
  /** The current process; replaced by `restart`. */
  process: ReplicaProcess;
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

/** A port that was free a moment ago: bind to 0, read it, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
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

  private constructor(
    readonly members: Map<number, ClusterMember>,
    private readonly configMaster: string,
    private readonly scratch: { path: string; remove(): void },
  ) {}

  /** Starts `size` replicas (ids 1..size, id 1 the initial leader) and waits until they agree on a leader. */
  static async start(size: number): Promise<TestCluster> {
    const scratch = temporaryDirectory("chat-cluster-");
    const ports = await freePorts(size);
    const instances = ports.map((port, offset) => ({ id: offset + 1, host: "127.0.0.1", port }));
    const configMaster = join(scratch.path, "config_master.json");
    writeFileSync(configMaster, JSON.stringify({ instances }, null, 2));
    const members = new Map<number, ClusterMember>();
    const cluster = new TestCluster(members, configMaster, scratch);
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

  /** Every replica's address, for a client that fails over. */
  addresses(): string[] {
    return [...this.members.values()].map((member) => member.address);
  }

  ids(): number[] {
    return [...this.members.keys()];
  }

  running(): ClusterMember[] {
    return [...this.members.values()].filter((member) => member.state === "running");
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
    const majority = Math.floor(this.members.size / 2) + 1;
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

  /** The log lines of replica `id`'s current process. */
  log(id: number): string {
    return this.member(id).process.stderr.text();
  }

  /** Kills (resuming the paused first) and awaits every process, then deletes the data. */
  async cleanup(): Promise<void> {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
    await this.processes.cleanup();
    for (const member of this.members.values()) member.state = "exited";
    this.scratch.remove();
  }

  private spawn(id: number, dataDir: string): ReplicaProcess {
    const args = ["--server_id", String(id), "--data_dir", dataDir, "--config_master", this.configMaster];
    if (id === 1) args.push("--initial_leader", "true");
    return this.processes.spawnReplicaWithArgs(args, dataDir);
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
