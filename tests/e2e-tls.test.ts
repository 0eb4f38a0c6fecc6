/**
 * Three replicas as real processes with TLS (certificates from
 * src/tools/certs.ts): a TLS client's writes are acknowledged and reach
 * every replica over mutual TLS; the admin tool works with the CA and its
 * certificate. A peer whose certificate another CA signed, or that shows
 * none, is refused even with the right peer key, and nothing reaches any
 * replica's log; a plain-text client and a client trusting another CA get
 * no connection at all.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import * as grpc from "@grpc/grpc-js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChatClient } from "../src/client/chat-client.ts";
import { deriveClusterKeys } from "../src/keys.ts";
import { databaseFileName } from "../src/replica.ts";
import { clusterIdKey } from "../src/rpc/cluster-id.ts";
import { clusterKeyHeader } from "../src/rpc/cluster-secret.ts";
import type { PeerServiceClient } from "../src/rpc/generated/chat/PeerService.ts";
import { chatProto } from "../src/rpc/proto.ts";
import { channelSecurity, loadTls, type TlsMaterial } from "../src/rpc/tls.ts";
import { makeCertificates } from "../src/tools/certs.ts";
import { TestCluster } from "./support/cluster.ts";
import { callMsMax } from "./support/replica.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";

const password = "correct horse battery";
const sendsCount = 20;
/** A client that cannot connect gives up this soon (the default is a failover's 15 s). */
const refusedClientDeadlineMs = 2000;

let cluster: TestCluster;
let rogueDir: string;
/** A CA and certificates that look like ours (same names, same hosts) but are not signed by the cluster's CA. */
let rogue: TlsMaterial;
let clusterCa: TlsMaterial;

beforeAll(async () => {
  cluster = await TestCluster.start(3, { tls: true });
  rogueDir = mkdtempSync(join(tmpdir(), "chat-rogue-ca-"));
  makeCertificates(rogueDir, { replicas: 1 });
  const certsDir = cluster.layout.certsDir!;
  clusterCa = loadTls({ ca: join(certsDir, "ca.crt") }, "optional", certsDir)!;
  // Trusts the cluster's CA (so TLS itself succeeds) but presents a certificate of the rogue CA.
  rogue = loadTls({ ca: join(certsDir, "ca.crt"), cert: join(rogueDir, "replica-1.crt"), key: join(rogueDir, "replica-1.key") }, "optional", rogueDir)!;
}, hookMs);

afterAll(async () => {
  await cluster?.cleanup();
  if (rogueDir) rmSync(rogueDir, { recursive: true, force: true });
}, hookMs);

/** Replica `id`'s last log index, term and cluster id, read from its database file. */
function logState(id: number): { lastIndex: number; term: number; clusterId: string } {
  const db = new Database(join(cluster.member(id).dataDir, databaseFileName), { readonly: true });
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    const last = db.query("SELECT COALESCE(MAX(idx), 0) AS lastIndex FROM log_entries").get() as { lastIndex: number };
    const hard = db.query("SELECT term FROM hard_state WHERE id = 1").get() as { term: number };
    const identity = db.query("SELECT cluster_id AS clusterId FROM replica_identity").get() as { clusterId: string };
    return { lastIndex: last.lastIndex, term: hard.term, clusterId: identity.clusterId };
  } finally {
    db.close();
  }
}

/** A ReplicateOperation that would append one entry right after `id`'s log, in a higher term, with the right peer key. */
function appendAsPeer(id: number, tls: TlsMaterial, peerKey = deriveClusterKeys(cluster.secret).peer): Promise<grpc.ServiceError | null> {
  const address = cluster.member(id).address;
  const { credentials, options } = channelSecurity(tls, address);
  const peer = new chatProto.chat.PeerService(address, credentials, options) as PeerServiceClient;
  const state = logState(id);
  const metadata = new grpc.Metadata();
  metadata.set(clusterKeyHeader, peerKey);
  metadata.set(clusterIdKey, state.clusterId);
  const term = state.term + 1;
  const entry = { index: state.lastIndex + 1, term, type: "command", data: "{}" };
  const request = { from: 9, to: id, term, prevIndex: state.lastIndex, prevTerm: state.term, entries: [entry], leaderCommit: 0, heartbeatRound: 0 };
  return new Promise((resolve) => {
    peer.ReplicateOperation(request, metadata, { deadline: Date.now() + callMsMax }, (error) => {
      peer.close();
      resolve(error);
    });
  });
}

describe("a cluster with TLS", () => {
  test(
    "a TLS client's writes are acknowledged and every replica applies them, over mutual TLS between replicas",
    async () => {
      // A client needs only the CA: the server asks for a certificate but does not require one from clients.
      const alice = new ChatClient({ addresses: cluster.addresses(), tls: clusterCa });
      const bob = new ChatClient({ addresses: cluster.addresses(), tls: clusterCa });
      try {
        await alice.createAccount("alice", password);
        await bob.createAccount("bob", password);
        await alice.login("alice", password);
        for (let n = 0; n < sendsCount; n++) await alice.sendMessage("bob", `over TLS ${n}`);
        const projection = await cluster.converged();
        expect(projection.messages.map((message) => message.text)).toEqual(Array.from({ length: sendsCount }, (_, n) => `over TLS ${n}`));
        for (const id of cluster.ids()) expect(cluster.log(id)).toContain("transport=tls");
      } finally {
        alice.close();
        bob.close();
      }
    },
    childProcessesMs,
  );

  test(
    "the admin tool reaches the cluster with the CA and its client certificate, and is refused without a certificate",
    async () => {
      const certs = cluster.layout.certsDir!;
      const withCertificate = await cluster.admin([
        ...["--tls-ca", join(certs, "ca.crt"), "--tls-cert", join(certs, "admin.crt"), "--tls-key", join(certs, "admin.key")],
        "status",
      ]);
      expect(withCertificate.stderr).toBe("");
      expect(withCertificate.code).toBe(0);
      // A backup streams over the same mutual TLS.
      const backup = await cluster.admin([
        ...["--tls-ca", join(certs, "ca.crt"), "--tls-cert", join(certs, "admin.crt"), "--tls-key", join(certs, "admin.key")],
        ...["backup", join(cluster.layout.directory, "tls-backup.db")],
      ]);
      expect(backup.stderr).toBe("");
      expect(backup.stdout).toContain("backup of applied index");
      const withoutCertificate = await cluster.admin(["--tls-ca", join(certs, "ca.crt"), "status"]);
      expect(withoutCertificate.code).not.toBe(0);
      expect(withoutCertificate.stdout + withoutCertificate.stderr).toContain("client certificate signed by the cluster's CA");
      // A removal is refused the same way, and so changes nothing.
      const removal = await cluster.admin(["--tls-ca", join(certs, "ca.crt"), "remove", "3"]);
      expect(removal.code).not.toBe(0);
      expect(removal.stderr).toContain("client certificate signed by the cluster's CA");
    },
    childProcessesMs,
  );

  test(
    "a peer with the right key but a certificate another CA signed, or none, is refused and nothing reaches any log",
    async () => {
      const before = cluster.ids().map(logState);
      for (const id of cluster.ids()) {
        const forged = await appendAsPeer(id, rogue);
        expect(forged?.code).toBe(grpc.status.UNAUTHENTICATED);
        expect(forged?.details).toContain("client certificate signed by the cluster's CA");
        const bare = await appendAsPeer(id, clusterCa);
        expect(bare?.code).toBe(grpc.status.UNAUTHENTICATED);
      }
      expect(cluster.ids().map(logState)).toEqual(before);
      // The refusals are in the replicas' logs, for the operator.
      expect(cluster.log(1)).toContain("refused peer calls");
      // The positive control, harmless: with a certificate of the cluster's CA the call gets past the TLS check and only the key decides.
      const admitted = await appendAsPeer(1, cluster.clientTls()!, "not-the-peer-key");
      expect(admitted?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(admitted?.details).toBe("peer calls need the cluster secret");
      expect(cluster.ids().map(logState)).toEqual(before);
    },
    childProcessesMs,
  );

  test(
    "a new server joins over mutual TLS and becomes a voter",
    async () => {
      await cluster.join(4);
      await cluster.membershipLists(4, true);
      await cluster.roleBecomes(4, "voter");
    },
    childProcessesMs,
  );

  test(
    "a plain-text client and a client that trusts another CA get no connection and change nothing",
    async () => {
      const before = cluster.ids().map(logState);
      const rogueCa = loadTls({ ca: join(rogueDir, "ca.crt") }, "optional", rogueDir)!;
      for (const tls of [null, rogueCa]) {
        const client = new ChatClient({ addresses: cluster.addresses(), tls, failoverDeadlineMs: refusedClientDeadlineMs });
        try {
          await expect(client.createAccount("mallory", password)).rejects.toThrow();
        } finally {
          client.close();
        }
      }
      expect(cluster.ids().map(logState)).toEqual(before);
    },
    childProcessesMs,
  );
});
