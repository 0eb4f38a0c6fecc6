// The log view (durable prefix + unstable tail), the in-memory storage's own checks,
// and the Ready/advance protocol around them.

import { describe, expect, test } from "bun:test";
import { LogView } from "../../src/log/raft/log-view.ts";
import { MemoryStorage, RaftInvariantError, type Message } from "../../src/log/raft/index.ts";
import { entry, TestCluster } from "./harness.ts";

// The LogStorage contract both storages pass is tests/unit/log-storage.contract.test.ts.
describe("MemoryStorage", () => {
  test("an append that would leave a gap is a programmer error", () => {
    const storage = new MemoryStorage([entry(1, 1)]);
    expect(() => storage.append([entry(3, 1)])).toThrow(RaftInvariantError);
  });
});

describe("LogView", () => {
  test("unstable entries shadow stored ones they are about to overwrite", () => {
    const storage = new MemoryStorage([entry(1, 1), entry(2, 1), entry(3, 1)]);
    const log = new LogView(storage, 1, 1);
    log.append([entry(2, 2)]);
    expect(log.lastIndex()).toBe(2);
    expect(log.term(2)).toBe(2);
    expect(log.term(3)).toBeUndefined();
    expect(log.durableLastIndex()).toBe(1);
    expect(log.slice(1, 3).map((e) => e.term)).toEqual([1, 2]);
  });

  test("entries handed out before a conflicting overwrite are not marked stable", () => {
    const log = new LogView(new MemoryStorage(), 0, 0);
    log.append([entry(1, 1), entry(2, 1)]);
    const handedOut = log.unstableEntries();
    log.append([entry(2, 2)]); // arrives before the driver finished persisting
    log.stableTo(handedOut[1]!.index, handedOut[1]!.term);
    expect(log.unstableEntries().map((e) => `${e.index}@${e.term}`)).toEqual(["1@1", "2@2"]);
  });

  test("overwriting a committed entry is refused loudly (State Machine Safety, paper §5.4.3)", () => {
    const log = new LogView(new MemoryStorage([entry(1, 1), entry(2, 1)]), 2, 0);
    expect(() => log.append([entry(2, 2)])).toThrow(RaftInvariantError);
  });

  test("the up-to-date check compares last terms first, then lengths (paper §5.4.1)", () => {
    const log = new LogView(new MemoryStorage([entry(1, 1), entry(2, 2)]), 0, 0);
    expect(log.isUpToDate(1, 3)).toBe(true);
    expect(log.isUpToDate(9, 1)).toBe(false);
    expect(log.isUpToDate(2, 2)).toBe(true);
    expect(log.isUpToDate(1, 2)).toBe(false);
  });
});

describe("the Ready/advance protocol", () => {
  test("ready() twice without advance() is a programmer error", () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.core(1).ready();
    expect(() => cluster.core(1).ready()).toThrow(RaftInvariantError);
  });

  test("messages and Ready batches are plain JSON that survives a round trip", () => {
    const cluster = new TestCluster([1, 2, 3]);
    const leader = cluster.electLeader();
    cluster.core(leader).propose(JSON.stringify({ text: "hi" }));
    const ready = cluster.core(leader).ready();
    expect(ready.messages.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(ready)) as unknown).toEqual(ready);
    const types = new Set<Message["type"]>(ready.messages.map((m) => m.type));
    expect(types.has("append")).toBe(true);
  });

  test("the core never reads the clock or global randomness", async () => {
    const sources = await Promise.all(
      ["core.ts", "log-view.ts", "progress.ts", "quorum.ts", "read-index.ts", "types.ts", "memory-storage.ts", "constants.ts", "assert.ts"].map((file) =>
        Bun.file(new URL(`../../src/log/raft/${file}`, import.meta.url)).text(),
      ),
    );
    for (const source of sources) {
      expect(source).not.toMatch(/Date\.now|Math\.random|setTimeout|setInterval|from "bun:|from "node:|performance\.now/);
    }
  });
});
