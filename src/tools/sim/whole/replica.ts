// One replica process under the whole-replica simulation: the real driver
// (RaftNode), the real chat projections and the real chat service, on an
// in-memory SQLite database standing in for the disk. The "disk" is the
// image taken at the last fsync (LogStore's afterSync): a power cut
// throws the process away and restarts from that image, so whatever was
// written but not synced (a commit index saved without fsync, applied
// state) is lost, as on a real machine.

import { Database } from "bun:sqlite";
import { deriveClusterKeys } from "../../../keys.ts";
import type { Logger } from "../../../logger.ts";
import { prepareState, type StartIntent } from "../../../log/identity.ts";
import { LogStore } from "../../../log/log-store.ts";
import type { Member } from "../../../log/membership.ts";
import type { AppendResponseMessage, Message } from "../../../log/raft/types.ts";
import { installSnapshot, SnapshotReader, SnapshotStaging } from "../../../projections/snapshot.ts";
import type { SnapshotEnvelope } from "../../../log/snapshot-port.ts";
import type { ChatNode } from "../../../replica.ts";
import { join } from "node:path";
import type { RaftTiming } from "../../../log/driver-clock.ts";
import { RaftNode, type CompactionBounds } from "../../../log/raft-node.ts";
import { SqliteRaftStorage } from "../../../log/raft-storage.ts";
import { chatHandlers } from "../../../rpc/chat-server.ts";
import type { ChatServiceHandlers } from "../../../rpc/generated/chat/ChatService.ts";
import { Projections } from "../../../projections/apply.ts";
import { ChatService, type PasswordHasher } from "../../../service/chat-service.ts";
import { openDatabase } from "../../../storage/database.ts";
import type { SimRandom } from "../random.ts";
import { SimClock } from "../clock.ts";

/** What a replica needs from the simulation around it. */
export interface ReplicaWorld {
  nowMs(): number;
  send(message: Message): void;
  /** Streams a snapshot to a peer as InstallSnapshot does; the peer's answer, or null when the transfer failed. */
  sendSnapshot(envelope: SnapshotEnvelope, reader: SnapshotReader): Promise<AppendResponseMessage | null>;
  /** A scratch directory for staging files (the one part of a replica that lives on the real disk). */
  stagingDir: string;
  logger(id: number): Logger;
  /** The node hit a broken invariant: the run fails with it. */
  fatal(id: number, error: Error): void;
  /** How often the projections forget idle clients' results (the same on every replica of a run). */
  resultPruneEveryEntries: number;
}

export const simClusterSecret = "simulated-cluster-secret";

/** Deterministic and cheap: the simulator checks the replica, not argon2. */
export const simPasswords: PasswordHasher = {
  hash: async (password) => `sim$${Bun.hash(password).toString(16)}`,
  verify: async (password, hash) => hash === `sim$${Bun.hash(password).toString(16)}`,
};

export class SimReplica {
  /** The database as of the last fsync; null before the first start. */
  private diskImage: Uint8Array | null = null;
  private db: Database | null = null;
  clock: SimClock | null = null;
  node: ChatNode | null = null;
  /** What the process serves clients: the gRPC server's own handlers (src/rpc/chat-server.ts), new with each start. */
  handlers: ChatServiceHandlers | null = null;
  projections: Projections | null = null;
  /** Ticks the process is stalled for (a GC pause, SIGSTOP): no ticks, no deliveries. */
  pausedUntil = 0;
  downUntil = 0;
  removed = false;

  private transfers = 0;

  constructor(
    readonly member: Member,
    private readonly intent: StartIntent,
    private readonly timing: RaftTiming,
    private readonly compaction: CompactionBounds,
    private readonly random: SimRandom,
    private readonly world: ReplicaWorld,
  ) {}

  get id(): number {
    return this.member.id;
  }

  get isUp(): boolean {
    return this.node !== null;
  }

  /** Started at least once (a spare server starts only when it is time for it to join). */
  get started(): boolean {
    return this.diskImage !== null;
  }

  /**
   * Starts the process from its disk image (a first start founds or joins).
   * An operator's mistaken command line is `intent`: a refused start leaves
   * the disk as it was and the process down.
   */
  start(intent: StartIntent = this.intent): void {
    const db = this.diskImage ? Database.deserialize(this.diskImage, { strict: true }) : openDatabase(":memory:");
    db.exec("PRAGMA foreign_keys = ON");
    const log = new LogStore(db, () => (this.diskImage = db.serialize()));
    try {
      prepareState(db, log, this.id, intent);
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
    if (!this.diskImage) this.diskImage = db.serialize();
    const projections = new Projections(db, this.world.resultPruneEveryEntries);
    const clock = new SimClock(() => this.world.nowMs());
    this.clock = clock;
    this.projections = projections;
    const nonces = this.random.fork();
    this.node = new RaftNode({
      self: this.member,
      log: new SqliteRaftStorage(log),
      machine: projections,
      timing: this.timing,
      clock,
      random: this.random.asFunction(),
      send: (message) => this.world.send(message),
      logger: this.world.logger(this.id),
      onFatal: (error) => this.world.fatal(this.id, error),
      onRemoved: () => {
        this.removed = true;
      },
      snapshots: {
        // A copy of the disk as it is now: the consistent view a read transaction gives the real replica.
        open: () => new SnapshotReader(Database.deserialize(db.serialize(), { strict: true })),
        stage: (header) => new SnapshotStaging(join(this.world.stagingDir, `r${this.id}-${++this.transfers}.db`), header),
        install: (staging) => installSnapshot(db, log, staging),
        send: (envelope, reader) => this.world.sendSnapshot(envelope, reader),
      },
      compaction: this.compaction,
    });
    const service = new ChatService(this.node, projections, {
      sessionKey: deriveClusterKeys(simClusterSecret).session,
      passwords: simPasswords,
      now: () => clock.now(),
      newNonce: () => nonces.int(0, 2 ** 31).toString(36) + nonces.int(0, 2 ** 31).toString(36),
      nextTurn: (work) => clock.soon(work),
    });
    this.handlers = chatHandlers(service, this.node);
  }

  /** What the disk holds, to show that a refused start left it alone. */
  diskDigest(): string {
    return this.diskImage ? Bun.hash(this.diskImage).toString(16) : "";
  }

  /** A power cut: the process and everything not synced are gone. */
  crash(): void {
    this.clock?.stop();
    void this.node?.close();
    this.db?.close();
    this.node = null;
    this.handlers = null;
    this.projections = null;
    this.clock = null;
    this.db = null;
  }

  /** The projection as of now (for the final checks), read from the live database. */
  database(): Database {
    if (!this.db) throw new Error(`replica ${this.id} is down`);
    return this.db;
  }
}
