/** Snapshots: read at one applied index, shipped in checked chunks, installed atomically. */
import { afterEach, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Entry } from "../../src/log/raft/types.ts";
import { LogStore } from "../../src/log/log-store.ts";
import { Projections } from "../../src/projections/apply.ts";
import { projectionHash } from "../../src/projections/hash.ts";
import {
  addToDigest,
  chunkDigest,
  installSnapshot,
  SnapshotError,
  SnapshotReader,
  SnapshotStaging,
  type SnapshotChunk,
} from "../../src/projections/snapshot.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { RaftCore } from "../../src/log/raft/core.ts";
import { SqliteRaftStorage } from "../../src/log/raft-storage.ts";
import { logArbitrary } from "../support/operations.ts";
import { temporaryDirectory } from "../support/replica.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function replicaFiles() {
  const directory = temporaryDirectory("snapshot-");
  cleanups.push(() => directory.remove());
  const open = (name: string) => {
    const db = openDatabase(join(directory.path, name));
    cleanups.push(() => db.close());
    return { db, log: new LogStore(db), projections: new Projections(db), path: join(directory.path, name) };
  };
  return { directory: directory.path, open };
}

async function readAll(reader: SnapshotReader): Promise<{ chunks: SnapshotChunk[]; digest: string }> {
  const chunks: SnapshotChunk[] = [];
  const digest = chunkDigest();
  for await (const chunk of reader.chunks()) {
    chunks.push(chunk);
    addToDigest(digest, chunk);
  }
  reader.close();
  return { chunks, digest: digest.digest("hex") };
}

describe("a projection snapshot", () => {
  test("a staging file, its WAL and its shared-memory file are readable and writable by their owner only", () => {
    const previous = process.umask(0o022);
    try {
      const path = join(replicaFiles().directory, "staging.db");
      const staging = new SnapshotStaging(path, { index: 1, term: 1, membership: { voters: [], learners: [] } });
      cleanups.push(() => staging.abort());
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect({ file, mode: statSync(file).mode & 0o777 }).toEqual({ file, mode: 0o600 });
    } finally {
      process.umask(previous);
    }
  });

  test("installed on another replica gives it the same projection, at the same index, with the log reset", async () => {
    const entries = fc.sample(logArbitrary(60), { numRuns: 1, seed: 7 })[0]!;
    const files = replicaFiles();
    const source = files.open("source.db");
    source.log.append(entries);
    source.projections.apply(entries);
    const reader = new SnapshotReader(source.path);
    expect(reader.header.index).toBe(entries.length);
    expect(reader.header.configIndex).toBe(1); // the founding voters, the only config entry
    const { chunks, digest } = await readAll(reader);

    const target = files.open("target.db");
    target.log.append([{ index: 1, term: 1, type: "noop", data: "" }], { term: 9, vote: 3, commit: 1 });
    const staging = new SnapshotStaging(join(files.directory, "staging.db"), reader.header);
    for (const chunk of chunks) staging.add(chunk);
    staging.finish(digest);
    installSnapshot(target.db, target.log, staging);

    expect(projectionHash(target.db)).toBe(projectionHash(source.db));
    expect(target.log.snapshot()).toEqual(reader.header);
    expect(target.log.firstIndex()).toBe(entries.length + 1);
    expect(target.log.lastIndex()).toBe(entries.length);
    expect(target.log.hardState()).toMatchObject({ term: 9, vote: 3 }); // a snapshot never rolls back term or vote
  });

  test("a chunk altered in transit is refused, and so is a transfer whose digest does not match", async () => {
    const files = replicaFiles();
    const source = files.open("source.db");
    const entries = fc.sample(logArbitrary(30), { numRuns: 1, seed: 3 })[0]!;
    source.log.append(entries);
    source.projections.apply(entries);
    const reader = new SnapshotReader(source.path);
    const { chunks } = await readAll(reader);
    const staging = new SnapshotStaging(join(files.directory, "staging.db"), reader.header);
    expect(() => staging.add({ ...chunks[0]!, rows: chunks[0]!.rows.replace("a", "b") })).toThrow(SnapshotError);
    for (const chunk of chunks) staging.add(chunk);
    expect(() => staging.finish("0".repeat(64))).toThrow("digest mismatch");
    staging.abort();
  });

  test("an install that fails part-way leaves the previous state intact", async () => {
    const files = replicaFiles();
    const source = files.open("source.db");
    const entries = fc.sample(logArbitrary(30), { numRuns: 1, seed: 5 })[0]!;
    source.log.append(entries);
    source.projections.apply(entries);
    const reader = new SnapshotReader(source.path);
    const { chunks, digest } = await readAll(reader);

    const target = files.open("target.db");
    const own = fc.sample(logArbitrary(10), { numRuns: 1, seed: 11 })[0]!;
    target.log.append(own);
    target.projections.apply(own);
    const before = projectionHash(target.db);
    const staging = new SnapshotStaging(join(files.directory, "staging.db"), reader.header);
    for (const chunk of chunks) staging.add(chunk);
    staging.finish(digest);
    // Sabotage: a trigger fails the install after every table was copied, before it commits.
    target.db.run("CREATE TEMP TRIGGER sabotage BEFORE INSERT ON main.applied_state BEGIN SELECT RAISE(ABORT, 'disk trouble'); END");
    expect(() => installSnapshot(target.db, target.log, staging)).toThrow("disk trouble");
    expect(projectionHash(target.db)).toBe(before);
    expect(new LogStore(target.db).lastIndex()).toBe(own.length);
  });
});

describe("compacting the log", () => {
  test("drops the prefix, keeps the tail readable, and remembers the term, membership and its config entry at the point", () => {
    const files = replicaFiles();
    const { log } = files.open("chat.db");
    const config: Entry = {
      index: 3,
      term: 2,
      type: "config",
      data: JSON.stringify({ voters: [{ id: 1, address: "a:1" }], learners: [{ id: 2, address: "b:2" }] }),
    };
    log.append([
      { index: 1, term: 1, type: "noop", data: "" },
      { index: 2, term: 1, type: "command", data: "{}" },
      config,
      { index: 4, term: 2, type: "command", data: "{}" },
      { index: 5, term: 2, type: "command", data: "{}" },
    ]);
    log.compact(4);
    expect(log.firstIndex()).toBe(5);
    expect(log.term(4)).toBe(2);
    expect(log.entries(1, 10).map((entry) => entry.index)).toEqual([5]);
    expect(log.snapshot().membership.learners).toEqual([{ id: 2, address: "b:2" }]);
    expect(log.snapshot().configIndex).toBe(3);
    const reopened = new LogStore(files.open("chat.db").db);
    expect(reopened.firstIndex()).toBe(5);
    expect(reopened.snapshot()).toEqual(log.snapshot());
    reopened.verify();
    // Compacting past the point with the config entry gone: the point's membership and config index carry over.
    reopened.compact(5);
    expect(reopened.snapshot()).toMatchObject({ index: 5, term: 2, configIndex: 3 });
  });
});

describe("installing a snapshot over an existing log", () => {
  async function snapshotOf(entries: Entry[]) {
    const files = replicaFiles();
    const source = files.open("source.db");
    source.log.append(entries);
    source.projections.apply(entries);
    const reader = new SnapshotReader(source.path);
    const { chunks, digest } = await readAll(reader);
    return { files, header: reader.header, chunks, digest };
  }

  test("raises the stored commit index with the state, so a crash right after the install still restarts", async () => {
    const entries = fc.sample(logArbitrary(40), { numRuns: 1, seed: 21 })[0]!;
    const { files, header, chunks, digest } = await snapshotOf(entries);
    const target = files.open("target.db");
    target.log.append(
      [1, 2, 3].map((index) => ({ index, term: 1, type: "noop", data: "" })),
      { term: 1, vote: 1, commit: 1 },
    );
    const staging = new SnapshotStaging(join(files.directory, "staging.db"), header);
    for (const chunk of chunks) staging.add(chunk);
    staging.finish(digest);
    installSnapshot(target.db, target.log, staging);
    // "Crash" here: the core was never told. A new core must accept what is on disk.
    const reopened = new LogStore(target.db);
    expect(reopened.hardState().commit).toBe(header.index);
    const core = new RaftCore({
      id: 2,
      storage: new SqliteRaftStorage(reopened),
      hardState: reopened.hardState(),
      applied: new Projections(target.db).appliedIndex(),
      random: () => 0.5,
    });
    expect(core.commitIndex).toBe(header.index);
  });

  test("keeps the entries after the snapshot point when the entry at the point has the snapshot's term", async () => {
    const entries = fc.sample(logArbitrary(40), { numRuns: 1, seed: 23 })[0]!;
    const { files, header, chunks, digest } = await snapshotOf(entries);
    const target = files.open("target.db");
    const longer = [
      ...entries,
      ...[1, 2, 3].map((offset) => ({ index: entries.length + offset, term: entries.at(-1)!.term, type: "noop" as const, data: "" })),
    ];
    target.log.append(longer);
    const staging = new SnapshotStaging(join(files.directory, "staging.db"), header);
    for (const chunk of chunks) staging.add(chunk);
    staging.finish(digest);
    installSnapshot(target.db, target.log, staging);
    expect(target.log.firstIndex()).toBe(header.index + 1);
    expect(target.log.lastIndex()).toBe(longer.length);
  });
});
