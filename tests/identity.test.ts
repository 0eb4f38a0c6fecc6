/**
 * A data directory belongs to one server of one cluster, and membership comes
 * from the log (issue: a joiner restarted during its catch-up elected itself
 * alone and acknowledged writes that were then lost; a member's data started
 * with --standalone became a second cluster).
 */
import { afterEach, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { join } from "node:path";
import { createLogger } from "../src/logger.ts";
import { IdentityRefusedError, prepareState, readIdentity, saveIdentity } from "../src/log/identity.ts";
import { LogStore } from "../src/log/log-store.ts";
import type { Entry } from "../src/log/raft/types.ts";
import { Projections } from "../src/projections/apply.ts";
import { databaseFileName, startReplica, type ReplicaOptions, type RunningReplica } from "../src/replica.ts";
import { clusterIdKey } from "../src/rpc/cluster-id.ts";
import { deriveClusterKeys } from "../src/keys.ts";
import { clusterKeyHeader } from "../src/rpc/cluster-secret.ts";
import { channelOptions, chatProto } from "../src/rpc/proto.ts";
import { DataDirLockedError } from "../src/storage/data-dir-lock.ts";
import { openDatabase } from "../src/storage/database.ts";
import { ChatClient } from "../src/client/chat-client.ts";
import { callMsMax, conditionMsMax, temporaryDirectory, testReplicaOptions, testSecret, waitFor } from "./support/replica.ts";
import { hookMs, inProcessReplicaMs } from "./support/timeouts.ts";

const founders = [1, 2, 3].map((id) => ({ id, address: `127.0.0.1:${59000 + id}` }));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, hookMs);

function scratch(): string {
  const directory = temporaryDirectory("identity-");
  cleanups.push(() => directory.remove());
  return directory.path;
}

async function start(dataDir: string, options: Partial<ReplicaOptions> = {}): Promise<RunningReplica> {
  const replica = await startReplica(
    testReplicaOptions(dataDir, {
      logger: createLogger("identity-test", "error"),
      onFatal: (error) => {
        throw error;
      },
      ...options,
    }),
  );
  cleanups.push(() => replica.stop());
  return replica;
}

/** Writes what a server's data directory holds, then closes it. */
function withDatabase<T>(dataDir: string, work: (db: ReturnType<typeof openDatabase>, log: LogStore) => T): T {
  const db = openDatabase(join(dataDir, databaseFileName));
  try {
    return work(db, new LogStore(db));
  } finally {
    db.close();
  }
}

/** A member of the three founders, holding the founding entry and a leader's no-op, committed and applied. */
function memberData(dataDir: string, serverId: number): void {
  withDatabase(dataDir, (db, log) => {
    prepareState(db, log, serverId, { kind: "found", voters: founders });
    const noop: Entry = { index: 2, term: 2, type: "noop", data: "" };
    log.append([noop], { term: 2, vote: 1, commit: 2 });
    new Projections(db).apply(log.entries(1, 3));
  });
}

describe("a data directory belongs to one server of one cluster", () => {
  test(
    "a second replica on a data directory in use is refused, and starts once the first has stopped",
    async () => {
      const dataDir = scratch();
      const first = await start(dataDir);
      await expect(start(dataDir)).rejects.toBeInstanceOf(DataDirLockedError);
      await first.stop();
      const again = await start(dataDir);
      expect(() => again.node.assertLeader()).not.toThrow();
    },
    inProcessReplicaMs,
  );

  test(
    "a data directory of server 1 refuses to start as server 2 and is left as it was",
    async () => {
      const dataDir = scratch();
      memberData(dataDir, 1);
      await expect(start(dataDir, { serverId: 2 })).rejects.toThrow("this data belongs to server 1, not 2");
      expect(withDatabase(dataDir, (_db, log) => log.lastIndex())).toBe(2);
    },
    inProcessReplicaMs,
  );

  test(
    "--standalone on a member's data is refused and appends nothing; --force-new-cluster makes it a cluster of one",
    async () => {
      const dataDir = scratch();
      memberData(dataDir, 1);
      const memberCluster = withDatabase(dataDir, (db) => readIdentity(db)!.clusterId);
      // --standalone: this server is the only founding voter.
      await expect(start(dataDir)).rejects.toBeInstanceOf(IdentityRefusedError);
      await expect(start(dataDir)).rejects.toThrow("--force-new-cluster");
      expect(withDatabase(dataDir, (_db, log) => [log.lastIndex(), log.hardState().term])).toEqual([2, 2]);

      const forced = await start(dataDir, { forceNewCluster: true });
      await waitFor(() => forced.node.leaderInfo().leaderId === 1, conditionMsMax, "the forced cluster of one to elect itself");
      expect(forced.clusterId()).not.toBe(memberCluster);
      expect(forced.node.leaderInfo().replicas.map((replica) => replica.id)).toEqual([1]);
      const client = new ChatClient({ address: forced.address });
      cleanups.push(() => client.close());
      await client.createAccount("alice", "correct horse");
      // Restarting it as a standalone replica is now allowed: its data is a cluster of one.
      await forced.stop();
      const restarted = await start(dataDir);
      await waitFor(() => restarted.node.leaderInfo().leaderId === 1, conditionMsMax, "the restarted cluster of one to lead");
    },
    inProcessReplicaMs,
  );

  test(
    "a peer of another cluster is refused before its message reaches the log",
    async () => {
      const replica = await start(scratch());
      const peer = new chatProto.chat.PeerService(replica.address, grpc.credentials.createInsecure(), channelOptions);
      cleanups.push(() => peer.close());
      const metadata = new grpc.Metadata();
      metadata.set(clusterKeyHeader, deriveClusterKeys(testSecret).peer);
      metadata.set(clusterIdKey, "another-cluster");
      const term = replica.node.leaderInfo().term + 5;
      const request = { from: 2, to: 1, term, prevIndex: 0, prevTerm: 0, entries: [], leaderCommit: 0, heartbeatRound: 0 };
      const error = await new Promise<grpc.ServiceError | null>((resolve) =>
        peer.ReplicateOperation(request, metadata, { deadline: Date.now() + callMsMax }, (failure) => resolve(failure)),
      );
      expect(error?.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(error?.details).toContain(replica.clusterId());
      expect(replica.node.leaderInfo().term).toBe(term - 5);
      expect(() => replica.node.assertLeader()).not.toThrow();
    },
    inProcessReplicaMs,
  );
});

describe("membership comes from the log", () => {
  test(
    "a joiner restarted in the middle of its catch-up never elects itself; it waits for the cluster",
    async () => {
      // What a joiner that was killed after receiving part of the log holds: the
      // founding entry (voters 1, 2, 3) and more, but not the entry that adds it.
      const dataDir = scratch();
      withDatabase(dataDir, (db, log) => {
        prepareState(db, log, 4, { kind: "join" });
        const entries: Entry[] = [
          { index: 1, term: 1, type: "config", data: JSON.stringify({ voters: founders, learners: [] }) },
          { index: 2, term: 2, type: "noop", data: "" },
        ];
        log.append(entries, { term: 2, vote: 0, commit: 2 });
        new Projections(db).apply(entries);
      });
      // Restarted with the README's join command, while no server of its cluster answers.
      const joiner = await start(dataDir, { serverId: 4, joinSeeds: ["127.0.0.1:1"], initialLeader: false });
      const electionTimeoutsMs = 20 * 30 * 10;
      const deadline = Date.now() + electionTimeoutsMs;
      while (Date.now() < deadline) {
        const info = joiner.node.leaderInfo();
        expect(info.leaderId).not.toBe(4);
        expect(info.term).toBe(2);
        await Bun.sleep(50);
      }
      expect(() => joiner.node.assertLeader()).toThrow();
    },
    inProcessReplicaMs,
  );

  test(
    "a new cluster's founders write the same first entry and the same cluster id",
    () => {
      const ids = [1, 2, 3].map((serverId) =>
        withDatabase(scratch(), (db, log) => {
          const identity = prepareState(db, log, serverId, { kind: "found", voters: founders });
          return { identity, first: log.entries(1, 2)[0], hardState: log.hardState() };
        }),
      );
      expect(new Set(ids.map(({ identity }) => identity.clusterId)).size).toBe(1);
      expect(new Set(ids.map(({ first }) => JSON.stringify(first))).size).toBe(1);
      expect(ids[0]!.first).toMatchObject({ index: 1, term: 1, type: "config" });
      expect(ids[0]!.hardState).toEqual({ term: 1, vote: 0, commit: 1 });
    },
    inProcessReplicaMs,
  );

  test(
    "a server that joined and lost nothing yet refuses to found a cluster of its own",
    () => {
      const dataDir = scratch();
      withDatabase(dataDir, (db, log) => {
        prepareState(db, log, 1, { kind: "join" });
        saveIdentity(db, { serverId: 1, clusterId: "abc" });
        expect(() => prepareState(db, log, 1, { kind: "found", voters: [{ id: 1, address: "127.0.0.1:1" }] })).toThrow("--join true");
        expect(log.lastIndex()).toBe(0);
      });
    },
    inProcessReplicaMs,
  );
});
