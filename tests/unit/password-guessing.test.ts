/**
 * Password guessing is not free: failed checks are limited per account and
 * per client address, the hashes running at once are bounded, and an
 * unknown user is answered as a wrong password is, after the same work.
 * The chat service runs on a leader that commits at once, with a hasher
 * that counts (and can hold) its work and a clock the test moves.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import * as limits from "../../src/limits.ts";
import { OverloadedError } from "../../src/log/errors.ts";
import type { LeaderInfo, ReplicaNode } from "../../src/log/replica-node.ts";
import { Projections, type AppliedResult } from "../../src/projections/apply.ts";
import { ChatError } from "../../src/projections/operations.ts";
import { peerHost } from "../../src/rpc/chat-server.ts";
import { FailureBudget } from "../../src/service/attempt-limits.ts";
import { argon2Hasher, ChatService, type PasswordHasher } from "../../src/service/chat-service.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { newSessionSecret } from "../../src/service/tokens.ts";
import { deriveClusterKeys } from "../../src/keys.ts";
import { simPasswords } from "../../src/tools/sim/whole/replica.ts";
import { testSecret } from "../support/replica.ts";

const open: Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

/** A leader whose proposals commit at once and whose barriers always pass. */
class InstantLeader implements ReplicaNode<AppliedResult> {
  constructor(private readonly projections: Projections) {}
  async propose(payload: string): Promise<AppliedResult> {
    const index = this.projections.appliedIndex() + 1;
    return this.projections.apply([{ index, term: 1, type: "command", data: payload }])[0]!;
  }
  assertLeader(): void {}
  async writeBarrier(): Promise<void> {}
  async readBarrier(): Promise<void> {}
  leaderInfo(): LeaderInfo {
    return { leaderId: 1, leaderAddress: "127.0.0.1:1", term: 1, replicas: [], selfId: 1 };
  }
  onLeadershipLost(): () => void {
    return () => {};
  }
  async close(): Promise<void> {}
}

/** The simulator's cheap hasher, counting its work; while `hold` is set every call waits until `release`. */
class CountingHasher implements PasswordHasher {
  hashes = 0;
  verifies = 0;
  running = 0;
  mostRunning = 0;
  hold = false;
  private held: (() => void)[] = [];

  hash(password: string): Promise<string> {
    this.hashes += 1;
    return this.work(() => simPasswords.hash(password));
  }

  verify(password: string, hash: string): Promise<boolean> {
    this.verifies += 1;
    return this.work(() => simPasswords.verify(password, hash));
  }

  release(): void {
    this.hold = false;
    for (const wake of this.held.splice(0)) wake();
  }

  private async work<T>(run: () => Promise<T>): Promise<T> {
    this.running += 1;
    this.mostRunning = Math.max(this.mostRunning, this.running);
    try {
      if (this.hold) await new Promise<void>((wake) => this.held.push(wake));
      return await run();
    } finally {
      this.running -= 1;
    }
  }
}

function setUp() {
  const db = openDatabase(":memory:");
  open.push(db);
  const projections = new Projections(db);
  const hasher = new CountingHasher();
  const clock = { nowMs: 1_000_000_000 };
  const service = new ChatService(new InstantLeader(projections), projections, {
    sessionKey: deriveClusterKeys(testSecret).session,
    passwords: hasher,
    now: () => clock.nowMs,
  });
  return { service, hasher, clock, appliedIndex: () => projections.appliedIndex() };
}

async function failure(action: Promise<unknown>): Promise<Error> {
  const error = await action.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

async function expectChatError(action: Promise<unknown>, code: string, message: string | RegExp): Promise<void> {
  const error = await failure(action);
  expect(error).toBeInstanceOf(ChatError);
  expect({ code: (error as ChatError).code, message: error.message }).toMatchObject({ code, message: expect.stringMatching(message) });
}

const right = "right-password";
const wrong = "wrong-password";

describe("an unknown user and a wrong password", () => {
  test("get one status and one message, after one password check each", async () => {
    const { service, hasher } = setUp();
    await service.createAccount({}, "alice", right);
    const verifiesBefore = hasher.verifies;
    await expectChatError(service.login({}, "nobody", right, newSessionSecret()), "UNAUTHENTICATED", /^Incorrect username or password$/);
    expect(hasher.verifies - verifiesBefore).toBe(1);
    await expectChatError(service.login({}, "alice", wrong, newSessionSecret()), "UNAUTHENTICATED", /^Incorrect username or password$/);
    expect(hasher.verifies - verifiesBefore).toBe(2);
  });
});

describe("failed password checks are limited", () => {
  test("per account: past its budget even the right password is refused, saying when to retry; one refill later one more is heard", async () => {
    const { service, hasher, clock, appliedIndex } = setUp();
    await service.createAccount({}, "alice", right);
    for (let attempt = 0; attempt < limits.accountPasswordFailuresBurst; attempt++) {
      await expectChatError(service.login({ peer: `10.0.0.${attempt}` }, "alice", wrong, newSessionSecret()), "UNAUTHENTICATED", "Incorrect");
    }
    const verifies = hasher.verifies;
    const entries = appliedIndex();
    const retrySeconds = limits.accountPasswordFailureRefillMs / 1000;
    const refused = new RegExp(`^too many failed password checks for alice; retry in ${retrySeconds} s$`);
    await expectChatError(service.login({ peer: "10.0.1.1" }, "alice", wrong, newSessionSecret()), "RESOURCE_EXHAUSTED", refused);
    await expectChatError(service.login({ peer: "10.0.1.2" }, "alice", right, newSessionSecret()), "RESOURCE_EXHAUSTED", refused);
    expect({ verifies: hasher.verifies, entries: appliedIndex() }).toEqual({ verifies, entries });
    clock.nowMs += limits.accountPasswordFailureRefillMs;
    expect((await service.login({}, "alice", right, newSessionSecret())).username).toBe("alice");
  });

  test("per account, for DeleteAccount's password too", async () => {
    const { service } = setUp();
    await service.createAccount({}, "alice", right);
    const session = { token: (await service.login({}, "alice", right, newSessionSecret())).token };
    for (let attempt = 0; attempt < limits.accountPasswordFailuresBurst; attempt++) {
      await expectChatError(service.deleteAccount(session, wrong), "UNAUTHENTICATED", "Incorrect password");
    }
    await expectChatError(service.deleteAccount(session, right), "RESOURCE_EXHAUSTED", "too many failed password checks for alice");
  });

  test("per address: one address guessing across many accounts is refused past its budget, another address is heard", async () => {
    const { service } = setUp();
    for (let attempt = 0; attempt < limits.addressPasswordFailuresBurst; attempt++) {
      await expectChatError(service.login({ peer: "10.0.0.1" }, `user${attempt}`, wrong, newSessionSecret()), "UNAUTHENTICATED", "Incorrect");
    }
    const retrySeconds = limits.addressPasswordFailureRefillMs / 1000;
    await expectChatError(
      service.login({ peer: "10.0.0.1" }, "someone-else", wrong, newSessionSecret()),
      "RESOURCE_EXHAUSTED",
      new RegExp(`^too many failed password checks from this address; retry in ${retrySeconds} s$`),
    );
    await expectChatError(service.login({ peer: "10.0.0.2" }, "user0", wrong, newSessionSecret()), "UNAUTHENTICATED", "Incorrect");
  });

  test("a user who logs in again and again with the right password is never refused", async () => {
    const { service } = setUp();
    await service.createAccount({ peer: "10.0.0.1" }, "alice", right);
    for (let login = 0; login < 3 * limits.addressPasswordFailuresBurst; login++) {
      expect((await service.login({ peer: "10.0.0.1" }, "alice", right, newSessionSecret())).username).toBe("alice");
    }
  });

  test("a leader clock that jumps back a day refuses for at most one refill interval", async () => {
    const { service, clock } = setUp();
    await service.createAccount({}, "alice", right);
    for (let attempt = 0; attempt <= limits.accountPasswordFailuresBurst; attempt++) await failure(service.login({}, "alice", wrong, newSessionSecret()));
    clock.nowMs -= 24 * 3600_000;
    await expectChatError(service.login({}, "alice", right, newSessionSecret()), "RESOURCE_EXHAUSTED", "too many failed password checks");
    clock.nowMs += limits.accountPasswordFailureRefillMs;
    expect((await service.login({}, "alice", right, newSessionSecret())).username).toBe("alice");
  });
});

describe("password work is bounded", () => {
  test("hashes run one replica-wide bound at a time; more wait their turn, and past the waiting bound are refused at once", async () => {
    const { service, hasher } = setUp();
    const admitted = limits.passwordHashesRunningMax + limits.passwordHashesWaitingMax;
    for (let index = 0; index < admitted; index += 2) await service.createAccount({}, `user${index}`, right);
    await service.createAccount({}, "alice", right);
    hasher.hold = true;
    // Logins and new accounts alike: every hash and verification takes a turn.
    const pending = Array.from({ length: admitted }, (_, index) =>
      index % 2 === 0
        ? service.login({ peer: `10.0.0.${index}` }, `user${index}`, right, newSessionSecret())
        : service.createAccount({ peer: `10.0.0.${index}` }, `user${index}`, right),
    );
    await Bun.sleep(0);
    expect(hasher.running).toBe(limits.passwordHashesRunningMax);
    const refused = await failure(service.login({ peer: "10.0.1.1" }, "alice", right, newSessionSecret()));
    expect(refused).toBeInstanceOf(OverloadedError);
    expect(refused.message).toBe(`replica overloaded: ${limits.passwordHashesWaitingMax} password checks are waiting; retry in a second`);
    hasher.release();
    await Promise.all(pending);
    expect(hasher.mostRunning).toBe(limits.passwordHashesRunningMax);
  });

  test("one address has at most its share of password checks in progress", async () => {
    const { service, hasher } = setUp();
    await service.createAccount({}, "alice", right);
    hasher.hold = true;
    const pending = Array.from({ length: limits.passwordChecksPerAddressMax }, () => service.login({ peer: "10.0.0.1" }, "alice", right, newSessionSecret()));
    await expectChatError(
      service.login({ peer: "10.0.0.1" }, "alice", right, newSessionSecret()),
      "RESOURCE_EXHAUSTED",
      new RegExp(`^this address has ${limits.passwordChecksPerAddressMax} password checks in progress; retry once one is answered$`),
    );
    hasher.release();
    await Promise.all(pending);
  });

  test("Bun.password hashes on a worker thread: the event loop, which runs the consensus clock, keeps turning meanwhile", async () => {
    // config.json's costs; a synchronous hash would let no timer fire until it returned.
    const hasher = argon2Hasher({ memoryCost: 19_456, timeCost: 2 });
    let turns = 0;
    const timer = setInterval(() => (turns += 1), 1);
    const started = performance.now();
    await hasher.hash(right);
    const hashMs = performance.now() - started;
    clearInterval(timer);
    expect(hashMs).toBeGreaterThan(5);
    expect(turns).toBeGreaterThanOrEqual(2);
  });
});

describe("failure records", () => {
  test("are bounded: past the bound the least recently seen is forgotten", () => {
    let nowMs = 0;
    const budget = new FailureBudget({ burst: 1, refillMs: 60_000, recordsMax: 2 }, () => nowMs);
    budget.spend("a");
    budget.spend("b");
    expect(budget.waitMs("a")).toBe(60_000);
    nowMs += 1;
    budget.spend("c");
    expect(budget.size).toBe(2);
    expect(budget.waitMs("a")).toBe(0); // seen least recently: forgotten
    expect(budget.waitMs("b")).toBe(59_999);
  });

  test("a refund that fills a budget again forgets its record: successes leave none", () => {
    const budget = new FailureBudget({ burst: 2, refillMs: 60_000, recordsMax: 10 }, () => 0);
    budget.spend("a");
    expect(budget.size).toBe(1);
    budget.refund("a");
    expect(budget.size).toBe(0);
  });
});

describe("a client's address", () => {
  test("is its host without the port, which changes with every connection", () => {
    expect(peerHost("127.0.0.1:50123")).toBe("127.0.0.1");
    expect(peerHost("::1:50123")).toBe("::1");
    expect(peerHost("::ffff:10.1.2.3:443")).toBe("::ffff:10.1.2.3");
    expect(peerHost("unknown")).toBe("unknown");
  });
});
