/**
 * The cluster's membership as operators and joiners see it: who is a voter
 * or a learner and where, adding and removing servers, moving the
 * leadership, promoting learners that caught up, and the status report.
 * Every change goes through the consensus core as a config entry; this
 * module decides when to ask and how to answer.
 */
import type { Logger } from "../logger.ts";
import type { DriverClock, RaftTiming } from "./driver-clock.ts";
import { MembershipChangeError, NotLeaderError } from "./errors.ts";
import type { Member, Membership } from "./membership.ts";
import type { RaftCore } from "./raft/core.ts";
import type { ConfChange, NodeId } from "./raft/types.ts";
import type { ReplicaInfo } from "./replica-node.ts";

/** How often a server that is not (yet) a voter logs where it stands. */
export const catchUpReportEveryMs = 1000;

export type RoledMember = Member & { role: "voter" | "learner" };

export function addressOf(core: RaftCore, id: NodeId): string | null {
  return core.membershipAddresses()[id] || null;
}

/** Voters then learners, with their addresses. */
export function membersOf(core: RaftCore): RoledMember[] {
  const { voters, learners } = core.membership();
  const addresses = core.membershipAddresses();
  return [
    ...voters.map((id) => ({ id, address: addresses[id] ?? "", role: "voter" as const })),
    ...learners.map((id) => ({ id, address: addresses[id] ?? "", role: "learner" as const })),
  ];
}

export function membershipOf(core: RaftCore): Membership {
  const members = membersOf(core);
  const pick = (role: RoledMember["role"]) => members.filter((member) => member.role === role).map(({ id, address }) => ({ id, address }));
  return { voters: pick("voter"), learners: pick("learner") };
}

/** What the operations need of the node that owns the core. */
export interface MembershipHost {
  core: RaftCore;
  self: ReplicaInfo;
  timing: RaftTiming;
  clock: DriverClock;
  logger: Logger;
  appliedIndex(): number;
  snapshotIndex(): number;
  /** Proposes a config change; resolves with the membership once it is committed. */
  change(change: ConfChange): Promise<Membership>;
  scheduleReady(): void;
}

export class MembershipOperations {
  private lastCatchUpReport = 0;

  constructor(private readonly host: MembershipHost) {}

  /**
   * Adds a server as a learner; a retry for a server already in the cluster
   * (same id, same address) just answers the membership. Another server's
   * address is refused: peers are reached by address (src/rpc/peer-transport.ts
   * keeps a channel per member id), so two ids at one address would send one
   * server's Raft messages to the other, and no second process can listen there.
   */
  async addLearner(id: number, address: string): Promise<Membership> {
    this.assertLeader();
    const members = membersOf(this.host.core);
    const existing = members.find((member) => member.id === id);
    if (existing && existing.address === address) return membershipOf(this.host.core);
    if (existing) throw new MembershipChangeError({ kind: "addLearner", id, address }, "idInUse");
    const holder = members.find((member) => member.address === address);
    if (holder) throw new MembershipChangeError({ kind: "addLearner", id, address, holder: holder.id }, "addressInUse");
    return this.host.change({ kind: "addLearner", id, address });
  }

  async removeServer(id: number): Promise<Membership> {
    this.assertLeader();
    return this.host.change({ kind: "remove", id });
  }

  /** Moves the leadership to voter `id`; resolves once it leads (or rejects after the transfer timed out). */
  async transferLeader(id: number): Promise<{ leaderId: number; leaderAddress: string }> {
    const { core, self, timing, clock } = this.host;
    this.assertLeader();
    if (id === self.id) return { leaderId: id, leaderAddress: self.address };
    const started = core.transferLeadership(id);
    if (!started.started) throw new MembershipChangeError({ kind: "promote", id }, started.reason);
    this.host.scheduleReady();
    const deadline = clock.now() + 4 * timing.electionTicks * timing.tickMs;
    while (clock.now() < deadline) {
      if (core.leader === id) return { leaderId: id, leaderAddress: addressOf(core, id) ?? "" };
      await clock.sleep(timing.tickMs);
    }
    throw new NotLeaderError(addressOf(core, core.leader));
  }

  /** Leader, every tick: promote a learner that caught up (one change at a time; the rule is the core's). */
  promoteCaughtUpLearners(): void {
    const { core, logger } = this.host;
    const id = core.caughtUpLearner();
    if (id === undefined) return;
    const proposed = core.proposeConfChange({ kind: "promote", id });
    if (proposed.accepted) logger.info("promoting a caught-up learner", { id, match: core.progressOf(id)?.match });
  }

  /**
   * Not the leader, every tick: a server that is not a voter says where it
   * stands, once a second. A joiner receives the log from its start, so the
   * config entry that adds it arrives last: until then it is catching up,
   * not removed (a server that is removed stops: RaftNode.apply).
   */
  reportCatchUp(): void {
    const { core, self, logger, clock } = this.host;
    const { voters, learners } = core.membership();
    if (voters.includes(self.id) || clock.now() - this.lastCatchUpReport < catchUpReportEveryMs) return;
    this.lastCatchUpReport = clock.now();
    const applied = this.host.appliedIndex();
    if (applied === 0 && core.lastIndex === 0) {
      logger.info("waiting to be added to the cluster");
      return;
    }
    const behind = Math.max(0, core.announcedCommitIndex - applied);
    const as = learners.includes(self.id) ? "a learner" : "a joiner (the entry that adds it comes last)";
    logger.info(`catching up as ${as}, ${behind} entries behind`, { applied, leaderCommit: core.announcedCommitIndex, behind });
  }

  /** The leader's view of the cluster, for operators; a follower redirects to the leader it knows. */
  status() {
    const { core, self } = this.host;
    if (core.currentRole !== "leader" && core.leader) throw new NotLeaderError(addressOf(core, core.leader));
    return {
      leaderId: core.leader,
      leaderAddress: addressOf(core, core.leader) ?? "",
      term: core.currentTerm,
      commitIndex: core.commitIndex,
      lastIndex: core.lastIndex,
      snapshotIndex: this.host.snapshotIndex(),
      replicas: membersOf(core).map((member) => ({
        ...member,
        matchIndex: member.id === self.id ? core.lastIndex : (core.progressOf(member.id)?.match ?? 0),
      })),
    };
  }

  private assertLeader(): void {
    const { core } = this.host;
    if (core.currentRole !== "leader") throw new NotLeaderError(addressOf(core, core.leader));
  }
}
