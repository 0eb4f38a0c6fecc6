/**
 * `admin status`: every member's own view, gathered and judged. Each member
 * is asked itself (AdminService.MemberStatus), never one replica's idea of
 * the others, so a dead member shows as unreachable rather than as one that
 * lags, and the membership comes from the leader (or, with none, from the
 * member that has seen the most), never from whichever server answered
 * first: a removed server's stale view cannot name the cluster.
 *
 * Gathering takes the asking function as a parameter and the judging is
 * pure, so both are tested without a cluster (tests/unit/cluster-status.test.ts).
 */
import type { MemberStatusReply__Output } from "../../rpc/generated/chat/MemberStatusReply.ts";

export type MemberReply = MemberStatusReply__Output;
/** A member's answer, or why there was none. */
export type Answer = { reply: MemberReply } | { error: string };
export type Ask = (address: string) => Promise<Answer>;

export interface MemberRow {
  /** From the membership; for a server outside it, the id it gave. */
  id: number;
  address: string;
  /** Its place in the cluster's membership; "none" for a server that answered but is not in it. */
  membership: "voter" | "learner" | "none";
  reply: MemberReply | null;
  /** Why it did not answer (reply null). */
  error: string | null;
  /** The leader's commit index minus this member's applied index; null without a leader or an answer. */
  lagEntries: number | null;
}

export interface ClusterStatus {
  leader: { id: number; address: string; term: number } | null;
  /** Every voter and learner of the membership, in id order. */
  members: MemberRow[];
  /** Servers that answered but are not in the membership (removed, or joining and not added yet). */
  others: MemberRow[];
  /** Each reason the cluster is not healthy, as a sentence; empty when it is. */
  problems: string[];
}

/** Asks the seeds, then every member they name that was not asked yet; judges the answers. */
export async function gatherStatus(seeds: readonly string[], ask: Ask): Promise<ClusterStatus> {
  const answers = new Map<string, Answer>();
  const askAll = async (addresses: readonly string[]) => {
    const fresh = [...new Set(addresses)].filter((address) => !answers.has(address));
    const results = await Promise.all(fresh.map(ask));
    for (const [at, address] of fresh.entries()) answers.set(address, results[at]!);
  };
  await askAll(seeds);
  const authority = authorityOf(answers);
  if (authority) await askAll(authority.members.map((member) => member.address));
  return judge(answers);
}

/** The reply whose membership to believe: the leader of the highest term, else the one that has seen the most. */
export function authorityOf(answers: ReadonlyMap<string, Answer>): MemberReply | null {
  const replies = [...answers.values()].flatMap((answer) => ("reply" in answer ? [answer.reply] : [])).filter((reply) => reply.members.length > 0);
  const rank = (reply: MemberReply) => [reply.role === "leader" ? 1 : 0, reply.term, reply.commitIndex];
  let best: MemberReply | null = null;
  for (const reply of replies) {
    if (!best || compare(rank(reply), rank(best)) > 0) best = reply;
  }
  return best;
}

function compare(a: number[], b: number[]): number {
  for (let at = 0; at < a.length; at++) if (a[at] !== b[at]) return a[at]! - b[at]!;
  return 0;
}

/** Pure: the rows, the leader and the problems, from whatever answered. */
export function judge(answers: ReadonlyMap<string, Answer>): ClusterStatus {
  const authority = authorityOf(answers);
  if (!authority) {
    const tried = [...answers.entries()].map(([address, answer]) => `${address} (${"error" in answer ? answer.error : "knows no membership"})`);
    return { leader: null, members: [], others: [], problems: [`no member answered with the cluster's membership; tried ${tried.join(", ")}`] };
  }
  const rowFor = (id: number, address: string, membership: MemberRow["membership"]): MemberRow => {
    const answer = answers.get(address);
    if (!answer || "error" in answer) return { id, address, membership, reply: null, error: answer ? answer.error : "not asked", lagEntries: null };
    return { id, address, membership, reply: answer.reply, error: null, lagEntries: null };
  };
  const members = authority.members
    .map((member) => rowFor(member.id, member.address, member.role === "learner" ? "learner" : "voter"))
    .sort((a, b) => a.id - b.id);
  const memberAddresses = new Set(members.map((member) => member.address));
  // A seed given under another name (localhost for 127.0.0.1) is still the member it says it is.
  const others = [...answers.entries()]
    .filter(([address, answer]) => "reply" in answer && !memberAddresses.has(address) && !memberAddresses.has(answer.reply.address))
    .map(([address, answer]) => rowFor((answer as { reply: MemberReply }).reply.id, address, "none"));
  const problems: string[] = [];
  const leader = leaderOf(members, problems);
  for (const row of members) {
    if (leader && row.reply) row.lagEntries = Math.max(0, leader.commitIndex - row.reply.appliedIndex);
    if (!row.reply) problems.push(`server ${row.id} (${row.membership}) at ${row.address} is unreachable: ${row.error}`);
    else if (row.reply.id !== row.id) problems.push(`${row.address} answers as server ${row.reply.id}, but the membership has server ${row.id} there`);
  }
  return { leader: leader ? { id: leader.id, address: leader.address, term: leader.term } : null, members, others, problems };
}

/** The member that leads in the highest term any member has seen; null (with a problem said) when none does. */
function leaderOf(members: readonly MemberRow[], problems: string[]): MemberReply | null {
  const replies = members.flatMap((row) => (row.reply ? [row.reply] : []));
  const highestTerm = Math.max(0, ...replies.map((reply) => reply.term));
  const leaders = replies.filter((reply) => reply.role === "leader").sort((a, b) => b.term - a.term);
  const leader = leaders[0];
  if (!leader) {
    const voters = members.filter((row) => row.membership === "voter");
    const answering = voters.filter((row) => row.reply).length;
    problems.push(
      `the cluster has no leader: no member says it leads (${answering} of ${voters.length} voters answer; a leader needs ${Math.floor(voters.length / 2) + 1})`,
    );
    return null;
  }
  if (leader.term < highestTerm) {
    problems.push(
      `the cluster has no leader: server ${leader.id} leads term ${leader.term}, but a member has seen term ${highestTerm} (an election is under way)`,
    );
    return null;
  }
  return leader;
}
