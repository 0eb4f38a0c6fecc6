// Fuzzing the three gRPC APIs of a real replica process: thousands of
// malformed, oversized, truncated and unauthenticated requests (random
// bytes, random protobuf fields of wrong wire types, invalid UTF-8, huge
// repeated fields, cut-off messages), random bytes as HTTP/2 frames, and
// streams opened and abandoned. Every call must end with a clear status
// (never INTERNAL, UNKNOWN or a hang), the replica must keep serving with
// its memory bounded, and nothing may be appended to its log. Inputs come
// from fast-check with a fixed seed, so a failure replays.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../src/config.ts";
import { clientRequestBytesMax, grpcMessageBytesMax } from "../src/limits.ts";
import { databaseFileName } from "../src/replica.ts";
import { deriveClusterKeys } from "../src/keys.ts";
import { clusterKeyHeader } from "../src/rpc/cluster-secret.ts";
import { channelOptions } from "../src/rpc/proto.ts";
import { ChatClient } from "../src/client/chat-client.ts";
import { ProcessGroup } from "../src/tools/processes/process-group.ts";
import { spawnReplica, type ReplicaProcess } from "../src/tools/processes/replica-process.ts";
import { encodeFields } from "./support/raw-client.ts";
import { temporaryDirectory, waitFor } from "./support/replica.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";

const seed = 1212;
/** Inputs per generator; with the fixed ones below, a few thousand requests in all. */
const runsPerGenerator = 500;
/** Calls in flight at once. */
const concurrency = 16;
/** One call's deadline: far above a refusal's time, so a hang shows as DEADLINE_EXCEEDED. */
const callDeadlineMs = 15_000;
/** How much the replica's resident memory may grow over the whole fuzz. */
const memoryGrowthBytesMax = 200 * 1024 * 1024;
/** The fuzz, its setup and its checks; bounded to a minute on a loaded machine. */
const fuzzMsMax = 120_000;
const secret = "fuzz-cluster-secret-0123456789";

const chatMethods = [
  "CreateAccount",
  "Login",
  "Logout",
  "ListAccounts",
  "SendMessage",
  "ReadNewMessages",
  "MarkRead",
  "ListMessages",
  "DeleteMessages",
  "DeleteAccount",
  "GetLeaderInfo",
];
const peerMethods = ["Election", "ReplicateOperation", "TimeoutNow", "JoinCluster"];
const adminMethods = ["Status", "RemoveServer", "TransferLeader"];
/** Statuses that are bugs in a server's answer to any request, however malformed. */
const unclearCodes = new Set([grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.DEADLINE_EXCEEDED, grpc.status.UNIMPLEMENTED, grpc.status.DATA_LOSS]);

const directory = temporaryDirectory("chat-fuzz-");
const processes = new ProcessGroup();
let replica: ReplicaProcess;
let client: grpc.Client;
let token = "";
let requests = 0;
const unclear: string[] = [];

beforeAll(async () => {
  const config = JSON.parse(readFileSync(join(projectRoot, "config.json"), "utf8")) as Record<string, unknown>;
  const configFile = join(directory.path, "config.json");
  writeFileSync(configFile, JSON.stringify({ ...config, password_hashing: { memory_cost: 64, time_cost: 1 } }));
  const dataDir = join(directory.path, "replica-1");
  const args = ["--standalone", "--server_id", "1", "--server_port", "0", "--data_dir", dataDir, "--config", configFile];
  replica = await processes.adopt(spawnReplica({ args, dataDir, secret })).untilServing();
  client = new grpc.Client(replica.address, grpc.credentials.createInsecure(), channelOptions);
  // One account and session, so authenticated calls get past the session check to their bodies.
  const chat = new ChatClient({ address: replica.address });
  await chat.createAccount("fuzzer", "fuzzer-password-1");
  token = (await chat.login("fuzzer", "fuzzer-password-1")).token;
  chat.close();
}, hookMs);

afterAll(async () => {
  client?.close();
  await processes.killAll();
  directory.remove();
}, hookMs);

function lastLogIndex(): number {
  const db = new Database(join(replica.dataDir, databaseFileName), { readonly: true });
  try {
    return (db.query("SELECT MAX(idx) AS last FROM log_entries").get() as { last: number }).last;
  } finally {
    db.close();
  }
}

function residentBytes(): number {
  const status = readFileSync(`/proc/${replica.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

interface FuzzCall {
  path: string;
  body: Uint8Array;
  headers?: Record<string, string>;
}

/** One unary call with the raw bytes as its request; records any unclear status. */
function call({ path, body, headers = {} }: FuzzCall): Promise<void> {
  requests++;
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (bytes: Uint8Array) => Buffer.from(bytes),
      (bytes: Buffer) => bytes,
      body,
      metadata,
      { deadline: Date.now() + callDeadlineMs },
      (error) => {
        if (error && (unclearCodes.has(error.code) || !error.details)) {
          unclear.push(`${path} (${body.byteLength} bytes): ${grpc.status[error.code]} "${error.details}"`);
        }
        resolve();
      },
    );
  });
}

async function callAll(calls: FuzzCall[]): Promise<void> {
  for (let start = 0; start < calls.length; start += concurrency) await Promise.all(calls.slice(start, start + concurrency).map(call));
}

function sample<T>(arbitrary: fc.Arbitrary<T>, offset: number): T[] {
  return fc.sample(arbitrary, { seed: seed + offset, numRuns: runsPerGenerator });
}

const chatPath = (method: string) => `/chat.ChatService/${method}`;
const everyPath = [...chatMethods.map(chatPath), ...peerMethods.map((m) => `/chat.PeerService/${m}`), ...adminMethods.map((m) => `/chat.AdminService/${m}`)];

/** A protobuf field of any wire type, the number and type chosen freely (often not the schema's). */
const anyField = fc.oneof(
  fc.record({ number: fc.integer({ min: 1, max: 20 }), wire: fc.constant(0), value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
  fc.record({ number: fc.integer({ min: 1, max: 20 }), wire: fc.constant(2), value: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ number: fc.integer({ min: 1, max: 20 }), wire: fc.constantFrom(1, 5), value: fc.uint8Array({ minLength: 8, maxLength: 8 }) }),
);

function varint(value: bigint): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return out;
}

function encodeAny(fields: { number: number; wire: number; value: bigint | Uint8Array }[]): Uint8Array {
  const out: number[] = [];
  for (const field of fields) {
    out.push(...varint(BigInt((field.number << 3) | field.wire)));
    if (field.wire === 0) out.push(...varint(field.value as bigint));
    else if (field.wire === 2) out.push(...varint(BigInt((field.value as Uint8Array).length)), ...(field.value as Uint8Array));
    else out.push(...(field.value as Uint8Array).slice(0, field.wire === 1 ? 8 : 4));
  }
  return Uint8Array.from(out);
}

/** Bytes that are never valid UTF-8 (a lone continuation byte, an overlong form, a surrogate, 0xff), amid text. */
const invalidUtf8 = fc
  .tuple(
    fc.string({ maxLength: 20 }),
    fc.constantFrom([0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff], [0xf8, 0x88, 0x80, 0x80, 0x80]),
    fc.string({ maxLength: 20 }),
  )
  .map(([before, bad, after]) => Uint8Array.from([...Buffer.from(before), ...bad, ...Buffer.from(after)]));

test(
  "malformed, oversized, truncated and unauthenticated requests each get a clear status, change nothing, and leave the replica serving",
  async () => {
    await waitFor(async () => lastLogIndex() > 0, childProcessesMs, "the replica's first entries");
    const before = lastLogIndex();
    const memoryBefore = residentBytes();
    const bearer = { authorization: `Bearer ${token}` };
    const garbageHeaders = fc.record({
      authorization: fc.string({ maxLength: 200 }).map((text) => `Bearer ${text}`),
      "x-cluster-key": fc.string({ maxLength: 80 }),
    });

    // Random bytes to every method of every API, without credentials or with garbage ones.
    await callAll(
      sample(fc.tuple(fc.constantFrom(...everyPath), fc.uint8Array({ maxLength: 2048 }), fc.option(garbageHeaders)), 1).map(([path, body, headers]) => ({
        path,
        body,
        headers: headers ?? {},
      })),
    );
    // Random protobuf fields (wrong numbers, wrong wire types) to every method, and to the client API with a valid session;
    // CreateAccount gets only those that cannot be a valid account (invalid UTF-8 below), or it would append.
    const fieldsCalls = sample(fc.tuple(fc.constantFrom(...everyPath), fc.array(anyField, { maxLength: 8 })), 2);
    await callAll(fieldsCalls.filter(([path]) => !path.endsWith("/CreateAccount")).map(([path, fields]) => ({ path, body: encodeAny(fields) })));
    const sessionCalls = sample(
      fc.tuple(
        fc.constantFrom(...chatMethods.filter((m) => m !== "CreateAccount" && m !== "DeleteAccount" && m !== "Logout")),
        fc.array(anyField, { maxLength: 8 }),
      ),
      3,
    );
    await callAll(
      sessionCalls
        .map(([method, fields]) => ({
          path: chatPath(method),
          body: encodeAny(fields.map((field) => (field.wire === 2 ? field : { ...field, number: 99 }))),
          headers: bearer,
        }))
        .filter(({ path }) => !path.endsWith("/SendMessage") && !path.endsWith("/Login")),
    );
    // The peer and admin APIs past their key check: the peer key without a cluster id (so nothing acts on what decodes),
    // the admin key on Status only (a removal or transfer that decoded would act).
    const keys = deriveClusterKeys(secret);
    const keyed = sample(
      fc.tuple(fc.constantFrom(...peerMethods, "Status"), fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.array(anyField, { maxLength: 6 }).map(encodeAny))),
      7,
    );
    await callAll(
      keyed.map(([method, body]) =>
        method === "Status"
          ? { path: "/chat.AdminService/Status", body, headers: { [clusterKeyHeader]: keys.admin } }
          : { path: `/chat.PeerService/${method}`, body, headers: { [clusterKeyHeader]: keys.peer } },
      ),
    );
    // Invalid UTF-8 in each string field of the client API, with and without a session.
    const utf8Calls = sample(
      fc.tuple(
        fc.constantFrom("CreateAccount", "Login", "SendMessage", "ListAccounts", "DeleteAccount"),
        fc.integer({ min: 1, max: 3 }),
        invalidUtf8,
        fc.boolean(),
      ),
      4,
    );
    await callAll(
      utf8Calls.map(([method, field, bytes, withSession]) => ({
        path: chatPath(method),
        body: encodeFields([
          [field, bytes],
          [field === 1 ? 2 : 1, Buffer.from("fuzzer-valid-part")],
        ]),
        headers: withSession ? bearer : {},
      })),
    );
    // Huge repeated fields: past the client API's request bound, and past gRPC's own.
    for (const size of [clientRequestBytesMax + 1, 1024 * 1024, grpcMessageBytesMax + 1024]) {
      const ids = new Uint8Array(size).fill(0x01);
      const packed = Uint8Array.from([...varint(BigInt((1 << 3) | 2)), ...varint(BigInt(size))]);
      const body = new Uint8Array(packed.length + size);
      body.set(packed);
      body.set(ids, packed.length);
      await callAll(["MarkRead", "DeleteMessages", "SendMessage", "CreateAccount"].map((method) => ({ path: chatPath(method), body, headers: bearer })));
      await callAll(["/chat.PeerService/ReplicateOperation", "/chat.AdminService/RemoveServer"].map((path) => ({ path, body })));
    }
    // Truncated messages: a field's length promising more bytes than follow.
    const truncated = sample(
      fc.tuple(fc.constantFrom(...everyPath.filter((p) => !p.endsWith("/CreateAccount"))), fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat()),
      5,
    );
    await callAll(
      truncated.map(([path, bytes, cut]) => {
        const whole = encodeFields([[2, bytes]]);
        return { path, body: whole.slice(0, 1 + (cut % (whole.length - 1))), headers: bearer };
      }),
    );
    await abandonStreams();
    await http2Garbage();

    expect(unclear).toEqual([]);
    expect(replica.running()).toBe(true);
    // Still serving: a real call through the library answers.
    const chat = new ChatClient({ address: replica.address });
    expect((await chat.getLeaderInfo()).leaderId).toBe(1);
    chat.close();
    expect(lastLogIndex()).toBe(before);
    expect(residentBytes() - memoryBefore).toBeLessThan(memoryGrowthBytesMax);
    console.log(`fuzz: ${requests} requests, log unchanged at ${before}, memory ${Math.round(memoryBefore / 1e6)} → ${Math.round(residentBytes() / 1e6)} MB`);
  },
  fuzzMsMax,
);

/** Subscribe and InstallSnapshot streams opened with and without credentials, then dropped without a goodbye. */
async function abandonStreams(): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const streamClient = new grpc.Client(replica.address, grpc.credentials.createInsecure(), channelOptions);
    const metadata = new grpc.Metadata();
    if (round % 2 === 0) metadata.set("authorization", `Bearer ${token}`);
    const subscribe = streamClient.makeServerStreamRequest(
      chatPath("Subscribe"),
      (bytes: Uint8Array) => Buffer.from(bytes),
      (bytes: Buffer) => bytes,
      Uint8Array.from([0x08, round]),
      metadata,
    );
    subscribe.on("error", () => {});
    const snapshot = streamClient.makeClientStreamRequest(
      "/chat.PeerService/InstallSnapshot",
      (bytes: Uint8Array) => Buffer.from(bytes),
      (bytes: Buffer) => bytes,
      new grpc.Metadata(),
      () => {},
    );
    snapshot.write(Buffer.from(encodeFields([[3, new Uint8Array(round * 10)]])));
    requests += 2;
    // Half are cancelled, half just left behind with their channel closed under them.
    if (round % 2 === 0) {
      subscribe.cancel();
      snapshot.cancel();
    }
    streamClient.close();
  }
}

/** Raw TCP connections that speak random bytes, with and without HTTP/2's preface: the server must drop them and carry on. */
async function http2Garbage(): Promise<void> {
  const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  const inputs = sample(fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 4096 })), 6);
  const [host, port] = [replica.address.split(":")[0]!, Number(replica.address.split(":")[1])];
  for (let start = 0; start < inputs.length; start += concurrency) {
    await Promise.all(
      inputs.slice(start, start + concurrency).map(async ([withPreface, bytes]) => {
        requests++;
        const closed = Promise.withResolvers<void>();
        const socket = await Bun.connect({
          hostname: host,
          port,
          socket: { data: () => {}, close: () => closed.resolve(), error: () => closed.resolve() },
        });
        socket.write(withPreface ? Buffer.concat([preface, bytes]) : bytes);
        // The server closes a connection it cannot parse; one that waits for more bytes is closed here after a moment.
        await Promise.race([closed.promise, Bun.sleep(200)]);
        socket.terminate();
      }),
    );
  }
}
