/**
 * Answers decided on a leader's local state without a proposal (rejections,
 * "nothing unread", a retry's answer) are given only after a read barrier
 * (ReadIndex, dissertation §6.4). A leader cut off from the majority keeps
 * its role for up to two election timeouts, and its state then lacks what a
 * newer leader committed: its read barrier fails, and so must the request.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { deriveClusterKeys } from "../../src/keys.ts";
import { NotLeaderError } from "../../src/log/errors.ts";
import { Projections } from "../../src/projections/apply.ts";
import { ChatError } from "../../src/projections/operations.ts";
import { ChatService, type Caller } from "../../src/service/chat-service.ts";
import { hashToken, newSessionSecret } from "../../src/service/tokens.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { FakeLeader } from "../support/fake-leader.ts";
import { cheapPasswordHashing, testSecret } from "../support/replica.ts";

const open: Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function setUp() {
  const db = openDatabase(":memory:");
  open.push(db);
  const projections = new Projections(db);
  const node = new FakeLeader(projections);
  const service = new ChatService(node, projections, { sessionKey: deriveClusterKeys(testSecret).session, passwordHashing: cheapPasswordHashing });
  return { node, service };
}

/** A logged-in user: the caller carrying their session token. */
async function loggedIn(service: ChatService, username: string, password = "password-1"): Promise<Caller> {
  await service.createAccount({}, username, password);
  const { token } = await service.login({}, username, password, newSessionSecret());
  return { token };
}

async function failure(action: Promise<unknown>): Promise<unknown> {
  return action.then(
    () => null,
    (error: unknown) => error,
  );
}

type Setup = ReturnType<typeof setUp>;

/** Each kind of answer a leader could give from its local state alone, set up on a leader about to be deposed. */
const staleAnswers: [string, (setup: Setup) => Promise<() => Promise<unknown>>][] = [
  [
    "unknown user (login)",
    async ({ service }) =>
      () =>
        service.login({}, "bob", "password-1", newSessionSecret()),
  ],
  [
    "Incorrect password (login)",
    async ({ service }) => {
      await service.createAccount({}, "alice", "password-1");
      return () => service.login({}, "alice", "password-2", newSessionSecret());
    },
  ],
  [
    "Recipient does not exist",
    async ({ service }) => {
      const alice = await loggedIn(service, "alice");
      return () => service.sendMessage(alice, "bob", "hello");
    },
  ],
  [
    "UNAUTHENTICATED (no such session)",
    async ({ service }) =>
      () =>
        service.sendMessage({ token: "a-session-made-elsewhere" }, "bob", "hi"),
  ],
  [
    "UNAUTHENTICATED (subscribe)",
    async ({ service }) =>
      () =>
        service.identify({ token: "a-session-made-elsewhere" }),
  ],
  [
    "Username already taken",
    async ({ service }) => {
      await service.createAccount({}, "alice", "password-1");
      return () => service.createAccount({}, "alice", "password-2");
    },
  ],
  [
    "No message with id (delete)",
    async ({ service }) => {
      const alice = await loggedIn(service, "alice");
      return () => service.deleteMessages(alice, [999]);
    },
  ],
  [
    "Incorrect password (delete account)",
    async ({ service }) => {
      const alice = await loggedIn(service, "alice");
      return () => service.deleteAccount(alice, "password-2");
    },
  ],
  [
    "nothing unread",
    async ({ service }) => {
      const alice = await loggedIn(service, "alice");
      return () => service.readNewMessages(alice, 10);
    },
  ],
  [
    "a retried ReadNewMessages (unread count from local state)",
    async ({ service }) => {
      const alice = await loggedIn(service, "alice");
      const bob = await loggedIn(service, "bob");
      await service.sendMessage(bob, "alice", "hi");
      const retried = { ...alice, request: { clientId: "client-of-alice-0001", seq: 1 } };
      await service.readNewMessages(retried, 10);
      return () => service.readNewMessages(retried, 10);
    },
  ],
];

describe("a deposed leader never answers from stale state", () => {
  test.each(staleAnswers)("%s: fails with NotLeaderError (UNAVAILABLE) when the read barrier fails", async (_name, prepare) => {
    const setup = setUp();
    const request = await prepare(setup);
    setup.node.deposed = true;
    const error = await failure(request());
    expect(error).toBeInstanceOf(NotLeaderError);
    expect(setup.node.readBarriers).toBe(1);
  });
});

describe("an answer from local state reflects what was committed before the request", () => {
  test("a user the majority created is found after the read barrier: login succeeds", async () => {
    const { node, service } = setUp();
    const passwordHash = await Bun.password.hash("password-1", { algorithm: "argon2id", ...cheapPasswordHashing });
    node.committedElsewhere.push({ type: "CreateAccount", username: "bob", passwordHash });
    const login = await service.login({}, "bob", "password-1", newSessionSecret());
    expect(login.username).toBe("bob");
    expect(node.readBarriers).toBe(1);
  });

  test("a username taken by an entry committed first is refused by the proposal's own result, with no read barrier", async () => {
    const { node, service } = setUp();
    node.committedElsewhere.push({ type: "CreateAccount", username: "bob", passwordHash: "x" });
    const error = await failure(service.createAccount({}, "bob", "password-1"));
    expect(error).toBeInstanceOf(ChatError);
    expect((error as ChatError).code).toBe("ALREADY_EXISTS");
    expect(node.readBarriers).toBe(0);
  });

  test("a rejection still standing after the read barrier is answered as such", async () => {
    const { node, service } = setUp();
    const error = await failure(service.login({}, "nobody", "password-1", newSessionSecret()));
    expect((error as ChatError).code).toBe("UNAUTHENTICATED");
    expect(node.readBarriers).toBe(1);
  });
});

describe("ReadNewMessages answers as of one point of the log", () => {
  test("a read takes the oldest unread messages as of its own commit, and counts what remains at that same point", async () => {
    const { node, service } = setUp();
    const alice = await loggedIn(service, "alice");
    const bob = await loggedIn(service, "bob");
    await service.sendMessage(bob, "alice", "m1");
    // The majority commits another message to alice before her read's entry: it is older than the read.
    node.committedElsewhere.push({ type: "SendMessage", username: "bob", tokenHash: hashToken(bob.token!), recipient: "alice", text: "m2" });
    const read = await service.readNewMessages(alice, 5);
    expect({ texts: read.messages.map((message) => message.text), unreadRemaining: read.unreadRemaining }).toEqual({ texts: ["m1", "m2"], unreadRemaining: 0 });
  });
});

describe("the write path is unchanged", () => {
  test("successful writes and a read that finds messages pass no read barrier: their commit confirms leadership", async () => {
    const { node, service } = setUp();
    const alice = await loggedIn(service, "alice");
    const bob = await loggedIn(service, "bob");
    await service.sendMessage(bob, "alice", "hi");
    const read = await service.readNewMessages(alice, 10);
    expect(read.messages.map((message) => message.text)).toEqual(["hi"]);
    await service.logout(bob);
    expect(node.readBarriers).toBe(0);
  });

  test("a retried write gets its stored first answer without a read barrier: it came from a committed entry", async () => {
    const { node, service } = setUp();
    const caller = { request: { clientId: "client-of-carol-001", seq: 1 } };
    await service.createAccount(caller, "carol", "password-1");
    node.deposed = true;
    expect(await service.createAccount(caller, "carol", "password-1")).toEqual({ username: "carol" });
    expect(node.readBarriers).toBe(0);
  });
});
