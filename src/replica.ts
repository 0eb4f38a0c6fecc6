/**
 * The composition root: the one place that wires concrete parts (SQLite
 * file, log store, projections, node, chat service, gRPC server).
 */
import type { Server } from "@grpc/grpc-js";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { assertLimitsConsistent } from "./limits.ts";
import { CorruptLogError } from "./log/entry.ts";
import { LogStore } from "./log/log-store.ts";
import { SoloNode } from "./log/solo-node.ts";
import type { Logger } from "./logger.ts";
import { Projections } from "./projections/apply.ts";
import { chatHandlers, startChatServer } from "./rpc/chat-server.ts";
import { channelOptions } from "./rpc/proto.ts";
import { ChatService, type PasswordHashing } from "./service/chat-service.ts";
import { DatabaseRefusedError, openDatabase } from "./storage/database.ts";

export interface ReplicaOptions {
  serverId: number;
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  clusterSecret: string;
  passwordHashing?: PasswordHashing;
  logger: Logger;
}

export interface RunningReplica {
  port: number;
  address: string;
  service: ChatService;
  stop(): Promise<void>;
}

export const databaseFileName = "chat.db";
/** How long a stopping replica waits for in-flight calls before cutting them. */
export const shutdownGraceMs = 2000;

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
  mkdirSync(options.dataDir, { recursive: true });
  const db = openDatabase(join(options.dataDir, databaseFileName));
  const startedAt = performance.now();
  const log = new LogStore(db);
  const projections = new Projections(db);
  let server: Server;
  let port: number;
  let node: SoloNode<ReturnType<Projections["apply"]>[number]>;
  try {
    verifyLog(log, options.dataDir);
    // The address is known once the server is bound (port 0 picks one).
    const self = { id: options.serverId, address: "" };
    node = new SoloNode(log, projections, self);
    const service = new ChatService(node, projections, {
      clusterSecret: options.clusterSecret,
      passwordHashing: options.passwordHashing,
    });
    ({ server, port } = await startChatServer(
      `${options.host}:${options.port}`,
      chatHandlers(service, node),
      channelOptions,
    ));
    self.address = address();
    options.logger.info("serving", {
      address: address(),
      logEntries: log.lastIndex(),
      applied: projections.appliedIndex(),
      startMs: Math.round(performance.now() - startedAt),
    });
    return { port, address: address(), service, stop };
  } catch (error) {
    db.close();
    throw error;
  }

  function address(): string {
    return `${options.host}:${port}`;
  }

  async function stop(): Promise<void> {
    // Let in-flight writes finish; live subscriptions would hold a graceful shutdown forever.
    const grace = setTimeout(() => server.forceShutdown(), shutdownGraceMs);
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    clearTimeout(grace);
    await node.close();
    db.close();
  }
}
