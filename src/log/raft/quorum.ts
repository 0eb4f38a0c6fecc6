// Majority arithmetic over a voter set. Kept apart from the core so joint or
// single-step membership changes (dissertation §4) replace only this file's callers' input.

import type { NodeId } from "./types.ts";

export type VoteResult = "won" | "lost" | "pending";

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** The highest index that a majority of voters has durably matched (paper §5.3, §5.4.2). */
export function majorityIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[quorumSize(voters.length) - 1] ?? 0;
}

/** Outcome of a (pre-)vote given the answers so far; absent voters have not answered. */
export function tallyVotes(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    if (vote === false) rejected++;
  }
  const needed = quorumSize(voters.length);
  if (granted >= needed) return "won";
  if (rejected > voters.length - needed) return "lost";
  return "pending";
}

/** True when a majority of voters satisfy the predicate. */
export function hasQuorum(voters: readonly NodeId[], predicate: (id: NodeId) => boolean): boolean {
  return voters.filter(predicate).length >= quorumSize(voters.length);
}
