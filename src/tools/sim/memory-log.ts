// The consensus simulator's disk as the driver writes it (src/log/driver-log.ts),
// over the in-memory store the invariant checks read. Every write here is
// durable at once: what a crash loses is what the driver had not handed over.

import type { DriverLog } from "../../log/driver-log.ts";
import type { ConfigEntryData, Entry, HardState, MemoryStorage, SnapshotMeta } from "../../log/raft/index.ts";

export class MemoryDriverLog implements DriverLog {
  constructor(
    private readonly disk: MemoryStorage,
    /** Told after each compaction, with the new snapshot point. */
    private readonly onCompacted: (point: SnapshotMeta) => void = () => {},
  ) {}

  snapshot(): SnapshotMeta {
    return this.disk.snapshot();
  }

  firstIndex(): number {
    return this.disk.firstIndex();
  }

  lastIndex(): number {
    return this.disk.lastIndex();
  }

  term(index: number): number | undefined {
    return this.disk.term(index);
  }

  entries(lo: number, hiExclusive: number, maxBytes?: number): Entry[] {
    return this.disk.entries(lo, hiExclusive, maxBytes);
  }

  hardState(): HardState {
    return { ...this.disk.hardState };
  }

  persist(entries: readonly Entry[], hardState: HardState | undefined): void {
    this.disk.append([...entries]);
    if (hardState) this.disk.setHardState(hardState);
  }

  persistSnapshot(snapshot: SnapshotMeta, entries: readonly Entry[], hardState: HardState | undefined): void {
    this.disk.applySnapshot(snapshot);
    this.persist(entries, hardState);
  }

  /** The membership at `index` is its latest config entry at or before it, or the snapshot's. */
  compact(index: number): void {
    const point = this.disk.snapshot();
    let membership: ConfigEntryData = point.membership;
    let configIndex = point.configIndex;
    for (const entry of this.disk.entries(point.index + 1, index + 1)) {
      if (entry.type !== "config") continue;
      membership = JSON.parse(entry.data) as ConfigEntryData;
      configIndex = entry.index;
    }
    this.disk.compact(index, this.disk.term(index)!, membership, configIndex);
    this.onCompacted(this.disk.snapshot());
  }
}
