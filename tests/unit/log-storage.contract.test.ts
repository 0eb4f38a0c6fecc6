// One contract for both storages the consensus core reads through LogStorage:
// the in-memory one (the simulator's disk) and the SQLite one (a replica's).
// Each gets a small adapter, since their write APIs differ, and the same tests.

import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { LogStore } from "../../src/log/log-store.ts";
import { MemoryStorage } from "../../src/log/raft/memory-storage.ts";
import type { ConfigEntryData, Entry, HardState, LogStorage, SnapshotMeta } from "../../src/log/raft/types.ts";
import { SqliteRaftStorage } from "../../src/log/raft-storage.ts";
import { openDatabase } from "../../src/storage/database.ts";

/** The writes every storage offers, each in its own API, and a reopen that shows what is durable. */
interface StorageUnderTest {
  view: Required<LogStorage>;
  /** Writes entries from entries[0].index on, dropping whatever was stored from there. */
  append(entries: Entry[]): void;
  /** Compacts to `index`, recording the membership in force there. */
  compact(index: number): void;
  /** Installs a snapshot received from a leader (the state is not this test's concern). */
  installSnapshot(snapshot: SnapshotMeta): void;
  saveHardState(hardState: HardState): void;
  hardState(): HardState;
  /** The same storage as a restart would find it. */
  reopen(): StorageUnderTest;
}

const openDatabases: Database[] = [];
afterEach(() => {
  for (const db of openDatabases.splice(0)) db.close();
});

function sqliteStorage(db = openDatabase(":memory:")): StorageUnderTest {
  if (!openDatabases.includes(db)) openDatabases.push(db);
  const store = new LogStore(db);
  const view = new SqliteRaftStorage(store);
  return {
    view,
    append: (entries) => view.persist(entries, undefined),
    compact: (index) => store.compact(index),
    installSnapshot: (snapshot) => {
      store.durably(() => store.resetToSnapshot(snapshot));
      store.reloadAfterReset();
    },
    saveHardState: (hardState) => store.saveHardState(hardState),
    hardState: () => store.hardState(),
    reopen: () => sqliteStorage(db),
  };
}

function memoryStorage(disk = new MemoryStorage()): StorageUnderTest {
  return {
    view: disk,
    append: (entries) => disk.append(entries),
    // The in-memory storage is told the membership by its caller (the simulator's state machine); find it as a replica would.
    compact: (index) => {
      const config = disk
        .entries(disk.firstIndex(), index + 1)
        .filter((entry) => entry.type === "config")
        .at(-1);
      const membership = config ? (JSON.parse(config.data) as ConfigEntryData) : disk.snapshot().membership;
      disk.compact(index, disk.term(index)!, membership, config?.index ?? disk.snapshot().configIndex);
    },
    installSnapshot: (snapshot) => disk.applySnapshot(snapshot),
    saveHardState: (hardState) => disk.setHardState(hardState),
    hardState: () => disk.hardState,
    reopen: () => memoryStorage(disk.clone()),
  };
}

const founders: ConfigEntryData = { voters: [{ id: 1, address: "a:1" }], learners: [] };
const withLearner: ConfigEntryData = { voters: [{ id: 1, address: "a:1" }], learners: [{ id: 2, address: "b:2" }] };

function command(index: number, term: number, data = `{"n":${index}}`): Entry {
  return { index, term, type: "command", data };
}

function config(index: number, term: number, membership: ConfigEntryData): Entry {
  return { index, term, type: "config", data: JSON.stringify(membership) };
}

/** 1: the founders (term 1), 2: a command (term 1), 3: a learner added (term 2), 4-5: commands (term 2). */
function history(): Entry[] {
  return [config(1, 1, founders), command(2, 1), config(3, 2, withLearner), command(4, 2), command(5, 2)];
}

function storageContract(name: string, fresh: () => StorageUnderTest): void {
  describe(`the log storage contract: ${name}`, () => {
    test("appended entries read back by range, with their terms", () => {
      const storage = fresh();
      storage.append(history());
      const { view } = storage;
      expect(view.firstIndex()).toBe(1);
      expect(view.lastIndex()).toBe(5);
      expect(view.entries(2, 4)).toEqual(history().slice(1, 3));
      expect(view.entries(1, 6)).toEqual(history());
      expect(storage.reopen().view.entries(1, 6)).toEqual(history());
    });

    test("an append from inside the log drops the conflicting suffix from that index on", () => {
      const storage = fresh();
      storage.append([command(1, 1), command(2, 1), command(3, 1), command(4, 1)]);
      storage.append([command(3, 2, "leader's")]);
      for (const { view } of [storage, storage.reopen()]) {
        expect(view.lastIndex()).toBe(3);
        expect(view.term(3)).toBe(2);
        expect(view.term(4)).toBeUndefined();
        expect(view.entries(1, 4)).toEqual([command(1, 1), command(2, 1), command(3, 2, "leader's")]);
      }
    });

    test("term() answers 0 before the log, and nothing beyond its end", () => {
      const storage = fresh();
      expect(storage.view.term(0)).toBe(0);
      expect(storage.view.term(1)).toBeUndefined();
      storage.append(history());
      expect(storage.view.term(0)).toBe(0);
      expect(storage.view.term(5)).toBe(2);
      expect(storage.view.term(6)).toBeUndefined();
    });

    test("entries() stops at the byte limit but always returns at least one entry", () => {
      const storage = fresh();
      // 10 bytes of data each, plus the per-entry overhead both count (src/log/raft/memory-storage.ts entryBytes).
      storage.append([1, 2, 3].map((index) => command(index, 1, "x".repeat(10))));
      const oneEntryBytes = 10 + 32;
      expect(storage.view.entries(1, 4, 1)).toHaveLength(1);
      expect(storage.view.entries(1, 4, 2 * oneEntryBytes)).toHaveLength(2);
      expect(storage.view.entries(1, 4, 2 * oneEntryBytes + 1)).toHaveLength(2);
      expect(storage.view.entries(1, 4)).toHaveLength(3);
    });

    test("compaction drops the prefix and keeps the term, the membership and its config entry's index at the point", () => {
      const storage = fresh();
      storage.append(history());
      storage.compact(4);
      for (const { view } of [storage, storage.reopen()]) {
        expect(view.firstIndex()).toBe(5);
        expect(view.lastIndex()).toBe(5);
        expect(view.term(4)).toBe(2);
        expect(view.term(3)).toBeUndefined();
        expect(view.entries(5, 6)).toEqual([command(5, 2)]);
        expect(view.snapshot()).toEqual({ index: 4, term: 2, membership: withLearner, configIndex: 3 });
      }
    });

    test("a second compaction past the config entry keeps the membership and config index of the first", () => {
      const storage = fresh();
      storage.append(history());
      storage.compact(4);
      storage.compact(5);
      expect(storage.view.snapshot()).toEqual({ index: 5, term: 2, membership: withLearner, configIndex: 3 });
      expect(storage.view.firstIndex()).toBe(6);
      expect(storage.view.lastIndex()).toBe(5);
    });

    test("a snapshot whose point matches the log keeps the entries after it", () => {
      const storage = fresh();
      storage.append(history());
      const snapshot = { index: 3, term: 2, membership: withLearner, configIndex: 3 };
      storage.installSnapshot(snapshot);
      for (const { view } of [storage, storage.reopen()]) {
        expect(view.snapshot()).toEqual(snapshot);
        expect(view.firstIndex()).toBe(4);
        expect(view.lastIndex()).toBe(5);
        expect(view.entries(4, 6)).toEqual(history().slice(3));
      }
    });

    test("a snapshot whose point conflicts with the log (or lies beyond it) replaces the whole log", () => {
      for (const snapshot of [
        { index: 3, term: 3, membership: founders, configIndex: 1 },
        { index: 8, term: 3, membership: withLearner, configIndex: 7 },
      ]) {
        const storage = fresh();
        storage.append(history());
        storage.installSnapshot(snapshot);
        for (const { view } of [storage, storage.reopen()]) {
          expect(view.snapshot()).toEqual(snapshot);
          expect(view.firstIndex()).toBe(snapshot.index + 1);
          expect(view.lastIndex()).toBe(snapshot.index);
          expect(view.term(snapshot.index)).toBe(3);
          expect(view.term(snapshot.index + 1)).toBeUndefined();
        }
      }
    });

    test("the hard state reads back as saved, after a restart too", () => {
      const storage = fresh();
      expect(storage.hardState()).toEqual({ term: 0, vote: 0, commit: 0 });
      storage.append(history());
      storage.saveHardState({ term: 2, vote: 1, commit: 4 });
      expect(storage.hardState()).toEqual({ term: 2, vote: 1, commit: 4 });
      expect(storage.reopen().hardState()).toEqual({ term: 2, vote: 1, commit: 4 });
    });
  });
}

storageContract("MemoryStorage", () => memoryStorage());
storageContract("SqliteRaftStorage over LogStore", () => sqliteStorage());
