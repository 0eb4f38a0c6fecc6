// In-memory LogStorage: the "disk" of the core simulator and of unit tests.
// The SQLite store (src/log/raft-storage.ts over src/log/log-store.ts) gives
// the core the same LogStorage view under the same write rules (append
// truncates from the first written index; compaction and snapshot installs
// keep term(snapshot index) answerable).

import { assert } from "./assert.ts";
import type { ConfigEntryData, Entry, HardState, LogStorage, SnapshotMeta } from "./types.ts";

/** Per-entry overhead counted against byte limits, so empty payloads still cost something. */
const entryOverheadBytes = 32;

export function entryBytes(entry: Entry): number {
  return entry.data.length + entryOverheadBytes;
}

export const noSnapshot: SnapshotMeta = Object.freeze({ index: 0, term: 0, membership: Object.freeze({ voters: [], learners: [] }) as ConfigEntryData });

export class MemoryStorage implements LogStorage {
  /** log[i] has index snap.index + 1 + i. */
  private log: Entry[] = [];
  private snap: SnapshotMeta = noSnapshot;
  hardState: HardState = { term: 0, vote: 0, commit: 0 };

  constructor(entries: Entry[] = [], hardState?: HardState, snapshot?: SnapshotMeta) {
    if (snapshot) this.snap = copySnapshot(snapshot);
    if (entries.length > 0) this.append(entries);
    if (hardState) this.hardState = { ...hardState };
  }

  snapshot(): SnapshotMeta {
    return this.snap;
  }

  firstIndex(): number {
    return this.snap.index + 1;
  }

  lastIndex(): number {
    return this.snap.index + this.log.length;
  }

  term(index: number): number | undefined {
    if (index === 0) return 0;
    if (index === this.snap.index) return this.snap.term;
    if (index < this.snap.index) return undefined;
    return this.log[index - this.snap.index - 1]?.term;
  }

  entries(lo: number, hiExclusive: number, maxBytes = Infinity): Entry[] {
    assert(
      lo >= this.firstIndex() && hiExclusive <= this.lastIndex() + 1,
      `entries(${lo}, ${hiExclusive}) out of range [${this.firstIndex()}, ${this.lastIndex() + 1})`,
    );
    const out: Entry[] = [];
    let bytes = 0;
    for (let index = lo; index < hiExclusive; index++) {
      const entry = this.log[index - this.snap.index - 1]!;
      bytes += entryBytes(entry);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(entry);
    }
    return out;
  }

  /** Writes entries starting at entries[0].index, discarding whatever was stored from there on. */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    assert(first > this.snap.index, `append at ${first} into the snapshot (index ${this.snap.index})`);
    assert(first <= this.lastIndex() + 1, `append at ${first} leaves a gap after ${this.lastIndex()}`);
    this.log.length = first - this.snap.index - 1;
    for (const entry of entries) {
      assert(entry.index === this.lastIndex() + 1, "appended entries must be contiguous");
      this.log.push(Object.freeze({ ...entry }));
    }
  }

  /**
   * Log compaction (dissertation §5.1): drops every entry <= index. The caller
   * has captured its state machine at `index` (applied, hence committed) and
   * passes the membership in force there and the index of its config entry.
   */
  compact(index: number, term: number, membership: ConfigEntryData, configIndex?: number): void {
    if (index <= this.snap.index) return;
    assert(index <= this.lastIndex(), `compact(${index}) beyond last index ${this.lastIndex()}`);
    assert(this.term(index) === term, `compact(${index}, ${term}) but the entry there has term ${this.term(index)}`);
    this.log = this.log.slice(index - this.snap.index);
    this.snap = copySnapshot({ index, term, membership, configIndex });
  }

  /**
   * Installs a snapshot received from a leader: every entry <= its index goes,
   * and so does everything after it unless the entry at its index matches
   * (a conflicting entry there is never kept: hashicorp/raft#704,
   * openraft #753). The core's Ready re-sends any tail it kept, so a driver
   * may equally drop the whole log and write Ready.entries.
   */
  applySnapshot(snapshot: SnapshotMeta): void {
    if (snapshot.index <= this.snap.index) return;
    const keep = this.term(snapshot.index) === snapshot.term ? this.log.slice(snapshot.index - this.snap.index) : [];
    this.log = keep;
    this.snap = copySnapshot(snapshot);
  }

  setHardState(hardState: HardState): void {
    this.hardState = { ...hardState };
  }

  /** Deep copy, e.g. to keep a "disk" image across a simulated crash. */
  clone(): MemoryStorage {
    return new MemoryStorage(this.log, this.hardState, this.snap);
  }
}

function copySnapshot(snapshot: SnapshotMeta): SnapshotMeta {
  const { membership } = snapshot;
  const copy: SnapshotMeta = {
    index: snapshot.index,
    term: snapshot.term,
    membership: { voters: membership.voters.map((member) => ({ ...member })), learners: membership.learners.map((member) => ({ ...member })) },
  };
  if (snapshot.configIndex !== undefined) copy.configIndex = snapshot.configIndex;
  return Object.freeze(copy);
}
