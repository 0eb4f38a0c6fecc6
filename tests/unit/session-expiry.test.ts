/**
 * Sessions end after an idle time: the leader refuses an idle session's
 * requests by its own clock, and the apply loop decides the same by the
 * time the leader stamped into each entry, so every replica agrees.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { deriveClusterKeys } from "../../src/keys.ts";
import { Projections } from "../../src/projections/apply.ts";
import { ChatService, type Caller } from "../../src/service/chat-service.ts";
import { hashToken, newSessionSecret } from "../../src/service/tokens.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { FakeLeader } from "../support/fake-leader.ts";
import { cheapPasswordHashing, testSecret } from "../support/replica.ts";

const open: Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

const idleMs = 60_000;

/** A service on a leader whose clock the test moves. */
function setUp() {
  const db = openDatabase(":memory:");
  open.push(db);
  const projections = new Projections(db);
  const clock = { nowMs: 1_700_000_000_000 };
  const node = new FakeLeader(projections);
  const service = new ChatService(node, projections, {
    sessionKey: deriveClusterKeys(testSecret).session,
    passwordHashing: cheapPasswordHashing,
    sessionIdleMs: idleMs,
    now: () => clock.nowMs,
  });
  return { service, projections, clock, node };
}

async function loggedIn(service: ChatService, username: string): Promise<Caller> {
  await service.createAccount({}, username, "password-1");
  const { token } = await service.login({}, username, "password-1", newSessionSecret());
  return { token };
}

async function failure(action: Promise<unknown>): Promise<unknown> {
  return action.then(
    () => null,
    (error: unknown) => error,
  );
}

describe("a session left idle", () => {
  test("is refused once unused for longer than the idle time, for writes and reads, and nothing is appended", async () => {
    const { service, projections, clock } = setUp();
    const alice = await loggedIn(service, "alice");
    clock.nowMs += idleMs + 1;
    const before = projections.appliedIndex();
    for (const request of [service.sendMessage(alice, "alice", "hello"), service.listMessages(alice, 0, 0), service.readNewMessages(alice, 0)]) {
      expect(await failure(request)).toMatchObject({ code: "UNAUTHENTICATED", message: expect.stringContaining("Session expired") });
    }
    expect(projections.appliedIndex()).toBe(before);
  });

  test("stays alive while it writes: the idle time counts from its last write", async () => {
    const { service, clock } = setUp();
    const alice = await loggedIn(service, "alice");
    for (let step = 0; step < 3; step++) {
      clock.nowMs += idleMs - 1;
      await service.sendMessage(alice, "alice", `still here ${step}`);
    }
    expect((await service.listMessages(alice, 0, 0)).messages).toHaveLength(3);
  });

  test("from a Login written before sessions expired is refused: its token was derived from the cluster secret alone", async () => {
    const { service, node } = setUp();
    node.committedElsewhere.push(
      { type: "CreateAccount", username: "dave", passwordHash: "h" },
      { type: "Login", username: "dave", accountIndex: 1, tokenHash: hashToken("a-token-from-before"), sessionNonce: "n" },
    );
    expect(await failure(service.listMessages({ token: "a-token-from-before" }, 0, 0))).toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringContaining("Session expired"),
    });
  });

  test("ends, and a new login works", async () => {
    const { service, clock } = setUp();
    await loggedIn(service, "alice");
    clock.nowMs += 10 * idleMs;
    const { token } = await service.login({}, "alice", "password-1", newSessionSecret());
    expect((await service.listMessages({ token }, 0, 0)).messages).toEqual([]);
  });
});
