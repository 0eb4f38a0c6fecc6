/** The apply loop and the chat rules, given a log, without gRPC. */
import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import type { Entry } from "../../src/log/raft/types.ts";
import { clientResultIdleEntriesMin, clientResultWindowMax } from "../../src/limits.ts";
import { clientResultRetentionMs, forgetIdleEveryEntries, Projections } from "../../src/projections/apply.ts";
import type { ChatOperation, OperationEnvelope } from "../../src/projections/operations.ts";
import { openDatabase } from "../../src/storage/database.ts";

const open: Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

/** An operation, or an envelope whose leader time defaults to 1000 + its index. */
type Given = ChatOperation | (Omit<OperationEnvelope, "atMs"> & { atMs?: number });

/** given(operations) → a projection with them applied, and the results. */
function given(...operations: Given[]) {
  const db = openDatabase(":memory:");
  open.push(db);
  const projections = new Projections(db);
  const results = apply(projections, operations);
  // biome-ignore lint/suspicious/noThenProperty: given(...).then(...) reads as the scenario it is; never awaited
  return { projections, results, then: (...more: typeof operations) => apply(projections, more) };
}

function apply(projections: Projections, operations: Given[]) {
  const first = projections.appliedIndex() + 1;
  const entries: Entry[] = operations.map((operation, offset) => {
    const envelope = "op" in operation ? { atMs: 1000 + first + offset, ...operation } : { atMs: 1000 + first + offset, op: operation };
    return { index: first + offset, term: 1, type: "command", data: JSON.stringify(envelope) };
  });
  return projections.apply(entries).map((applied) => applied.result);
}

/** Applies no-op entries (as a leader appends on election) up to and including `lastIndex`. */
function noopsThrough(projections: Projections, lastIndex: number): void {
  const batchEntries = 100_000;
  for (let first = projections.appliedIndex() + 1; first <= lastIndex; first += batchEntries) {
    const count = Math.min(batchEntries, lastIndex - first + 1);
    projections.apply(Array.from({ length: count }, (_, offset) => ({ index: first + offset, term: 1, type: "noop", data: "" })));
  }
}

/** The first index at or after `index` where the apply loop forgets idle clients. */
function prunePointFrom(index: number): number {
  return Math.ceil(index / forgetIdleEveryEntries) * forgetIdleEveryEntries;
}

const alice = { username: "alice", tokenHash: "ta" };
const bob = { username: "bob", tokenHash: "tb" };
const accountsAndSessions: ChatOperation[] = [
  { type: "CreateAccount", username: "alice", passwordHash: "h" },
  { type: "CreateAccount", username: "bob", passwordHash: "h" },
  { type: "Login", username: "alice", accountIndex: 1, tokenHash: "ta", sessionNonce: "na" },
  { type: "Login", username: "bob", accountIndex: 2, tokenHash: "tb", sessionNonce: "nb" },
];

describe("applying chat operations", () => {
  test("a message's id is the log index of its SendMessage entry", () => {
    const { results, projections } = given(...accountsAndSessions, { type: "SendMessage", ...alice, recipient: "bob", text: "hi" });
    expect(results[4]).toEqual({ ok: true, value: { id: 5, sentAtMs: 1005 } });
    expect(projections.queries.message(5)?.text).toBe("hi");
  });

  test("of two racing accounts with one name, the later entry is rejected the same way everywhere", () => {
    const { results } = given(
      { type: "CreateAccount", username: "carol", passwordHash: "h1" },
      { type: "CreateAccount", username: "carol", passwordHash: "h2" },
    );
    expect(results[1]).toEqual({ ok: false, code: "ALREADY_EXISTS", message: "Username already taken" });
  });

  test("a login checked against a deleted namesake does not open a session on the new account", () => {
    const { results } = given(
      { type: "CreateAccount", username: "dave", passwordHash: "h" },
      { type: "Login", username: "dave", accountIndex: 1, tokenHash: "t1", sessionNonce: "n" },
      { type: "DeleteAccount", username: "dave", tokenHash: "t1" },
      { type: "CreateAccount", username: "dave", passwordHash: "h" },
      { type: "Login", username: "dave", accountIndex: 1, tokenHash: "t2", sessionNonce: "n" },
    );
    expect(results[4]).toMatchObject({ ok: false, code: "UNAUTHENTICATED" });
  });

  test("an operation from an ended session is rejected", () => {
    const { results } = given(...accountsAndSessions, { type: "Logout", ...alice }, { type: "SendMessage", ...alice, recipient: "bob", text: "after logout" });
    expect(results[5]).toMatchObject({ ok: false, code: "UNAUTHENTICATED" });
  });

  test("a retried (client id, seq) returns the first result and changes nothing", () => {
    const send = { clientId: "client-aaaaaaaaaaaa", seq: 1, op: { type: "SendMessage", ...alice, recipient: "bob", text: "once" } as ChatOperation };
    const { results, projections } = given(...accountsAndSessions, send, send);
    expect(results[5]).toEqual(results[4]!);
    expect(projections.queries.unreadCount("bob")).toBe(1);
  });

  test("an entry that repeats a (client id, seq) for a different request gets a refusal, not the stored result", () => {
    const pair = { clientId: "client-aaaaaaaaaaaa", seq: 1 };
    const first = { ...pair, binding: "alice reads", op: { type: "ReadNew", ...alice, count: 5 } as ChatOperation };
    const raced = { ...pair, binding: "bob reads", op: { type: "ReadNew", ...bob, count: 5 } as ChatOperation };
    const { results } = given(...accountsAndSessions, { type: "SendMessage", ...bob, recipient: "alice", text: "private" }, first, raced, first);
    expect(results[5]).toEqual({ ok: true, value: { ids: [5], unreadRemaining: 0 } });
    expect(results[6]).toMatchObject({ ok: false, code: "INVALID_ARGUMENT", message: expect.stringContaining("different request") });
    expect(results[7]).toEqual(results[5]!);
  });

  test("a seq older than the client's result window is refused", () => {
    const client = "client-bbbbbbbbbbbb";
    const sends = Array.from({ length: clientResultWindowMax + 2 }, (_, i) => ({
      clientId: client,
      seq: i + 1,
      op: { type: "Logout", username: "x", tokenHash: `t${i}` } as ChatOperation,
    }));
    const { then } = given(...sends);
    const [late] = then({ clientId: client, seq: 1, op: { type: "Logout", username: "x", tokenHash: "t0" } });
    expect(late).toMatchObject({ ok: false, code: "FAILED_PRECONDITION" });
  });

  test("a result stored far ahead of a client's seqs does not make the client's next writes too old", () => {
    const client = "client-dddddddddddd";
    const write = (seq: number, tokenHash: string) => ({ clientId: client, seq, op: { type: "Logout", username: "x", tokenHash } as ChatOperation });
    const { then } = given(write(1, "victim"));
    then(write(1 + clientResultWindowMax * 10, "planted"));
    expect(then(write(2, "victim"))[0]).toMatchObject({ ok: true });
  });

  describe("stored results of idle clients", () => {
    const twoDaysMs = 2 * clientResultRetentionMs;
    const clientA = "client-aaaaaaaaaaaa";
    const sendOnce = { clientId: clientA, seq: 1, op: { type: "SendMessage", ...alice, recipient: "bob", text: "once" } as ChatOperation };
    /** A write of another client, proposed by a leader whose clock reads `atMs`. */
    const otherClientAt = (atMs: number) => ({
      atMs,
      clientId: "client-cccccccccccc",
      seq: 1,
      op: { type: "Logout", username: "x", tokenHash: "tx" } as ChatOperation,
    });

    test("a leader whose clock jumped days ahead does not erase a retry's stored result", () => {
      const { results, projections, then } = given(...accountsAndSessions, sendOnce);
      const prunePoint = prunePointFrom(projections.appliedIndex() + 1);
      noopsThrough(projections, prunePoint - 1);
      then(otherClientAt(1000 + prunePoint + twoDaysMs));
      const [retry] = then(sendOnce);
      expect(retry).toEqual(results[4]!);
      expect(projections.queries.unreadCount("bob")).toBe(1);
    });

    test("a client idle for a day of log time and a million log entries is forgotten", () => {
      const { projections, then } = given(...accountsAndSessions, sendOnce);
      const prunePoint = prunePointFrom(projections.appliedIndex() + clientResultIdleEntriesMin + 1);
      noopsThrough(projections, prunePoint - 1);
      then(otherClientAt(1000 + prunePoint + twoDaysMs));
      expect(projections.queries.clientResult(clientA, 1)).toBeNull();
    });

    test("a client that wrote recently keeps its older results too", () => {
      const { projections, then } = given(...accountsAndSessions, sendOnce);
      const prunePoint = prunePointFrom(projections.appliedIndex() + clientResultIdleEntriesMin + 1);
      noopsThrough(projections, prunePoint - 2);
      then({ ...sendOnce, seq: 2 });
      then(otherClientAt(1000 + prunePoint + twoDaysMs));
      expect(projections.queries.clientResult(clientA, 1)).not.toBeNull();
    });

    test("a client idle for a million log entries but not a day of log time keeps its results", () => {
      const { projections, then } = given(...accountsAndSessions, sendOnce);
      const prunePoint = prunePointFrom(projections.appliedIndex() + clientResultIdleEntriesMin + 1);
      noopsThrough(projections, prunePoint - 1);
      then(otherClientAt(1000 + prunePoint));
      expect(projections.queries.clientResult(clientA, 1)).not.toBeNull();
    });
  });

  describe("sessions left idle", () => {
    const idleMs = 60_000;
    const at = (atMs: number, op: ChatOperation) => ({ atMs, op });
    const carol = { username: "carol", tokenHash: "tc" };
    const loginCarol = { type: "Login", ...carol, accountIndex: 1, sessionNonce: "nc", sessionIdleMs: idleMs } as ChatOperation;
    const send = (text: string) => ({ type: "SendMessage", ...carol, recipient: "carol", text }) as ChatOperation;

    test("expire once unused for longer than the idle time the leader stamped at login, by leader time in the log", () => {
      const { results } = given(
        at(0, { type: "CreateAccount", username: "carol", passwordHash: "h" }),
        at(1_000, loginCarol),
        at(1_000 + idleMs, send("kept alive: used within the idle time")),
        at(1_000 + 2 * idleMs, send("still alive: idle time counts from the last use")),
        at(2_000 + 3 * idleMs, send("too late")),
      );
      expect(results.slice(2, 4)).toMatchObject([{ ok: true }, { ok: true }]);
      expect(results[4]).toMatchObject({ ok: false, code: "UNAUTHENTICATED", message: expect.stringContaining("Session expired") });
    });

    test("are removed where every replica forgets idle clients, and their live streams are told", () => {
      const { projections, then } = given(at(0, { type: "CreateAccount", username: "carol", passwordHash: "h" }), at(1_000, loginCarol));
      const ended: unknown[] = [];
      projections.on("sessionEnded", (event) => ended.push(event));
      const prunePoint = prunePointFrom(projections.appliedIndex() + 1);
      noopsThrough(projections, prunePoint - 1);
      then(at(2_000 + idleMs, { type: "CreateAccount", username: "zed", passwordHash: "h" }));
      expect(projections.queries.session("tc")).toBeNull();
      expect(ended).toEqual([{ tokenHash: "tc", username: "carol" }]);
    });
  });

  test("deleting messages is all or nothing", () => {
    const { projections, then } = given(
      ...accountsAndSessions,
      { type: "CreateAccount", username: "carol", passwordHash: "h" },
      { type: "SendMessage", ...alice, recipient: "bob", text: "mine" },
      { type: "SendMessage", ...bob, recipient: "carol", text: "not alice's" },
    );
    const [result] = then({ type: "DeleteMessages", ...alice, ids: [6, 7] });
    expect(result).toMatchObject({ ok: false, code: "PERMISSION_DENIED" });
    expect(projections.queries.message(6)).not.toBeNull();
  });

  test("events reach the other listeners when one of them throws", () => {
    const { projections, then } = given(...accountsAndSessions);
    const seen: number[] = [];
    projections.on("message", () => {
      throw new Error("a broken listener");
    });
    projections.on("message", (message) => seen.push(projections.queries.message(message.id) ? message.id : -1));
    const originalError = console.error;
    console.error = () => {};
    try {
      then({ type: "SendMessage", ...alice, recipient: "bob", text: "x" });
    } finally {
      console.error = originalError;
    }
    expect(seen).toEqual([5]);
  });

  test("an entry applied out of order is a programmer error", () => {
    const { projections } = given(...accountsAndSessions);
    expect(() => projections.apply([{ index: 9, term: 1, type: "noop", data: "" }])).toThrow("apply out of order");
  });

  test("a payload that is not an operation stops the apply loop instead of guessing", () => {
    const { projections } = given();
    expect(() => projections.apply([{ index: 1, term: 1, type: "command", data: "{not json" }])).toThrow("corrupt");
    expect(projections.appliedIndex()).toBe(0);
  });
});
