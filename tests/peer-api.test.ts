/** The replica-to-replica API refuses callers without the peer key (derived from the cluster secret) and changes nothing. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { createLogger } from "../src/logger.ts";
import { clusterIdKey } from "../src/rpc/cluster-id.ts";
import { deriveClusterKeys } from "../src/keys.ts";
import { clusterKeyHeader, secretMatches } from "../src/rpc/cluster-secret.ts";
import type { PeerServiceClient } from "../src/rpc/generated/chat/PeerService.ts";
import { joinCluster, joinDeadlineMs } from "../src/rpc/join-client.ts";
import { channelOptions, chatProto } from "../src/rpc/proto.ts";
import { callMsMax, startTestReplica, testSecret, type TestReplica } from "./support/replica.ts";
import { hookMs, inProcessReplicaMs } from "./support/timeouts.ts";

let replica: TestReplica;
let peer: PeerServiceClient;

beforeAll(async () => {
  replica = await startTestReplica();
  peer = new chatProto.chat.PeerService(replica.replica.address, grpc.credentials.createInsecure(), channelOptions);
}, hookMs);

afterAll(async () => {
  peer.close();
  await replica.destroy();
}, hookMs);

function election(secret: string | null, term: number): Promise<{ code: grpc.status; granted?: boolean }> {
  const metadata = new grpc.Metadata();
  if (secret !== null) metadata.set(clusterKeyHeader, secret);
  metadata.set(clusterIdKey, replica.replica.clusterId());
  const request = { from: 2, to: 1, term, lastLogIndex: 1_000_000, lastLogTerm: term, preVote: false };
  return new Promise((resolve) =>
    peer.Election(request, metadata, { deadline: Date.now() + callMsMax }, (error, reply) =>
      resolve(error ? { code: error.code } : { code: grpc.status.OK, granted: reply?.granted }),
    ),
  );
}

function replicate(secret: string | null, term: number): Promise<grpc.status> {
  const metadata = new grpc.Metadata();
  if (secret !== null) metadata.set(clusterKeyHeader, secret);
  metadata.set(clusterIdKey, replica.replica.clusterId());
  const entry = { index: 1_000, term, type: "command", data: "{}" };
  const request = { from: 2, to: 1, term, prevIndex: 999, prevTerm: term, entries: [entry], leaderCommit: 1_000, heartbeatRound: 0 };
  return new Promise((resolve) =>
    peer.ReplicateOperation(request, metadata, { deadline: Date.now() + callMsMax }, (error) => resolve(error ? error.code : grpc.status.OK)),
  );
}

/** A unary call whose request is the given bytes, with the key (and for the peer API the cluster id) it needs. */
function rawKeyedCall(path: string, key: string, body: number[]): Promise<{ code: grpc.status; details: string }> {
  const client = new grpc.Client(replica.replica.address, grpc.credentials.createInsecure(), channelOptions);
  const metadata = new grpc.Metadata();
  metadata.set(clusterKeyHeader, key);
  metadata.set(clusterIdKey, replica.replica.clusterId());
  return new Promise((resolve) =>
    client.makeUnaryRequest(
      path,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      Buffer.from(body),
      metadata,
      { deadline: Date.now() + callMsMax },
      (error) => {
        client.close();
        resolve(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: "" });
      },
    ),
  );
}

describe("malformed requests with the right key", () => {
  test(
    "a peer or admin request protobuf cannot decode is INVALID_ARGUMENT, not INTERNAL (found by tests/fuzz.test.ts)",
    async () => {
      const keys = deriveClusterKeys(testSecret);
      const calls: [string, string][] = [
        ["/chat.PeerService/Election", keys.peer],
        ["/chat.PeerService/ReplicateOperation", keys.peer],
        ["/chat.PeerService/JoinCluster", keys.peer],
        ["/chat.AdminService/Status", keys.admin],
        ["/chat.AdminService/RemoveServer", keys.admin],
      ];
      const termBefore = replica.replica.node.leaderInfo().term;
      for (const [path, key] of calls) {
        // A varint cut short, and a length promising more bytes than follow.
        for (const body of [[0x08], [0x0a, 0x05, 0x01]]) {
          expect({ path, ...(await rawKeyedCall(path, key, body)) }).toEqual({
            path,
            code: grpc.status.INVALID_ARGUMENT,
            details: "the request is not a well-formed protobuf message",
          });
        }
      }
      // The streams too: the first chunk that does not decode ends the call.
      for (const path of ["/chat.PeerService/ReplicateStream", "/chat.PeerService/InstallSnapshot"]) {
        expect({ path, ...(await rawKeyedStream(path, keys.peer, [0x0a, 0x05, 0x01])) }).toEqual({
          path,
          code: grpc.status.INVALID_ARGUMENT,
          details: "the request is not a well-formed protobuf message",
        });
      }
      // And a server stream (one request, many answers): Backup.
      expect(await rawServerStream("/chat.AdminService/Backup", keys.admin, [0x0a, 0x05, 0x01])).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        details: "the request is not a well-formed protobuf message",
      });
      expect(replica.replica.node.leaderInfo().term).toBe(termBefore);
    },
    inProcessReplicaMs,
  );
});

/** A server stream whose request is the given bytes; resolves with its final status. */
function rawServerStream(path: string, key: string, body: number[]): Promise<{ code: grpc.status; details: string }> {
  const client = new grpc.Client(replica.replica.address, grpc.credentials.createInsecure(), channelOptions);
  const metadata = new grpc.Metadata();
  metadata.set(clusterKeyHeader, key);
  const raw = (bytes: Buffer) => bytes;
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(path, raw, raw, Buffer.from(body), metadata, { deadline: Date.now() + callMsMax });
    call.on("status", (status: grpc.StatusObject) => {
      client.close();
      resolve({ code: status.code, details: status.details });
    });
    call.on("error", () => {}); // the status event carries it
    call.on("data", () => {});
  });
}

/** A client or bidi stream whose one message is the given bytes; resolves with its final status. */
function rawKeyedStream(path: string, key: string, body: number[]): Promise<{ code: grpc.status; details: string }> {
  const client = new grpc.Client(replica.replica.address, grpc.credentials.createInsecure(), channelOptions);
  const metadata = new grpc.Metadata();
  metadata.set(clusterKeyHeader, key);
  metadata.set(clusterIdKey, replica.replica.clusterId());
  const options = { deadline: Date.now() + callMsMax };
  const raw = (bytes: Buffer) => bytes;
  return new Promise((resolve) => {
    const done = (status: grpc.StatusObject) => {
      client.close();
      resolve({ code: status.code, details: status.details });
    };
    const call = path.endsWith("ReplicateStream")
      ? client.makeBidiStreamRequest(path, raw, raw, metadata, options)
      : client.makeClientStreamRequest(path, raw, raw, metadata, options, () => {});
    call.on("status", done);
    call.on("error", () => {}); // the status event carries it
    call.on("data", () => {});
    call.write(Buffer.from(body));
  });
}

/** Opens ReplicateStream, writes `requests`, half-closes; resolves with the final status and the replies. */
function replicateStream(secret: string | null, requests: object[]): Promise<{ code: grpc.status; replies: number }> {
  const metadata = new grpc.Metadata();
  if (secret !== null) metadata.set(clusterKeyHeader, secret);
  metadata.set(clusterIdKey, replica.replica.clusterId());
  const call = peer.ReplicateStream(metadata, { deadline: Date.now() + callMsMax });
  let replies = 0;
  const done = new Promise<{ code: grpc.status; replies: number }>((resolve) => {
    call.on("data", () => {
      replies += 1;
    });
    call.on("status", (status: grpc.StatusObject) => resolve({ code: status.code, replies }));
    call.on("error", () => {}); // the status event carries it
  });
  for (const request of requests) call.write(request);
  call.end();
  return done;
}

function appendRequest(term: number) {
  const entry = { index: 1_000, term, type: "command", data: "{}" };
  return { from: 2, to: 1, term, prevIndex: 999, prevTerm: term, entries: [entry], leaderCommit: 1_000, heartbeatRound: 0 };
}

describe("the peer API", () => {
  test(
    "a vote request without the cluster secret, or with a wrong one, is refused and changes no term",
    async () => {
      const termBefore = replica.replica.node.leaderInfo().term;
      expect((await election(null, termBefore + 50)).code).toBe(grpc.status.UNAUTHENTICATED);
      expect((await election("not-the-secret", termBefore + 50)).code).toBe(grpc.status.UNAUTHENTICATED);
      expect(replica.replica.node.leaderInfo().term).toBe(termBefore);
      expect(() => replica.replica.node.assertLeader()).not.toThrow();
    },
    inProcessReplicaMs,
  );

  test(
    "log shipping without the cluster secret is refused and appends nothing",
    async () => {
      const appliedBefore = replica.replica.service.queries.appliedIndex();
      expect(await replicate(null, 99)).toBe(grpc.status.UNAUTHENTICATED);
      expect(replica.replica.service.queries.appliedIndex()).toBe(appliedBefore);
      expect(() => replica.replica.node.assertLeader()).not.toThrow();
    },
    inProcessReplicaMs,
  );

  test(
    "the Append stream without the cluster secret is refused and appends nothing",
    async () => {
      const appliedBefore = replica.replica.service.queries.appliedIndex();
      expect(await replicateStream(null, [appendRequest(99)])).toEqual({ code: grpc.status.UNAUTHENTICATED, replies: 0 });
      expect(await replicateStream("not-the-secret", [appendRequest(99)])).toEqual({ code: grpc.status.UNAUTHENTICATED, replies: 0 });
      expect(replica.replica.service.queries.appliedIndex()).toBe(appliedBefore);
      expect(() => replica.replica.node.assertLeader()).not.toThrow();
    },
    inProcessReplicaMs,
  );

  test(
    "on the Append stream, a well-formed Append is answered in turn and a malformed one ends the stream with INVALID_ARGUMENT, changing nothing",
    async () => {
      const key = deriveClusterKeys(testSecret).peer;
      const term = replica.replica.node.leaderInfo().term;
      const appliedBefore = replica.replica.service.queries.appliedIndex();
      // A stale-term Append from server 2 is answered (with this leader's term), not applied.
      const stale = { ...appendRequest(Math.max(term - 1, 0)), entries: [] };
      expect(await replicateStream(key, [stale, stale])).toEqual({ code: grpc.status.OK, replies: 2 });
      const malformed = { ...appendRequest(term + 5), entries: [{ index: 1_000, term: term + 5, type: "no-such-type", data: "{}" }] };
      expect((await replicateStream(key, [malformed])).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(replica.replica.service.queries.appliedIndex()).toBe(appliedBefore);
      expect(replica.replica.node.leaderInfo().term).toBe(term);
      expect(() => replica.replica.node.assertLeader()).not.toThrow();
    },
    inProcessReplicaMs,
  );

  test(
    "a caller with the secret is heard, and a leader that holds its lease is not deposed by it",
    async () => {
      const termBefore = replica.replica.node.leaderInfo().term;
      const answer = await election(deriveClusterKeys(testSecret).peer, termBefore + 1);
      // Heard: an answer, "ignored", or (server 2 is no member of this cluster of one) "you were removed"; never UNAUTHENTICATED.
      expect([grpc.status.OK, grpc.status.ABORTED, grpc.status.FAILED_PRECONDITION]).toContain(answer.code);
      expect(answer.granted ?? false).toBe(false);
      expect(() => replica.replica.node.assertLeader()).not.toThrow();
    },
    inProcessReplicaMs,
  );

  test(
    "each purpose has its own key: the cluster secret itself opens no call, the admin key no peer call, the peer key no admin call",
    async () => {
      const keys = deriveClusterKeys(testSecret);
      expect(new Set([testSecret, keys.peer, keys.admin, keys.session.toString("base64url")]).size).toBe(4);
      const termBefore = replica.replica.node.leaderInfo().term;
      for (const wrong of [testSecret, keys.admin]) expect((await election(wrong, termBefore + 50)).code).toBe(grpc.status.UNAUTHENTICATED);
      expect(replica.replica.node.leaderInfo().term).toBe(termBefore);
      expect([grpc.status.OK, grpc.status.ABORTED, grpc.status.FAILED_PRECONDITION]).toContain((await election(keys.peer, termBefore)).code);
      const admin = new chatProto.chat.AdminService(replica.replica.address, grpc.credentials.createInsecure(), channelOptions);
      const status = (key: string) =>
        new Promise<grpc.status>((resolve) => {
          const metadata = new grpc.Metadata();
          metadata.set(clusterKeyHeader, key);
          admin.Status({}, metadata, { deadline: Date.now() + callMsMax }, (error) => resolve(error ? error.code : grpc.status.OK));
        });
      try {
        expect(await status(testSecret)).toBe(grpc.status.UNAUTHENTICATED);
        expect(await status(keys.peer)).toBe(grpc.status.UNAUTHENTICATED);
        expect(await status(keys.admin)).toBe(grpc.status.OK);
      } finally {
        admin.close();
      }
    },
    inProcessReplicaMs,
  );

  test(
    "a server joining at the address of a member is refused at once with ALREADY_EXISTS naming the member, and the membership stays",
    async () => {
      const address = replica.replica.address;
      const stop = new AbortController();
      const startedAt = Date.now();
      const joined = joinCluster(
        [address],
        { id: 2, address },
        { peerKey: deriveClusterKeys(testSecret).peer, tls: null },
        createLogger("joiner", "error"),
        stop.signal,
      ).then(
        () => null,
        (error: Error) => error,
      );
      // The joiner retries refusals that may pass later for up to joinDeadlineMs; this one never will.
      const refusal = await Promise.race([joined, Bun.sleep(joinDeadlineMs / 10).then(() => new Error("still retrying"))]);
      stop.abort();
      expect(refusal?.message).toBe(
        `the cluster refused the join: address ${address} already belongs to server 1; remove server 1 first, or give the new server another address`,
      );
      expect(Date.now() - startedAt).toBeLessThan(joinDeadlineMs / 10);
      const metadata = new grpc.Metadata();
      metadata.set(clusterKeyHeader, deriveClusterKeys(testSecret).peer);
      const status = await new Promise<grpc.status>((resolve) =>
        peer.JoinCluster({ id: 2, address }, metadata, { deadline: Date.now() + callMsMax }, (error) => resolve(error ? error.code : grpc.status.OK)),
      );
      expect(status).toBe(grpc.status.ALREADY_EXISTS);
      expect(replica.replica.node.leaderInfo().replicas.map((member) => member.id)).toEqual([1]);
    },
    inProcessReplicaMs,
  );

  test(
    "secrets are compared whole: a prefix or a longer string does not match",
    () => {
      expect(secretMatches("abcdef", "abcdef")).toBe(true);
      expect(secretMatches("abcdef", "abc")).toBe(false);
      expect(secretMatches("abcdef", "abcdefg")).toBe(false);
      expect(secretMatches("abcdef", undefined)).toBe(false);
    },
    inProcessReplicaMs,
  );
});
