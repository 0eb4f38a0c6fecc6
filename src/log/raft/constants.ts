// Bounds and defaults of the consensus core, units last. The relations between
// them are checked once, when a RaftCore is built (assertConfig).

import { assert } from "./assert.ts";

/** Base election timeout; every randomized timeout is at least this (paper §5.2). */
export const electionTicksDefault = 10;
/** Leader heartbeat interval; must be well below the election timeout (paper §5.6). */
export const heartbeatTicksDefault = 1;
/** Max entries in one Append message. */
export const maxEntriesPerAppendDefault = 64;
/** Max payload bytes in one Append (one entry is always sent even if larger). */
export const maxBytesPerAppendDefault = 1 << 20;
/** Max Append messages in flight to one follower in pipelined (replicate) mode. */
export const maxInflightAppendsDefault = 8;
/** Max entries the leader accepts beyond its commit index before refusing proposals. */
export const maxUncommittedEntriesDefault = 10_000;
/** Max committed entries handed to the driver in one Ready. */
export const maxCommittedEntriesPerReady = 1024;
/** Max ReadIndex requests waiting for confirmation at once. */
export const maxPendingReadsDefault = 4096;
/** Bound on the backwards scan for a back-off hint; stopping early only costs a round trip, never safety. */
export const maxConflictScanEntries = 1_000_000;
/** A learner this close to the leader's last index is caught up and may be promoted (dissertation §4.2.1). */
export const learnerPromotionLagEntries = 100;

export interface Limits {
  electionTicks: number;
  heartbeatTicks: number;
  /** Extra timeout per rank among voters (lowest id = rank 0): "lowest id wins" as a preference only. */
  electionRankTicks: number;
  maxEntriesPerAppend: number;
  maxBytesPerAppend: number;
  maxInflightAppends: number;
  maxUncommittedEntries: number;
  maxPendingReads: number;
}

export function defaultRankTicks(electionTicks: number): number {
  return Math.max(1, Math.floor(electionTicks / 4));
}

export function assertLimits(limits: Limits): void {
  for (const [name, value] of Object.entries(limits)) {
    assert(Number.isInteger(value) && value >= 1, `${name} must be a positive integer, got ${value}`);
  }
  // A follower must hear several heartbeats per election timeout, or a healthy
  // leader gets deposed by one dropped message (paper §5.6, broadcastTime << electionTimeout).
  assert(limits.heartbeatTicks * 2 <= limits.electionTicks, "heartbeatTicks must be at most half of electionTicks");
  assert(limits.electionRankTicks <= limits.electionTicks, "electionRankTicks must not exceed electionTicks");
}
