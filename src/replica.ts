/**
 * The composition root: the one place that wires concrete parts (SQLite
 * file, log store, projections, node, chat service, gRPC server).
 */
import { Server, type ServerCredentials } from "@grpc/grpc-js";
import type { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { assertSecretFitsHosts, isLoopbackHost } from "./config.ts";
import { deriveClusterKeys } from "./keys.ts";
import { assertLimitsConsistent } from "./limits.ts";
import { CorruptLogError } from "./log/entry.ts";
import { ClusterIdentity, prepareState, type StartIntent } from "./log/identity.ts";
import { LogStore } from "./log/log-store.ts";
import type { RaftTiming } from "./log/driver-clock.ts";
import { RaftNode, type CompactionBounds } from "./log/raft-node.ts";
import { SqliteRaftStorage } from "./log/raft-storage.ts";
import type { ReplicaInfo } from "./log/replica-node.ts";
import { type Logger, setLogContext } from "./logger.ts";
import { placeBackup, removeDatabaseFiles, RestoreRefusedError } from "./ops/backup-file.ts";
import { ReplicaHealth } from "./ops/health.ts";
import { ReplicaMetrics, serveMetrics, type MetricsServer } from "./ops/metrics.ts";
import { fanOut } from "./ops/observers.ts";
import { addReflection } from "./ops/reflection.ts";
import { softwareVersion } from "./ops/version.ts";
import { Projections, type AppliedResult } from "./projections/apply.ts";
import { SnapshotReader, SnapshotStaging, installSnapshot } from "./projections/snapshot.ts";
import { adminHandlers } from "./rpc/admin-server.ts";
import { keyGate } from "./rpc/key-gate.ts";
import { chatHandlers, chatServiceDefinition } from "./rpc/chat-server.ts";
import { JoinCancelledError, joinCluster } from "./rpc/join-client.ts";
import { peerHandlers } from "./rpc/peer-server.ts";
import { PeerTransport } from "./rpc/peer-transport.ts";
import { peerRouteFromEnvironment } from "./rpc/peer-routes.ts";
import { guardedService } from "./rpc/decode-guard.ts";
import { channelOptions, chatProto } from "./rpc/proto.ts";
import { serverCredentials, type TlsMaterial } from "./rpc/tls.ts";
import { ChatService, type PasswordHashing } from "./service/chat-service.ts";
import { lockDataDir } from "./storage/data-dir-lock.ts";
import { followClockSkew } from "./wall-clock.ts";
import { DatabaseRefusedError, openDatabase } from "./storage/database.ts";

export interface ReplicaOptions {
  serverId: number;
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  /** The other voters, if this replica founds a new cluster (its data directory is empty); empty for a cluster of one. */
  peers: ReplicaInfo[];
  /** Join a running cluster through these servers (host:port); asked again at every start with this option. */
  joinSeeds?: string[];
  /** Make this replica the only voter of a new cluster, keeping its data (--force-new-cluster). */
  forceNewCluster?: boolean;
  /** Start a new cluster of this server alone from a backup file (`admin backup`); the data directory must hold no database. */
  restoreFrom?: string;
  /** Not a founding voter and not joining: only restart from the state already in the data directory. */
  restartOnly?: boolean;
  /** The node hit a broken invariant or a failed log write and stopped (default: exit the process with exitCodeFatal). */
  onFatal?: (error: Error) => void;
  /** The cluster removed this server; the node stopped taking part (default: nothing more). */
  onRemoved?: () => void;
  timing: RaftTiming;
  compaction?: CompactionBounds;
  /** Campaign at once when the log is empty (bootstrapping a new cluster). */
  initialLeader: boolean;
  /** Deadline of one replica-to-replica call. */
  peerCallTimeoutMs: number;
  clusterSecret: string;
  passwordHashing?: PasswordHashing;
  /** How long a session may go unused (default limits.sessionIdleMsDefault). */
  sessionIdleMs?: number;
  /** Certificate, key and CA (src/rpc/tls.ts): TLS for clients, mutual TLS between replicas; null or absent: plain text. */
  tls?: TlsMaterial | null;
  /** Serve Prometheus metrics over HTTP on this port of `host` (0 picks a free one); none when undefined. */
  metricsPort?: number;
  logger: Logger;
}

/** The driver over the chat projections, with their snapshot reader and staging. */
export type ChatNode = RaftNode<AppliedResult, SnapshotReader, SnapshotStaging>;

export interface RunningReplica {
  port: number;
  address: string;
  service: ChatService;
  node: ChatNode;
  /** The cluster this replica belongs to ("" while a joiner has not heard it yet). */
  clusterId(): string;
  /** Where the metrics are served (GET /metrics), when they are. */
  metricsPort?: number;
  stop(): Promise<void>;
}

export const databaseFileName = "chat.db";
/** Incoming snapshots are staged in files named so until complete and verified. */
export const snapshotStagingPrefix = "snapshot-incoming-";
/** How long a stopping replica waits for in-flight calls before cutting them. */
export const shutdownGraceMs = 2000;
/** Exit status of a replica that stopped on a broken invariant or a failed write (EX_SOFTWARE). */
export const exitCodeFatal = 70;

/** A log with a torn or edited entry is refused rather than served. */
function verifyLog(log: LogStore, dataDir: string): void {
  try {
    log.verify();
  } catch (error) {
    if (!(error instanceof CorruptLogError)) throw error;
    throw new DatabaseRefusedError(join(dataDir, databaseFileName), `${error.message}; restore it from a replica`);
  }
}

export async function startReplica(options: ReplicaOptions): Promise<RunningReplica> {
  assertLimitsConsistent();
  followClockSkew(); // a test build's clock jumps (src/wall-clock.ts)
  // The replica binds options.host and advertises options.host:port to its peers and clients.
  assertSecretFitsHosts(options.clusterSecret, [options.host]);
  mkdirSync(options.dataDir, { recursive: true });
  const startedAt = performance.now();
  const lock = lockDataDir(options.dataDir);
  const databasePath = join(options.dataDir, databaseFileName);
  /** A backup copied in for --restore: removed again if the start fails before it becomes this server's. */
  let restoredCopy: string | null = null;
  let db: Database;
  try {
    if (options.restoreFrom) restoredCopy = placeBackup(options.restoreFrom, databasePath);
    db = openDatabase(databasePath);
  } catch (error) {
    lock.release();
    if (!restoredCopy) throw error;
    removeDatabaseFiles(restoredCopy);
    throw new RestoreRefusedError(`--restore ${options.restoreFrom} is not a usable backup: ${(error as Error).message}`);
  }
  const keys = deriveClusterKeys(options.clusterSecret);
  const tls = options.tls ?? null;
  const gate = keyGate(keys, { requireClientCertificate: tls !== null, logger: options.logger });
  const server = new Server({ ...channelOptions, interceptors: [gate] });
  let metricsServer: MetricsServer | undefined;
  try {
    const log = new LogStore(db);
    verifyLog(log, options.dataDir);
    // From here on every line says in which term it happened: the stored term until the node runs, then the node's.
    let running: ChatNode | null = null;
    const storedTerm = log.hardState().term;
    setLogContext(options.logger, () => ({ term: running ? running.view.currentTerm : storedTerm }));
    if (!tls && !isLoopbackHost(options.host)) {
      options.logger.warn(
        "serving plain text on a non-loopback address: passwords, tokens and the peer key cross the network readable; set tls_cert, tls_key and tls_ca",
        { host: options.host },
      );
    }
    const projections = new Projections(db);
    // Bind first: with port 0 the address is known only now, and the node needs it.
    const port = await bind(server, `${options.host}:${options.port}`, serverCredentials(tls));
    // Before anything is written: a metrics port in use refuses the start with the data as it was.
    // The sources are read only when scraped, after this function has returned (no await below).
    const metrics =
      options.metricsPort === undefined
        ? undefined
        : new ReplicaMetrics({
            term: () => node.view.currentTerm,
            commitIndex: () => node.view.commitIndex,
            appliedIndex: () => projections.appliedIndex(),
            logEntries: () => log.lastIndex() - log.snapshot().index,
            databaseBytes: () => databaseBytes(options.dataDir),
            openSubscriptions: () => service.openSubscriptions,
          });
    if (metrics) metricsServer = serveMetrics(options.host, options.metricsPort!, metrics);
    const self: ReplicaInfo = { id: options.serverId, address: `${options.host}:${port}` };
    const freshStart = log.lastIndex() === 0 && log.snapshot().index === 0;
    const identity = new ClusterIdentity(db, prepareState(db, log, options.serverId, startIntent(options, self)), options.logger);
    if (restoredCopy) {
      restoredCopy = null; // this server's data now
      options.logger.warn(`restored a backup as a new cluster of this server alone; other servers join it with --join true --peers ${self.address}`, {
        from: options.restoreFrom,
        index: log.snapshot().index,
        clusterId: identity.clusterId,
      });
    }
    if (options.forceNewCluster) options.logger.warn("forced a new cluster of this server alone", { clusterId: identity.clusterId });
    const health = new ReplicaHealth({
      leaderId: () => node.view.leader,
      commitIndex: () => node.view.commitIndex,
      appliedIndex: () => projections.appliedIndex(),
    });
    const transport = new PeerTransport(new Map(), {
      peerKey: keys.peer,
      tls,
      clusterId: () => identity.clusterId,
      deadlineMs: options.peerCallTimeoutMs,
      onAnswer: (message) => node.step(message),
      onForeignCluster: (peer, theirs) => identity.reportForeign(peer, theirs),
      onRemoved: (index) => node.learnRemoval(index),
      logger: options.logger,
      route: peerRouteFromEnvironment(),
      observer: metrics,
    });
    removeStagingFiles(options.dataDir); // transfers cut short by a crash
    let transfers = 0;
    const node: ChatNode = new RaftNode({
      self,
      log: new SqliteRaftStorage(log),
      machine: projections,
      timing: options.timing,
      random: Math.random,
      send: (message) => transport.send(message),
      logger: options.logger,
      campaignAtStart: options.initialLeader && freshStart,
      onMembership: (peers) => transport.setAddresses(peers),
      onFatal: options.onFatal ?? (() => process.exit(exitCodeFatal)),
      onRemoved: () => {
        health.stop();
        options.onRemoved?.();
      },
      compaction: options.compaction,
      observer: fanOut(metrics ? [metrics, health] : [health]),
      snapshots: {
        open: () => new SnapshotReader(join(options.dataDir, databaseFileName)),
        // A file of its own per transfer: a stale transfer's abort never touches a newer one's.
        stage: (header) => new SnapshotStaging(join(options.dataDir, `${snapshotStagingPrefix}${++transfers}.db`), header),
        install: (staging) => installSnapshot(db, log, staging),
        send: (envelope, reader) => transport.sendSnapshot(envelope, reader),
      },
    });
    running = node;
    const service = new ChatService(node, projections, {
      sessionKey: keys.session,
      passwordHashing: options.passwordHashing,
      sessionIdleMs: options.sessionIdleMs,
    });
    server.addService(chatServiceDefinition, chatHandlers(service, node));
    server.addService(...guardedService(chatProto.chat.PeerService.service, peerHandlers({ identity }, node, options.logger)));
    server.addService(
      ...guardedService(
        chatProto.chat.AdminService.service,
        adminHandlers(
          {
            status: () => node.status(),
            removeServer: (id) => node.removeServer(id),
            transferLeader: (id) => node.transferLeader(id),
            readBarrier: () => node.readBarrier(),
            openSnapshot: () => new SnapshotReader(join(options.dataDir, databaseFileName)),
          },
          () => ({ ...node.selfStatus(), databaseBytes: databaseBytes(options.dataDir), version: softwareVersion, clusterId: identity.clusterId }),
          options.logger,
        ),
      ),
    );
    health.addToServer(server);
    addReflection(server);
    options.logger.info("serving", {
      address: self.address,
      transport: tls ? "tls" : "plaintext",
      peers:
        node
          .leaderInfo()
          .replicas.filter((replica) => replica.id !== self.id)
          .map((peer) => `${peer.id}@${peer.address}`)
          .join(",") || "none",
      logEntries: log.lastIndex(),
      applied: projections.appliedIndex(),
      startMs: Math.round(performance.now() - startedAt),
      metrics: metricsServer ? `http://${options.host}:${metricsServer.port}/metrics` : "off",
    });
    const joining = new AbortController();
    const stop = async () => {
      joining.abort();
      health.stop();
      // Let in-flight writes finish; live subscriptions would hold a graceful shutdown forever.
      const grace = setTimeout(() => server.forceShutdown(), shutdownGraceMs);
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      clearTimeout(grace);
      metricsServer?.stop();
      await node.close();
      transport.close();
      db.close();
      lock.release();
    };
    if (options.joinSeeds) {
      // The server is up first, so the leader can reach it as soon as it is a learner. Asking again
      // after a restart is harmless: the leader answers a member's request with the membership.
      joinCluster(options.joinSeeds, self, { peerKey: keys.peer, tls }, options.logger, joining.signal).then(
        (reply) => identity.adopt(reply.clusterId),
        async (error: Error) => {
          if (error instanceof JoinCancelledError) return;
          options.logger.error(error.message);
          await stop();
          process.exitCode = 1;
        },
      );
    }
    return { port, address: self.address, service, node, clusterId: () => identity.clusterId, metricsPort: metricsServer?.port, stop };
  } catch (error) {
    server.forceShutdown();
    metricsServer?.stop();
    db.close();
    if (restoredCopy) removeDatabaseFiles(restoredCopy);
    lock.release();
    throw error;
  }
}

function startIntent(options: ReplicaOptions, self: ReplicaInfo): StartIntent {
  if (options.restoreFrom) return { kind: "restore", self };
  if (options.joinSeeds) return { kind: "join" };
  if (options.forceNewCluster) return { kind: "forceNewCluster", self };
  if (options.restartOnly) return { kind: "restart" };
  return { kind: "found", voters: [self, ...options.peers] };
}

/** The database file and its write-ahead log on disk, in bytes. */
export function databaseBytes(dataDir: string): number {
  let total = 0;
  for (const suffix of ["", "-wal"]) {
    const path = join(dataDir, databaseFileName + suffix);
    if (existsSync(path)) total += statSync(path).size;
  }
  return total;
}

function removeStagingFiles(dataDir: string): void {
  for (const name of readdirSync(dataDir)) {
    if (name.startsWith(snapshotStagingPrefix)) rmSync(join(dataDir, name), { force: true });
  }
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port)));
  });
}
