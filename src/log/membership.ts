/**
 * The cluster's membership as the log records it: voters elect and commit,
 * learners only receive the log. Config entries carry it as JSON.
 */
import type { ConfigEntryData, Member } from "./raft/types.ts";

export type { Member };

/** Voters and learners with their addresses: what a config entry holds (the core keeps ids only). */
export type Membership = ConfigEntryData;

export function parseMembership(json: string): Membership {
  const value = JSON.parse(json) as Partial<Membership>;
  if (!Array.isArray(value.voters) || !Array.isArray(value.learners)) throw new Error("not a membership");
  return { voters: value.voters, learners: value.learners };
}
