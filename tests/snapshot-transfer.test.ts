/** InstallSnapshot over loopback gRPC: the header the follower stages is the leader's, config index included. */
import { afterEach, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { join } from "node:path";
import { LogStore } from "../src/log/log-store.ts";
import type { AppendResponseMessage, Entry, SnapshotMeta } from "../src/log/raft/types.ts";
import type { SnapshotEnvelope } from "../src/log/snapshot-port.ts";
import { createLogger } from "../src/logger.ts";
import { Projections } from "../src/projections/apply.ts";
import { SnapshotReader, SnapshotStaging } from "../src/projections/snapshot.ts";
import { clusterKeyHeader } from "../src/rpc/cluster-secret.ts";
import type { PeerGate } from "../src/rpc/cluster-id.ts";
import { channelOptions, chatProto } from "../src/rpc/proto.ts";
import { receiveSnapshots, sendSnapshot, type SnapshotInstaller } from "../src/rpc/snapshot-transfer.ts";
import { openDatabase } from "../src/storage/database.ts";
import { temporaryDirectory, testSecret } from "./support/replica.ts";
import { inProcessReplicaMs } from "./support/timeouts.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const gate: PeerGate = { identity: { clusterId: "test", accepts: () => true, reportForeign: () => {} } };

/** A leader's database: the founders, a noop, a learner added at index 3, a noop; all applied. */
function leaderDatabase(directory: string): string {
  const path = join(directory, "leader.db");
  const db = openDatabase(path);
  const founders = { voters: [{ id: 1, address: "a:1" }], learners: [] };
  const withLearner = { ...founders, learners: [{ id: 2, address: "b:2" }] };
  const entries: Entry[] = [
    { index: 1, term: 1, type: "config", data: JSON.stringify(founders) },
    { index: 2, term: 1, type: "noop", data: "" },
    { index: 3, term: 1, type: "config", data: JSON.stringify(withLearner) },
    { index: 4, term: 1, type: "noop", data: "" },
  ];
  new LogStore(db).append(entries);
  new Projections(db).apply(entries);
  db.close();
  return path;
}

/** A follower that stages what arrives and records the header it was given. */
function recordingFollower(directory: string): SnapshotInstaller & { headers: SnapshotMeta[] } {
  const headers: SnapshotMeta[] = [];
  return {
    headers,
    beginSnapshot: (_envelope: SnapshotEnvelope, header: SnapshotMeta) => {
      headers.push(header);
      const staging = new SnapshotStaging(join(directory, "staging.db"), header);
      cleanups.push(() => staging.abort());
      return staging;
    },
    installSnapshot: (envelope: SnapshotEnvelope, staging: SnapshotStaging): AppendResponseMessage => ({
      type: "appendResponse",
      from: envelope.to,
      to: envelope.from,
      term: envelope.term,
      success: true,
      matchIndex: staging.header.index,
      rejectedIndex: 0,
      conflictIndex: 0,
      conflictTerm: 0,
      heartbeatRound: 0,
    }),
  };
}

async function listen(follower: SnapshotInstaller): Promise<string> {
  const server = new grpc.Server();
  server.addService(chatProto.chat.PeerService.service, { InstallSnapshot: receiveSnapshots(gate, follower, createLogger("follower", "warn")) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  cleanups.push(() => server.forceShutdown());
  return `127.0.0.1:${port}`;
}

describe("a snapshot sent over gRPC", () => {
  test(
    "arrives with the leader's header: index, term, membership and the index of its config entry",
    async () => {
      const directory = temporaryDirectory("snapshot-transfer-");
      cleanups.push(() => directory.remove());
      const follower = recordingFollower(directory.path);
      const stub = new chatProto.chat.PeerService(await listen(follower), grpc.credentials.createInsecure(), channelOptions);
      cleanups.push(() => stub.close());
      const reader = new SnapshotReader(leaderDatabase(directory.path));
      const sent = reader.header;
      const metadata = new grpc.Metadata();
      metadata.set(clusterKeyHeader, testSecret);

      const answer = await sendSnapshot(stub, metadata, { from: 1, to: 2, term: 1 }, reader);

      expect(sent).toMatchObject({ index: 4, term: 1, configIndex: 3 });
      expect(follower.headers).toEqual([sent]);
      expect(answer).toMatchObject({ success: true, matchIndex: 4 });
    },
    inProcessReplicaMs,
  );
});
