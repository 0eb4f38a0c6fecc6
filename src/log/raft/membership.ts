// Membership as the core keeps it (ids, the config entry's index, opaque
// addresses) and the pure rules of single-server changes (dissertation §4.1):
// what a config entry establishes and what a change turns it into.

import { assert } from "./assert.ts";
import type { ConfChange, ConfigEntryData, Entry, Member, Membership, NodeId } from "./types.ts";

function sameIds(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

export function sameMembership(a: Membership, b: Membership): boolean {
  if (a === b) return true;
  if (a.configIndex !== b.configIndex || !sameIds(a.voters, b.voters) || !sameIds(a.learners, b.learners)) return false;
  return [...a.voters, ...a.learners].every((id) => a.addresses[id] === b.addresses[id]);
}

export function copyMembership(membership: Membership): Membership {
  return { voters: [...membership.voters], learners: [...membership.learners], configIndex: membership.configIndex, addresses: { ...membership.addresses } };
}

/** The membership a "config" entry establishes (its data is ConfigEntryData JSON). */
export function membershipFromEntry(entry: Entry): Membership {
  assert(entry.type === "config", `entry ${entry.index} is not a config entry`);
  return membershipFromConfig(JSON.parse(entry.data) as ConfigEntryData, entry.index);
}

/** Config entry data (or a snapshot's membership) as the core's Membership. */
export function membershipFromConfig(data: ConfigEntryData, configIndex: number): Membership {
  const addresses: Record<NodeId, string> = {};
  for (const member of [...data.voters, ...data.learners]) addresses[member.id] = member.address;
  const ids = (members: Member[]) => members.map((member) => member.id).sort((a, b) => a - b);
  return { voters: ids(data.voters), learners: ids(data.learners), configIndex, addresses };
}

/** The core's Membership back in config-entry shape, e.g. for a snapshot's metadata. */
export function configFromMembership(membership: Membership): ConfigEntryData {
  const members = (ids: NodeId[]): Member[] => ids.map((id) => ({ id, address: membership.addresses[id] ?? "" }));
  return { voters: members(membership.voters), learners: members(membership.learners) };
}

/** The config entry data after one single-server change, or null if the change is invalid. */
export function applyConfChange(current: Membership, change: ConfChange): ConfigEntryData | null {
  const { id, kind } = change;
  if (!Number.isInteger(id) || id < 1) return null;
  const isVoter = current.voters.includes(id);
  const isLearner = current.learners.includes(id);
  let voters = [...current.voters];
  let learners = [...current.learners];
  const addresses: Record<NodeId, string> = { ...current.addresses };
  if (kind === "addLearner") {
    if (isVoter || isLearner) return null;
    learners.push(id);
    addresses[id] = change.address ?? "";
  } else if (kind === "promote") {
    if (!isLearner) return null;
    learners = learners.filter((other) => other !== id);
    voters.push(id);
  } else if (kind === "remove") {
    if (!isVoter && !isLearner) return null;
    if (isVoter && voters.length === 1) return null;
    voters = voters.filter((other) => other !== id);
    learners = learners.filter((other) => other !== id);
  } else {
    return null;
  }
  const members = (ids: NodeId[]): Member[] => ids.sort((a, b) => a - b).map((member) => ({ id: member, address: addresses[member] ?? "" }));
  return { voters: members(voters), learners: members(learners) };
}

/** Index and term of the entry that holds a new cluster's first voters. */
export const bootstrapIndex = 1;
export const bootstrapTerm = 1;

/**
 * The first entry of a new cluster's log: its initial voters as a config
 * entry (as hashicorp/raft's BootstrapCluster and etcd's initial conf
 * changes do). Every original member writes this same entry from the same
 * member list, so their logs agree at index 1 before any election; a server
 * added later receives it (or a snapshot carrying its successor) from the
 * leader. Membership thus always comes from the log, never from a flag given
 * at start: a restarted server cannot mistake itself for a cluster of one.
 */
export function bootstrapEntry(voters: readonly Member[]): Entry {
  assert(voters.length > 0, "a cluster needs at least one voter");
  assert(new Set(voters.map((voter) => voter.id)).size === voters.length, "duplicate voter ids");
  assert(
    voters.every((voter) => Number.isInteger(voter.id) && voter.id >= 1),
    "node ids start at 1",
  );
  const sorted = [...voters].sort((a, b) => a.id - b.id).map(({ id, address }) => ({ id, address }));
  const data: ConfigEntryData = { voters: sorted, learners: [] };
  return { index: bootstrapIndex, term: bootstrapTerm, type: "config", data: JSON.stringify(data) };
}
