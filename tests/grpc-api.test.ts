/**
 * Every RPC of the client API over loopback gRPC against one in-process
 * replica: the happy path, each error path with its status and message,
 * and that a rejected request appends nothing to the log.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { Database } from "bun:sqlite";
import { createHmac } from "node:crypto";
import { join } from "node:path";
import { ChatClient, ChatClientError, type ChatMessage } from "../src/client/chat-client.ts";
import { deriveClusterKeys } from "../src/keys.ts";
import * as limits from "../src/limits.ts";
import { databaseFileName } from "../src/replica.ts";
import { newSessionSecret } from "../src/service/tokens.ts";
import { encodeFields, rawBytesCall, rawCall, rawStub } from "./support/raw-client.ts";
import { conditionMsMax, startTestReplica, testSecret, userClient, waitFor, type TestReplica } from "./support/replica.ts";
import { hookMs, inProcessReplicaMs } from "./support/timeouts.ts";

let replica: TestReplica;
let counter = 0;

beforeAll(async () => {
  replica = await startTestReplica();
}, hookMs);

afterAll(async () => {
  await replica.destroy();
}, hookMs);

/** A fresh username per call, so tests share the replica without colliding. */
function uniqueName(prefix = "user"): string {
  counter += 1;
  return `${prefix}${counter}`;
}

function logLength(): number {
  return replica.replica.service.queries.appliedIndex();
}

/** Runs `action`, expects it to fail with `code` (and a message matching `message`), and no log entry. */
async function expectRejected(action: () => Promise<unknown>, code: string, message?: RegExp | string) {
  const before = logLength();
  const error = await action().then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ChatClientError);
  expect((error as ChatClientError).code).toBe(code);
  if (message) expect((error as ChatClientError).message).toMatch(message);
  expect(logLength()).toBe(before);
}

describe("accounts", () => {
  test(
    "a new account can log in and gets a token and an unread count",
    async () => {
      const name = uniqueName();
      const client = replica.client();
      expect(await client.createAccount(name, "password-1")).toEqual({ username: name });
      const login = await client.login(name, "password-1");
      expect(login.token.length).toBeGreaterThan(20);
      expect(login.unreadCount).toBe(0);
    },
    inProcessReplicaMs,
  );

  test(
    "a taken username is refused with ALREADY_EXISTS",
    async () => {
      const name = uniqueName();
      const client = replica.client();
      await client.createAccount(name, "password-1");
      await expectRejected(() => client.createAccount(name, "password-2"), "ALREADY_EXISTS", "Username already taken");
    },
    inProcessReplicaMs,
  );

  test.each([
    ["ab", "3 to 32 characters"],
    ["x".repeat(limits.usernameLengthMax + 1), "3 to 32 characters"],
    ["has space", "only letters"],
    ["semi;colon", "only letters"],
  ])("the username %p is refused with INVALID_ARGUMENT", async (username, message) => {
    await expectRejected(() => replica.client().createAccount(username, "password-1"), "INVALID_ARGUMENT", message);
  });

  test(
    "a short or oversized password is refused",
    async () => {
      const client = replica.client();
      await expectRejected(() => client.createAccount(uniqueName(), "short"), "INVALID_ARGUMENT", "at least");
      const huge = "p".repeat(limits.passwordBytesMax + 1);
      await expectRejected(() => client.createAccount(uniqueName(), huge), "INVALID_ARGUMENT", "at most");
    },
    inProcessReplicaMs,
  );

  test(
    "password length counts UTF-8 bytes: four two-byte letters are enough, seven bytes are not",
    async () => {
      const name = uniqueName();
      const client = replica.client();
      await expectRejected(() => client.createAccount(uniqueName(), "ééé1"), "INVALID_ARGUMENT", `at least ${limits.passwordBytesMin} bytes`);
      await client.createAccount(name, "éééé");
      expect((await client.login(name, "éééé")).username).toBe(name);
    },
    inProcessReplicaMs,
  );

  test(
    "a request protobuf cannot decode (a cut varint, a cut length) is INVALID_ARGUMENT, not INTERNAL (found by tests/fuzz.test.ts)",
    async () => {
      const address = replica.replica.address;
      for (const [method, bytes] of [
        ["ReadNewMessages", [0x08]],
        ["MarkRead", [0x0a, 0x05, 0x01]],
        ["GetLeaderInfo", [0x0a]],
      ] as const) {
        expect(await rawBytesCall(address, method, Uint8Array.from(bytes))).toMatchObject({
          code: grpc.status.INVALID_ARGUMENT,
          details: "the request is not a well-formed protobuf message",
        });
      }
    },
    inProcessReplicaMs,
  );

  test(
    "every password field has the same upper bound: an oversized password is refused at login and at deletion, unhashed",
    async () => {
      const name = uniqueName();
      const client = await userClient(replica, name);
      const huge = `${"é".repeat(limits.passwordBytesMax / 2)}x`;
      await expectRejected(() => replica.client().login(name, huge), "INVALID_ARGUMENT", `at most ${limits.passwordBytesMax} bytes`);
      await expectRejected(() => client.deleteAccount(huge), "INVALID_ARGUMENT", `at most ${limits.passwordBytesMax} bytes`);
    },
    inProcessReplicaMs,
  );

  test(
    "text that is not valid UTF-8 is refused: the bytes ff x8 and fe x8 are not one password",
    async () => {
      const name = uniqueName();
      const username = new TextEncoder().encode(name);
      const address = replica.replica.address;
      const before = logLength();
      const created = await rawBytesCall(
        address,
        "CreateAccount",
        encodeFields([
          [1, username],
          [2, new Uint8Array(8).fill(0xff)],
        ]),
      );
      expect(created).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "password is not valid UTF-8" });
      expect(logLength()).toBe(before);
      // With the account made from valid text, the other invalid bytes must not log in as it either.
      await replica.client().createAccount(name, "\ufffd".repeat(8));
      const login = await rawBytesCall(
        address,
        "Login",
        encodeFields([
          [1, username],
          [2, new Uint8Array(8).fill(0xfe)],
        ]),
      );
      expect(login).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "password is not valid UTF-8" });
      // What the check cannot walk (a proto2 group, which protobufjs skips) is refused, so no field slips past it.
      const grouped = Uint8Array.of(
        0x1b,
        0x1c,
        ...encodeFields([
          [1, username],
          [2, new Uint8Array(8).fill(0xfe)],
        ]),
      );
      expect(await rawBytesCall(address, "Login", grouped)).toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: "the request is not a well-formed protobuf message",
      });
      // A surrogate half (ED A0 80) and an overlong encoding (C0 AF) are not UTF-8 either, in any text field.
      const sender = await userClient(replica, uniqueName());
      const text = await rawBytesCall(
        address,
        "SendMessage",
        encodeFields([
          [1, username],
          [2, Uint8Array.of(0x68, 0xed, 0xa0, 0x80)],
        ]),
        {
          authorization: `Bearer ${sender.token}`,
        },
      );
      expect(text).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "text is not valid UTF-8" });
      const pattern = await rawBytesCall(address, "ListAccounts", encodeFields([[1, Uint8Array.of(0xc0, 0xaf)]]), { authorization: `Bearer ${sender.token}` });
      expect(pattern).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "pattern is not valid UTF-8" });
    },
    inProcessReplicaMs,
  );

  test(
    "login answers an unknown user and a wrong password alike, so the answer does not tell which names exist",
    async () => {
      const name = uniqueName();
      const client = replica.client();
      await client.createAccount(name, "password-1");
      await expectRejected(() => client.login(uniqueName(), "password-1"), "UNAUTHENTICATED", /^Incorrect username or password$/);
      await expectRejected(() => client.login(name, "wrong-password"), "UNAUTHENTICATED", /^Incorrect username or password$/);
    },
    inProcessReplicaMs,
  );

  test(
    "failed logins are limited per client address: one address guessing across accounts is refused, saying when to retry",
    async () => {
      // A replica of its own: this test spends the loopback address's whole budget.
      const own = await startTestReplica();
      try {
        const client = own.client();
        for (let attempt = 0; attempt < limits.addressPasswordFailuresBurst; attempt++) {
          await expect(client.login(`guess-${attempt}`, "password-1")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
        }
        await expect(client.login("guess-last", "password-1")).rejects.toMatchObject({
          code: "RESOURCE_EXHAUSTED",
          message: `too many failed password checks from this address; retry in ${limits.addressPasswordFailureRefillMs / 1000} s`,
        });
      } finally {
        await own.destroy();
      }
    },
    inProcessReplicaMs,
  );

  test(
    "after logout the token stops working",
    async () => {
      const client = await userClient(replica, uniqueName());
      const token = client.token;
      await client.logout();
      client.token = token;
      await expectRejected(() => client.sendMessage("nobody-here", "hello"), "UNAUTHENTICATED", "log in again");
    },
    inProcessReplicaMs,
  );

  test(
    "calls that need a session are refused without one, or with a forged one",
    async () => {
      const client = replica.client();
      await expectRejected(() => client.sendMessage("someone", "hi"), "UNAUTHENTICATED", "Log in first");
      await expectRejected(() => client.listAccounts(), "UNAUTHENTICATED");
      await expectRejected(() => client.readNewMessages(), "UNAUTHENTICATED");
      client.token = "forged-token";
      await expectRejected(() => client.listMessages(), "UNAUTHENTICATED");
    },
    inProcessReplicaMs,
  );
});

describe("listing accounts", () => {
  test(
    "a wildcard pattern pages through matching accounts in order",
    async () => {
      const prefix = uniqueName("page");
      const viewer = await userClient(replica, uniqueName());
      const names = ["a1", "a2", "b1", "a3", "ab"].map((suffix) => `${prefix}${suffix}`);
      for (const name of names) await replica.client().createAccount(name, "password-1");
      const seen: string[] = [];
      let token = "";
      do {
        const page = await viewer.listAccounts(`${prefix}a*`, 2, token);
        expect(page.usernames.length).toBeLessThanOrEqual(2);
        seen.push(...page.usernames);
        token = page.nextPageToken;
      } while (token);
      expect(seen).toEqual([`${prefix}a1`, `${prefix}a2`, `${prefix}a3`, `${prefix}ab`]);
      const single = await viewer.listAccounts(`${prefix}a?`, 10);
      expect(single.usernames).toEqual([`${prefix}a1`, `${prefix}a2`, `${prefix}a3`, `${prefix}ab`]);
    },
    inProcessReplicaMs,
  );

  test(
    "a bad pattern, page size or page token is refused",
    async () => {
      const viewer = await userClient(replica, uniqueName());
      await expectRejected(() => viewer.listAccounts("[a-z]*"), "INVALID_ARGUMENT", "pattern");
      await expectRejected(() => viewer.listAccounts("*", limits.accountPageSizeMax + 1), "INVALID_ARGUMENT", "page size");
      await expectRejected(() => viewer.listAccounts("*", 10, "!!!"), "INVALID_ARGUMENT", "page token");
    },
    inProcessReplicaMs,
  );
});

describe("messages", () => {
  test(
    "a message waits unread until read, and reading marks it read",
    async () => {
      const alice = await userClient(replica, uniqueName("alice"));
      const bobName = uniqueName("bob");
      const bob = await userClient(replica, bobName);
      const first = await alice.sendMessage(bobName, "one");
      const second = await alice.sendMessage(bobName, "two");
      expect(second.id).toBeGreaterThan(first.id);
      const relogin = await replica.client().login(bobName, "correct horse");
      expect(relogin.unreadCount).toBe(2);
      const read = await bob.readNewMessages(1);
      expect(read.messages.map((message) => message.text)).toEqual(["one"]);
      expect(read.messages[0]!.sender).toBe(alice.username!);
      expect(read.unreadRemaining).toBe(1);
      const rest = await bob.readNewMessages(10);
      expect(rest.messages.map((message) => message.id)).toEqual([second.id]);
      expect((await bob.readNewMessages(10)).messages).toEqual([]);
    },
    inProcessReplicaMs,
  );

  test(
    "sending to a user that does not exist is refused with NOT_FOUND",
    async () => {
      const alice = await userClient(replica, uniqueName());
      await expectRejected(() => alice.sendMessage("ghost-user", "boo"), "NOT_FOUND", "Recipient does not exist: ghost-user");
    },
    inProcessReplicaMs,
  );

  test(
    "empty and oversized message texts are refused",
    async () => {
      const alice = await userClient(replica, uniqueName());
      const bobName = uniqueName();
      await userClient(replica, bobName);
      await expectRejected(() => alice.sendMessage(bobName, "   "), "INVALID_ARGUMENT", "empty");
      const oversized = "x".repeat(limits.messageTextBytesMax + 1);
      await expectRejected(() => alice.sendMessage(bobName, oversized), "RESOURCE_EXHAUSTED", "limit");
    },
    inProcessReplicaMs,
  );

  test(
    "a request larger than the gRPC limit is refused with RESOURCE_EXHAUSTED",
    async () => {
      const stub = rawStub(replica.replica.address);
      const result = await rawCall(stub, "SendMessage", { recipient: "x", text: "y".repeat(limits.grpcMessageBytesMax + 10) });
      stub.close();
      expect(result.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    },
    inProcessReplicaMs,
  );

  test(
    "a read count out of bounds is refused",
    async () => {
      const bob = await userClient(replica, uniqueName());
      await expectRejected(() => bob.readNewMessages(limits.readCountMax + 1), "INVALID_ARGUMENT", "count");
    },
    inProcessReplicaMs,
  );

  test(
    "history pages newest first through sent and received messages",
    async () => {
      const aliceName = uniqueName("alice");
      const bobName = uniqueName("bob");
      const alice = await userClient(replica, aliceName);
      const bob = await userClient(replica, bobName);
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await (i % 2 === 0 ? alice : bob).sendMessage(i % 2 === 0 ? bobName : aliceName, `m${i}`)).id);
      }
      const seen: number[] = [];
      let before = 0;
      do {
        const page = await alice.listMessages(2, before);
        seen.push(...page.messages.map((message) => message.id));
        before = page.nextBeforeId;
      } while (before);
      expect(seen).toEqual([...ids].reverse());
    },
    inProcessReplicaMs,
  );

  test(
    "a user can mark read only messages sent to them",
    async () => {
      const aliceName = uniqueName();
      const alice = await userClient(replica, aliceName);
      const bobName = uniqueName();
      const bob = await userClient(replica, bobName);
      const mallory = await userClient(replica, uniqueName());
      const { id } = await alice.sendMessage(bobName, "private");
      await expectRejected(() => mallory.markRead([id]), "PERMISSION_DENIED", `Message ${id} is not yours`);
      await expectRejected(() => bob.markRead([id + 1_000_000]), "NOT_FOUND", "No message with id");
      expect(await bob.markRead([id])).toEqual({ marked: 1 });
      expect((await bob.readNewMessages(10)).messages).toEqual([]);
    },
    inProcessReplicaMs,
  );
});

describe("deleting messages", () => {
  test(
    "the sender or the recipient can delete a message, and it is gone for both",
    async () => {
      const aliceName = uniqueName();
      const bobName = uniqueName();
      const alice = await userClient(replica, aliceName);
      const bob = await userClient(replica, bobName);
      const { id } = await alice.sendMessage(bobName, "regret");
      expect(await alice.deleteMessages([id])).toEqual({ deleted: 1 });
      expect((await bob.listMessages()).messages).toEqual([]);
    },
    inProcessReplicaMs,
  );

  test(
    "deleting another user's message is refused and deletes nothing",
    async () => {
      const aliceName = uniqueName();
      const bobName = uniqueName();
      const alice = await userClient(replica, aliceName);
      await userClient(replica, bobName);
      const mallory = await userClient(replica, uniqueName());
      const mine = await mallory.sendMessage(aliceName, "from mallory");
      const theirs = await alice.sendMessage(bobName, "not for mallory");
      await expectRejected(() => mallory.deleteMessages([mine.id, theirs.id]), "PERMISSION_DENIED", "not yours");
      const history = await alice.listMessages();
      expect(history.messages.map((message) => message.id).sort()).toEqual([mine.id, theirs.id].sort());
    },
    inProcessReplicaMs,
  );

  test(
    "bad id lists are refused",
    async () => {
      const alice = await userClient(replica, uniqueName());
      await expectRejected(() => alice.deleteMessages([]), "INVALID_ARGUMENT", "no message ids");
      const tooMany = Array.from({ length: limits.idsPerRequestMax + 1 }, (_, index) => index + 1);
      await expectRejected(() => alice.deleteMessages(tooMany), "INVALID_ARGUMENT", "at most");
      await expectRejected(() => alice.deleteMessages([999_999_999]), "NOT_FOUND");
    },
    inProcessReplicaMs,
  );
});

describe("deleting an account", () => {
  test(
    "needs the password, then ends its sessions and removes its pending messages",
    async () => {
      const aliceName = uniqueName("alice");
      const bobName = uniqueName("bob");
      const alice = await userClient(replica, aliceName);
      const bob = await userClient(replica, bobName);
      const toAlice = await bob.sendMessage(aliceName, "to alice");
      const readFromAlice = await alice.sendMessage(bobName, "read from alice");
      await bob.readNewMessages(10);
      const unreadFromAlice = await alice.sendMessage(bobName, "unread from alice");
      await expectRejected(() => alice.deleteAccount("wrong password"), "UNAUTHENTICATED", "Incorrect password");
      const token = alice.token;
      await alice.deleteAccount("correct horse");
      alice.token = token;
      await expectRejected(() => alice.listMessages(), "UNAUTHENTICATED");
      await expectRejected(() => replica.client().login(aliceName, "correct horse"), "UNAUTHENTICATED", "Incorrect username or password");
      const bobHistory = (await bob.listMessages()).messages.map((message) => message.id);
      // Messages to the deleted account and its unread ones are gone; what bob already read stays.
      expect(bobHistory).toEqual([readFromAlice.id]);
      expect(bobHistory).not.toContain(toAlice.id);
      expect(bobHistory).not.toContain(unreadFromAlice.id);
    },
    inProcessReplicaMs,
  );

  test(
    "a new account with a deleted account's name does not inherit its history",
    async () => {
      const name = uniqueName("reborn");
      const friendName = uniqueName();
      const first = await userClient(replica, name);
      const friend = await userClient(replica, friendName);
      await first.sendMessage(friendName, "old life");
      await friend.readNewMessages(10);
      await first.deleteAccount("correct horse");
      const second = await userClient(replica, name);
      expect((await second.listMessages()).messages).toEqual([]);
      expect((await friend.listMessages()).messages.length).toBe(1);
    },
    inProcessReplicaMs,
  );
});

describe("live delivery", () => {
  test(
    "a subscriber receives new messages at once, and only its own",
    async () => {
      const aliceName = uniqueName();
      const bobName = uniqueName();
      const carolName = uniqueName();
      const alice = await userClient(replica, aliceName);
      const bob = await userClient(replica, bobName);
      await userClient(replica, carolName);
      const received: ChatMessage[] = [];
      let open = false;
      const subscription = bob.subscribe(
        0,
        (message) => received.push(message),
        () => {},
        () => (open = true),
      );
      try {
        await waitFor(() => open, conditionMsMax, "subscription to open");
        await alice.sendMessage(carolName, "for carol");
        const { id } = await alice.sendMessage(bobName, "live");
        await waitFor(() => received.some((message) => message.id === id), conditionMsMax, "live message");
        expect(received.every((message) => message.recipient === bobName)).toBe(true);
      } finally {
        subscription.cancel();
      }
    },
    inProcessReplicaMs,
  );

  test(
    "resuming from the last id seen gives no gap and no duplicate",
    async () => {
      const aliceName = uniqueName();
      const bobName = uniqueName();
      const alice = await userClient(replica, aliceName);
      const bob = await userClient(replica, bobName);
      const sent: number[] = [];
      for (let i = 0; i < 5; i++) sent.push((await alice.sendMessage(bobName, `m${i}`)).id);
      const received: number[] = [];
      const subscription = bob.subscribe(
        sent[1]!,
        (message) => received.push(message.id),
        () => {},
      );
      try {
        await waitFor(() => received.length >= 3, conditionMsMax, "catch-up");
        for (let i = 5; i < 8; i++) sent.push((await alice.sendMessage(bobName, `m${i}`)).id);
        await waitFor(() => received.length >= 6, conditionMsMax, "live messages");
        expect(received).toEqual(sent.slice(2));
      } finally {
        subscription.cancel();
      }
    },
    inProcessReplicaMs,
  );

  test(
    "subscribing needs a session, and logging out ends the stream",
    async () => {
      const anonymous = replica.client();
      const refused = await new Promise<ChatClientError | undefined>((resolve) => anonymous.subscribe(0, () => {}, resolve));
      expect(refused?.code).toBe("UNAUTHENTICATED");
      const bob = await userClient(replica, uniqueName());
      let open = false;
      const ended = new Promise<ChatClientError | undefined>((resolve) =>
        bob.subscribe(
          0,
          () => {},
          resolve,
          () => (open = true),
        ),
      );
      await waitFor(() => open, conditionMsMax, "subscription to open");
      const logout = replica.client();
      logout.token = bob.token;
      await logout.logout();
      expect((await ended)?.code).toBe("UNAUTHENTICATED");
    },
    inProcessReplicaMs,
  );
});

describe("exactly-once writes and metadata", () => {
  test(
    "a retried write with the same client id and seq returns the first answer and appends nothing",
    async () => {
      const aliceName = uniqueName();
      const bobName = uniqueName();
      const alice = await userClient(replica, aliceName);
      await userClient(replica, bobName);
      const stub = rawStub(replica.replica.address);
      const headers = { authorization: `Bearer ${alice.token}`, "client-id": "retry-test-client-0001", "client-seq": "7" };
      const first = await rawCall(stub, "SendMessage", { recipient: bobName, text: "once" }, headers);
      const before = logLength();
      const retry = await rawCall(stub, "SendMessage", { recipient: bobName, text: "once" }, headers);
      stub.close();
      expect(first.code).toBe(grpc.status.OK);
      expect(retry.reply).toEqual(first.reply);
      expect(logLength()).toBe(before);
      const history = await alice.listMessages();
      expect(history.messages.filter((message) => message.text === "once").length).toBe(1);
    },
    inProcessReplicaMs,
  );

  test(
    "a retried login answers the same token, and only to the client that sends the same session secret",
    async () => {
      const name = uniqueName();
      await replica.client().createAccount(name, "password-1");
      const stub = rawStub(replica.replica.address);
      const headers = { "client-id": "login-retry-client-01", "client-seq": "1" };
      const login = { username: name, password: "password-1", sessionSecret: newSessionSecret() };
      const first = await rawCall(stub, "Login", login, headers);
      const retry = await rawCall(stub, "Login", login, headers);
      const stranger = await rawCall(stub, "Login", { ...login, sessionSecret: newSessionSecret() }, headers);
      stub.close();
      expect(first.reply?.token).toBeString();
      expect(retry.reply?.token).toBe(first.reply!.token);
      expect(stranger.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(stranger.reply).toBeUndefined();
    },
    inProcessReplicaMs,
  );

  test(
    "a login without a session secret, or with a short one, is refused",
    async () => {
      const name = uniqueName();
      await replica.client().createAccount(name, "password-1");
      const stub = rawStub(replica.replica.address);
      for (const sessionSecret of ["", "short"]) {
        const before = logLength();
        const refused = await rawCall(stub, "Login", { username: name, password: "password-1", sessionSecret });
        expect(refused.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(refused.details).toMatch("session_secret");
        expect(logLength()).toBe(before);
      }
      stub.close();
    },
    inProcessReplicaMs,
  );

  test(
    "whoever holds a replica's database and the cluster secret cannot compute a live session token",
    async () => {
      const name = uniqueName();
      const client = await userClient(replica, name);
      const db = new Database(join(replica.dataDir, databaseFileName), { readonly: true });
      const payloads = db.query("SELECT payload FROM log_entries WHERE type = 'command'").values() as [string][];
      db.close();
      const nonces = payloads
        .map(([payload]) => JSON.parse(payload).op)
        .filter((op) => op.type === "Login" && op.username === name)
        .map((op) => op.sessionNonce);
      expect(nonces).toHaveLength(1);
      const keys = [testSecret, deriveClusterKeys(testSecret).session];
      const forger = replica.client();
      for (const key of keys) {
        forger.token = createHmac("sha256", key).update(nonces[0]).digest("base64url");
        expect(forger.token).not.toBe(client.token);
        await expectRejected(() => forger.listMessages(), "UNAUTHENTICATED");
      }
      expect((await client.listMessages()).messages).toEqual([]);
    },
    inProcessReplicaMs,
  );

  test(
    "a retry older than the client's result window is refused and appends nothing",
    async () => {
      const alice = await userClient(replica, uniqueName());
      const bobName = uniqueName();
      await userClient(replica, bobName);
      const stub = rawStub(replica.replica.address);
      const send = (seq: number) =>
        rawCall(
          stub,
          "SendMessage",
          { recipient: bobName, text: `write ${seq}` },
          { authorization: `Bearer ${alice.token}`, "client-id": "window-test-client-01", "client-seq": String(seq) },
        );
      for (let seq = 1; seq <= limits.clientResultWindowMax + 1; seq++) expect((await send(seq)).code).toBe(grpc.status.OK);
      const lastIndex = replica.replica.node.status().lastIndex;
      const late = await send(1);
      stub.close();
      expect(late.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(late.details).toMatch("too old");
      expect(replica.replica.node.status().lastIndex).toBe(lastIndex);
    },
    inProcessReplicaMs,
  );

  test(
    "a retried logout or delete-account answers success although the first attempt ended the session",
    async () => {
      const stub = rawStub(replica.replica.address);
      for (const [method, request] of [
        ["Logout", {}],
        ["DeleteAccount", { password: "correct horse" }],
      ] as const) {
        const user = await userClient(replica, uniqueName());
        const headers = { authorization: `Bearer ${user.token}`, "client-id": `retry-${method}-client-0001`, "client-seq": "1" };
        const first = await rawCall(stub, method, request, headers);
        const retry = await rawCall(stub, method, request, headers);
        expect([first.code, retry.code]).toEqual([grpc.status.OK, grpc.status.OK]);
      }
      stub.close();
    },
    inProcessReplicaMs,
  );

  test(
    "malformed client-id or client-seq metadata is refused",
    async () => {
      const stub = rawStub(replica.replica.address);
      const cases: Record<string, string>[] = [
        { "client-id": "short", "client-seq": "1" },
        { "client-id": "valid-client-id-000001", "client-seq": "-3" },
        { "client-id": "valid-client-id-000001" },
      ];
      for (const headers of cases) {
        const result = await rawCall(stub, "CreateAccount", { username: uniqueName(), password: "password-1" }, headers);
        expect(result.code).toBe(grpc.status.INVALID_ARGUMENT);
      }
      stub.close();
    },
    inProcessReplicaMs,
  );
});

describe("stored results answer only the request and the caller they belong to", () => {
  /** A (client id, seq) pair as an eavesdropper, or the database, shows it. */
  const pair = (clientId: string, seq: number) => ({ "client-id": clientId, "client-seq": String(seq) });
  const bearer = (token: string | null) => ({ authorization: `Bearer ${token}` });

  test(
    "a replayed ReadNewMessages without the session, or with another user's, gets no private message",
    async () => {
      const victim = await userClient(replica, uniqueName());
      const other = await userClient(replica, uniqueName());
      await other.sendMessage(victim.username!, "private to the victim");
      const stub = rawStub(replica.replica.address);
      const first = await rawCall(stub, "ReadNewMessages", { count: 5 }, { ...bearer(victim.token), ...pair("read-victim-client-01", 1) });
      expect(first.reply?.messages).toHaveLength(1);
      const before = logLength();
      for (const headers of [pair("read-victim-client-01", 1), { ...bearer(other.token), ...pair("read-victim-client-01", 1) }]) {
        const replay = await rawCall(stub, "ReadNewMessages", { count: 5 }, headers);
        expect(replay.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(replay.details).toMatch("different request");
        expect(replay.reply).toBeUndefined();
      }
      stub.close();
      expect(logLength()).toBe(before);
    },
    inProcessReplicaMs,
  );

  test(
    "a replayed Login pair with another username and a wrong password gets no token",
    async () => {
      const victimName = uniqueName();
      await replica.client().createAccount(victimName, "victim-password");
      const stub = rawStub(replica.replica.address);
      const victim = { username: victimName, password: "victim-password", sessionSecret: newSessionSecret() };
      const first = await rawCall(stub, "Login", victim, pair("login-victim-client-1", 1));
      expect(first.code).toBe(grpc.status.OK);
      const replay = await rawCall(
        stub,
        "Login",
        { username: uniqueName(), password: "wrong-password", sessionSecret: newSessionSecret() },
        pair("login-victim-client-1", 1),
      );
      stub.close();
      expect(replay.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(replay.reply).toBeUndefined();
    },
    inProcessReplicaMs,
  );

  test(
    "a replayed Login with the right username is answered only after the password is checked again",
    async () => {
      const victimName = uniqueName();
      await replica.client().createAccount(victimName, "victim-password");
      const stub = rawStub(replica.replica.address);
      const victim = { username: victimName, password: "victim-password", sessionSecret: newSessionSecret() };
      await rawCall(stub, "Login", victim, pair("login-victim-client-2", 1));
      const replay = await rawCall(stub, "Login", { ...victim, password: "wrong-password" }, pair("login-victim-client-2", 1));
      stub.close();
      expect(replay.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(replay.reply).toBeUndefined();
    },
    inProcessReplicaMs,
  );

  test(
    "a stranger who takes a victim's next seq first does not get the victim's next Login answered with the stranger's session",
    async () => {
      const victimName = uniqueName();
      const strangerName = uniqueName();
      await replica.client().createAccount(victimName, "victim-password");
      await replica.client().createAccount(strangerName, "stranger-password");
      const stub = rawStub(replica.replica.address);
      const stranger = { username: strangerName, password: "stranger-password", sessionSecret: newSessionSecret() };
      const stolen = await rawCall(stub, "Login", stranger, pair("login-victim-client-3", 1));
      expect(stolen.code).toBe(grpc.status.OK);
      const victim = await rawCall(
        stub,
        "Login",
        { username: victimName, password: "victim-password", sessionSecret: newSessionSecret() },
        pair("login-victim-client-3", 1),
      );
      stub.close();
      expect(victim.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(victim.reply).toBeUndefined();
    },
    inProcessReplicaMs,
  );

  test(
    "two clients that share a client id by accident do not log the second user in as the first",
    async () => {
      const [firstName, secondName] = [uniqueName(), uniqueName()];
      const first = new ChatClient({ address: replica.replica.address, clientId: "shared-by-accident-01" });
      const second = new ChatClient({ address: replica.replica.address, clientId: "shared-by-accident-01" });
      try {
        await first.createAccount(firstName, "password-1");
        await first.login(firstName, "password-1");
        await replica.client().createAccount(secondName, "password-2");
        await expectRejected(() => second.createAccount(uniqueName(), "password-2"), "INVALID_ARGUMENT", "different request");
        await expectRejected(() => second.login(secondName, "password-2"), "INVALID_ARGUMENT", "different request");
        expect(second.token).toBeNull();
      } finally {
        first.close();
        second.close();
      }
    },
    inProcessReplicaMs,
  );

  test(
    "a seq far beyond the client's newest is refused, and a write planted ahead of a client does not lock it out",
    async () => {
      const victim = await userClient(replica, uniqueName());
      const stranger = await userClient(replica, uniqueName());
      const stub = rawStub(replica.replica.address);
      const send = (token: string | null, seq: number) =>
        rawCall(stub, "SendMessage", { recipient: victim.username!, text: `seq ${seq}` }, { ...bearer(token), ...pair("planted-victim-client", seq) });
      expect((await send(victim.token, 1)).code).toBe(grpc.status.OK);
      const before = logLength();
      const farAhead = await send(stranger.token, Number.MAX_SAFE_INTEGER);
      expect(farAhead.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(farAhead.details).toMatch("too far ahead");
      expect(logLength()).toBe(before);
      expect((await send(stranger.token, 1 + limits.clientSeqAheadMax)).code).toBe(grpc.status.OK);
      expect((await send(victim.token, 2)).code).toBe(grpc.status.OK);
      stub.close();
    },
    inProcessReplicaMs,
  );
});

describe("leader info", () => {
  test(
    "a single replica reports itself as the leader and the only replica",
    async () => {
      const info = await replica.client().getLeaderInfo();
      expect(info.leaderId).toBe(1);
      expect(info.leaderAddress).toBe(replica.replica.address);
      expect(info.replicas).toEqual([{ id: 1, address: replica.replica.address }]);
    },
    inProcessReplicaMs,
  );
});

export type { ChatClient };
