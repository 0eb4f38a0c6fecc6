/**
 * No request, authenticated or not, of any size or number within the
 * limits, delays a leader's consensus loop enough to depose it (issue 8,
 * item 2). A 3-replica cluster holds a few hundred long messages for
 * alice; then come the requests that used to stall the leader for 0.5-3.4 s
 * and cause an election: MarkReads of 3.5 MiB without a token, a
 * ReplicateOperation of megabytes without the peer key, 25 history pages
 * and 25 live-stream catch-ups of one user at once. The leader and its term
 * must be the same afterwards, and each request gets a clear status.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { ChatClient } from "../src/client/chat-client.ts";
import { clientRequestBytesMax, messagePageSizeMax, messageTextBytesMax } from "../src/limits.ts";
import { channelOptions, chatProto } from "../src/rpc/proto.ts";
import { eventLoopStallWarnMs } from "../src/log/raft-node.ts";
import { type LeaderView, TestCluster } from "./support/cluster.ts";
import { rawCall, rawStub } from "./support/raw-client.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";

/** Messages alice holds before the load: enough that a catch-up or a page is megabytes. */
const storedMessages = 300;
const concurrentReaders = 25;
const oversizedRequests = 3;

let cluster: TestCluster;
let leader: LeaderView;
let alice: ChatClient;

beforeAll(async () => {
  cluster = await TestCluster.start<TestCluster>(3);
  const addresses = cluster.running().map((member) => member.address);
  alice = new ChatClient({ addresses });
  const bob = new ChatClient({ addresses });
  await alice.createAccount("alice", "password-1");
  await bob.createAccount("bob", "password-2");
  await alice.login("alice", "password-1");
  await bob.login("bob", "password-2");
  const text = "x".repeat(messageTextBytesMax);
  for (let sent = 0; sent < storedMessages; sent += 20) await Promise.all(Array.from({ length: 20 }, () => bob.sendMessage("alice", text)));
  bob.close();
  leader = await cluster.leader();
}, hookMs);

afterAll(async () => {
  alice?.close();
  await cluster?.cleanup();
});

/** The leader's own reports of late ticks since `from` (a line of its log per tick later than eventLoopStallWarnMs). */
function stallsSince(from: number): number[] {
  const lines = readFileSync(cluster.layout.logFile(leader.id), "utf8").split("\n").slice(from);
  return lines.flatMap((line) => (/event loop stalled/.test(line) ? [Number(/ms=(\d+)/.exec(line)?.[1] ?? 0)] : []));
}

function logLength(): number {
  return readFileSync(cluster.layout.logFile(leader.id), "utf8").split("\n").length;
}

describe("load isolation: the worst requests do not depose the leader", () => {
  test(
    "oversized and unauthenticated requests are refused without being decoded, and the leader keeps its term",
    async () => {
      const from = logLength();
      const stub = rawStub(leader.address);
      const ids = Array.from({ length: 900_000 }, (_, index) => index + 1);
      for (let i = 0; i < oversizedRequests; i++) {
        const result = await rawCall(stub, "MarkRead", { ids });
        expect(result.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
        expect(result.details).toContain(`over the ${clientRequestBytesMax} bytes`);
      }
      const peer = new chatProto.chat.PeerService(leader.address, grpc.credentials.createInsecure(), {
        ...channelOptions,
        "grpc.max_send_message_length": -1,
      });
      const entries = Array.from({ length: 60_000 }, (_, index) => ({ index: index + 1, term: 1, type: "command", data: "a" }));
      try {
        for (let i = 0; i < oversizedRequests; i++) {
          const code = await new Promise<grpc.status>((resolve) =>
            peer.ReplicateOperation({ from: 9, to: leader.id, term: leader.term + 100, entries }, (error: grpc.ServiceError | null) =>
              resolve(error ? error.code : grpc.status.OK),
            ),
          );
          expect(code).toBe(grpc.status.UNAUTHENTICATED);
        }
      } finally {
        peer.close();
        stub.close();
      }
      expect(await cluster.leader()).toEqual(leader);
      console.log(`leader's late ticks under oversized requests (ms): ${stallsSince(from).join(" ") || "none"}`);
    },
    childProcessesMs,
  );

  test(
    "25 history pages and 25 catch-ups of one user take turns (at most a few at once per user) and the leader keeps its term",
    async () => {
      const from = logLength();
      const stub = rawStub(leader.address);
      const auth = { authorization: `Bearer ${alice.token}` };
      const pages = await Promise.all(Array.from({ length: concurrentReaders }, () => rawCall(stub, "ListMessages", { pageSize: messagePageSizeMax }, auth)));
      stub.close();
      const codes = new Set(pages.map((page) => page.code));
      expect([...codes].every((code) => code === grpc.status.OK || code === grpc.status.RESOURCE_EXHAUSTED)).toBe(true);
      expect(pages.some((page) => page.code === grpc.status.OK && (page.reply?.messages as unknown[] | undefined)?.length === messagePageSizeMax)).toBe(true);
      const streams = await Promise.all(
        Array.from(
          { length: concurrentReaders },
          () =>
            new Promise<{ received: number; error?: string }>((resolve) => {
              let received = 0;
              const subscription = alice.subscribe(
                1,
                () => {
                  received += 1;
                  if (received < storedMessages) return;
                  subscription.cancel();
                  resolve({ received });
                },
                (error) => resolve({ received, error: error?.code }),
              );
            }),
        ),
      );
      // Each stream either caught up whole or was refused as one too many of alice's.
      for (const stream of streams) expect(stream.received === storedMessages || stream.error === "RESOURCE_EXHAUSTED").toBe(true);
      expect(streams.some((stream) => stream.received === storedMessages)).toBe(true);
      expect(await cluster.leader()).toEqual(leader);
      console.log(`leader's late ticks under concurrent reads (ms): ${stallsSince(from).join(" ") || "none"} (reported above ${eventLoopStallWarnMs} ms)`);
    },
    childProcessesMs,
  );
});
