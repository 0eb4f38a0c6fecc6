/** Live subscriptions against a projection, with a sink we control. */
import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { subscriberBufferMessagesMax } from "../../src/limits.ts";
import { Projections } from "../../src/projections/apply.ts";
import type { ChatError, ChatOperation } from "../../src/projections/operations.ts";
import type { MessageRow } from "../../src/projections/queries.ts";
import { Subscription, type StreamStart } from "../../src/service/subscription.ts";
import { openDatabase } from "../../src/storage/database.ts";

const open: Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function chat() {
  const db = openDatabase(":memory:");
  open.push(db);
  const projections = new Projections(db);
  const run = (...operations: ChatOperation[]) => {
    const first = projections.appliedIndex() + 1;
    return projections.apply(
      operations.map((op, offset) => ({
        index: first + offset,
        term: 1,
        type: "command",
        data: JSON.stringify({ atMs: first + offset, op }),
      })),
    );
  };
  run(
    { type: "CreateAccount", username: "alice", passwordHash: "h" },
    { type: "CreateAccount", username: "bob", passwordHash: "h" },
    { type: "Login", username: "alice", accountIndex: 1, tokenHash: "ta", sessionNonce: "n" },
    { type: "Login", username: "bob", accountIndex: 2, tokenHash: "tb", sessionNonce: "n" },
  );
  const send = (count: number) =>
    run(
      ...Array.from({ length: count }, (_, i): ChatOperation => ({ type: "SendMessage", username: "alice", tokenHash: "ta", recipient: "bob", text: `m${i}` })),
    );
  return { projections, run, send };
}

/** A sink that takes `capacity` messages before it reports being full. */
function sink(initialCapacity = Infinity) {
  const received: MessageRow[] = [];
  const starts: StreamStart[] = [];
  let ended: { error?: ChatError } | null = null;
  return {
    received,
    starts,
    capacity: initialCapacity,
    ended: () => ended,
    open(start: StreamStart) {
      expect(received).toEqual([]); // the start comes before any message
      starts.push(start);
    },
    write(message: MessageRow) {
      received.push(message);
      return received.length < this.capacity;
    },
    end(error?: ChatError) {
      ended = { error };
    },
  };
}

describe("a live subscription", () => {
  test("catches up from the id given, then follows live messages, in order and without duplicates", () => {
    const { projections, send } = chat();
    send(5); // ids 5..9
    const bob = sink();
    new Subscription(projections, "bob", "tb", 6, bob);
    send(3); // ids 10..12
    expect(bob.received.map((message) => message.id)).toEqual([7, 8, 9, 10, 11, 12]);
  });

  test("tells where it starts, the applied index: a new user resuming from there misses nothing sent meanwhile", () => {
    const { projections, send } = chat();
    const first = sink();
    const subscription = new Subscription(projections, "bob", "tb", 0, first);
    expect(first.starts).toEqual([{ position: 4, catchUpCount: 0 }]);
    subscription.close(); // the stream breaks before bob received anything
    send(2); // ids 5, 6: sent while bob has no stream
    const resumed = sink();
    new Subscription(projections, "bob", "tb", first.starts[0]!.position, resumed);
    send(1); // id 7, live
    expect(resumed.starts).toEqual([{ position: 6, catchUpCount: 2 }]);
    expect(resumed.received.map((message) => message.id)).toEqual([5, 6, 7]);
  });

  test("from now on (after_id 0) means after the position: nothing stored is sent, nothing later is missed", () => {
    const { projections, send } = chat();
    send(3); // ids 5..7
    const bob = sink();
    new Subscription(projections, "bob", "tb", 0, bob);
    send(1); // id 8
    expect(bob.starts).toEqual([{ position: 7, catchUpCount: 0 }]);
    expect(bob.received.map((message) => message.id)).toEqual([8]);
  });

  test("a resume from an id beyond this replica's applied index starts there (a new leader still applying)", () => {
    const { projections, send } = chat();
    const bob = sink();
    new Subscription(projections, "bob", "tb", 6, bob);
    expect(bob.starts).toEqual([{ position: 6, catchUpCount: 0 }]);
    send(3); // ids 5..7: 5 and 6 were received from the old leader
    expect(bob.received.map((message) => message.id)).toEqual([7]);
  });

  test("a catch-up longer than one page continues as the client drains", () => {
    const { projections, send } = chat();
    send(subscriberBufferMessagesMax + 10);
    const bob = sink(100);
    const subscription = new Subscription(projections, "bob", "tb", 4, bob);
    expect(bob.received.length).toBe(100);
    bob.capacity = Infinity;
    subscription.drained();
    const ids = bob.received.map((message) => message.id);
    expect(ids.length).toBe(subscriberBufferMessagesMax + 10);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe(5);
  });

  test("a subscriber that stops reading is dropped with RESOURCE_EXHAUSTED instead of growing memory", () => {
    const { projections, send } = chat();
    const bob = sink(1);
    new Subscription(projections, "bob", "tb", 0, bob);
    send(subscriberBufferMessagesMax + 2);
    expect(bob.ended()?.error?.code).toBe("RESOURCE_EXHAUSTED");
    expect(bob.ended()?.error?.message).toContain("subscribe again");
  });

  test("ends with UNAUTHENTICATED when its session logs out", () => {
    const { projections, run } = chat();
    const bob = sink();
    new Subscription(projections, "bob", "tb", 0, bob);
    run({ type: "Logout", username: "bob", tokenHash: "tb" });
    expect(bob.ended()?.error?.code).toBe("UNAUTHENTICATED");
  });

  test("sees nothing addressed to other users", () => {
    const { projections, run } = chat();
    const alice = sink();
    new Subscription(projections, "alice", "ta", 0, alice);
    run({ type: "SendMessage", username: "alice", tokenHash: "ta", recipient: "bob", text: "for bob" });
    expect(alice.received).toEqual([]);
  });
});
