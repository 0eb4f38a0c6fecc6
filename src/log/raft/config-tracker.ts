// Which membership a node uses (dissertation §4.1): the latest "config"
// entry in its log, committed or not, as soon as it is appended; else its
// snapshot's membership; else none. A truncation that removes a config
// entry falls back to the one before it. The tracker remembers where the
// config entries are, so it never rescans the log after a start.

import type { LogView } from "./log-view.ts";
import { membershipFromConfig, membershipFromEntry } from "./membership.ts";
import type { Entry, Membership } from "./types.ts";

/** Config-entry scan at startup reads the log in chunks of this many entries. */
const configScanChunkEntries = 1024;

/** What a node that has no config entry and no snapshot knows: nobody, itself included. */
const noMembership: Membership = Object.freeze({ voters: [], learners: [], configIndex: 0, addresses: {} }) as Membership;

export class ConfigTracker {
  /** Indexes of the config entries in the log (retained or unstable), ascending. */
  private configIndexes: number[];
  private current: Membership;

  constructor(private readonly log: LogView) {
    this.configIndexes = this.scan(log.firstIndex());
    this.current = this.compute();
  }

  get membership(): Membership {
    return this.current;
  }

  /**
   * Entries about to be appended from `entries[0].index` on (a suffix from
   * there is replaced). Returns true when the membership in use changed.
   */
  onAppend(entries: readonly Entry[]): boolean {
    const first = entries[0]?.index;
    if (first === undefined) return false;
    let changed = false;
    while (this.configIndexes.length > 0 && this.configIndexes[this.configIndexes.length - 1]! >= first) {
      this.configIndexes.pop();
      changed = true;
    }
    for (const entry of entries) {
      if (entry.type !== "config") continue;
      this.configIndexes.push(entry.index);
      changed = true;
    }
    return changed;
  }

  /** The log restarted after a snapshot at `index`: only config entries kept after it still count. */
  onRestore(index: number): void {
    this.configIndexes = this.scan(index + 1);
    this.current = this.compute();
  }

  /** After an append the log holds the new entries: the membership they establish, if onAppend said so. */
  refresh(): Membership {
    this.current = this.compute();
    return this.current;
  }

  /** Indexes of the config entries in the log from `from` on. A restart reads the whole retained log once. */
  private scan(from: number): number[] {
    const found: number[] = [];
    const end = this.log.lastIndex() + 1;
    for (let lo = Math.max(from, this.log.firstIndex()); lo < end; ) {
      const chunk = this.log.slice(lo, Math.min(end, lo + configScanChunkEntries));
      for (const entry of chunk) if (entry.type === "config") found.push(entry.index);
      lo += chunk.length;
    }
    return found;
  }

  private compute(): Membership {
    const latest = this.configIndexes[this.configIndexes.length - 1];
    const snapshot = this.log.snapshot();
    if (latest !== undefined && latest > snapshot.index && latest >= this.log.firstIndex()) {
      return membershipFromEntry(this.log.slice(latest, latest + 1)[0]!);
    }
    // A snapshot at index 0 with members is a test storage's stand-in for a bootstrapped log (as etcd-io/raft's tests do).
    if (snapshot.index > 0 || snapshot.membership.voters.length > 0) {
      return membershipFromConfig(snapshot.membership, snapshot.configIndex ?? snapshot.index);
    }
    return noMembership;
  }
}
