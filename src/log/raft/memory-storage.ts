// In-memory LogStorage: the "disk" of the simulator and of unit tests. The
// SQLite store will implement the same LogStorage view and the same write rule
// (append truncates from the first written index).

import { assert } from "./assert.ts";
import type { Entry, HardState, LogStorage } from "./types.ts";

/** Per-entry overhead counted against byte limits, so empty payloads still cost something. */
const entryOverheadBytes = 32;

export function entryBytes(entry: Entry): number {
  return entry.data.length + entryOverheadBytes;
}

export class MemoryStorage implements LogStorage {
  /** entries[i] has index i + 1 (no compaction yet, so firstIndex is always 1). */
  private readonly log: Entry[] = [];
  hardState: HardState = { term: 0, vote: 0, commit: 0 };

  constructor(entries: Entry[] = [], hardState?: HardState) {
    if (entries.length > 0) this.append(entries);
    if (hardState) this.hardState = { ...hardState };
  }

  firstIndex(): number {
    return 1;
  }

  lastIndex(): number {
    return this.log.length;
  }

  term(index: number): number | undefined {
    if (index === 0) return 0;
    return this.log[index - 1]?.term;
  }

  entries(lo: number, hiExclusive: number, maxBytes = Infinity): Entry[] {
    assert(lo >= 1 && hiExclusive <= this.log.length + 1, `entries(${lo}, ${hiExclusive}) out of range [1, ${this.log.length + 1})`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let index = lo; index < hiExclusive; index++) {
      const entry = this.log[index - 1]!;
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
    assert(first >= 1 && first <= this.log.length + 1, `append at ${first} leaves a gap after ${this.log.length}`);
    this.log.length = first - 1;
    for (const entry of entries) {
      assert(entry.index === this.log.length + 1, "appended entries must be contiguous");
      this.log.push(Object.freeze({ ...entry }));
    }
  }

  setHardState(hardState: HardState): void {
    this.hardState = { ...hardState };
  }

  /** Deep copy, e.g. to keep a "disk" image across a simulated crash. */
  clone(): MemoryStorage {
    return new MemoryStorage(this.log, this.hardState);
  }
}
