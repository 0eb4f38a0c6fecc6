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
