// Fault schedule for the safety phase: each seed draws a profile (how lossy,
// how slow, how partition- and crash-prone), then faults strike at random ticks.

import type { NodeId } from "../../log/raft/index.ts";
import type { NetworkFaults, SimNetwork } from "./network.ts";
import { crashPoints, type CrashPoint, type NodeTiming } from "./node.ts";
import type { SimRandom } from "./random.ts";

/** Share of crashes and isolations aimed at a current leader. */
const leaderVictimShare = 0.5;

export interface FaultProfile {
  /** Core timing and flow-control bounds: small batches and windows expose more interleavings. */
  timing: NodeTiming;
  writerCount: number;
  /** How long a writer waits before retrying elsewhere; short retries find new leaders while old ones linger. */
  writerRetryTicks: number;
  network: NetworkFaults;
  /** Per-tick chance of a partition change (new cut, or heal). */
  partitionRate: number;
  /** Per-tick chance that some up node crashes. */
  crashRate: number;
  /** Per-tick chance that some up node pauses (stops ticking and handling messages). */
  pauseRate: number;
  maxPauseTicks: number;
  /** Share of crashes that strike inside the Ready loop instead of between steps. */
  midReadyCrashShare: number;
  maxDownTicks: number;
  /** Chance that a restart rebuilds the state machine from the log instead of keeping it. */
  rebuildStateMachineChance: number;
  /** Per-tick chance that the admin starts a membership change (0: membership stays fixed). */
  membershipChangeRate: number;
  /** Per-tick chance of a leadership transfer request to the current leader. */
  transferRate: number;
  /** A node compacts its log once this many applied entries sit before its applied index (0: never). */
  compactEntries: number;
}

export function chooseFaultProfile(random: SimRandom): FaultProfile {
  const maxDelayTicks = random.int(1, 4);
  const electionTicks = random.pick([10, 16]);
  return {
    timing: {
      electionTicks,
      heartbeatTicks: random.pick([1, 2, 3]),
      maxEntriesPerAppend: random.pick([1, 2, 4, 64]),
      maxInflightAppends: random.pick([1, 2, 8]),
    },
    writerCount: random.pick([2, 3, 5]),
    writerRetryTicks: random.pick([5, 12, 25]),
    network: {
      dropRate: random.pick([0, 0.01, 0.05, 0.15, 0.3]),
      duplicateRate: random.pick([0, 0.02, 0.1]),
      minDelayTicks: 1,
      maxDelayTicks,
      longDelayRate: random.pick([0, 0.01, 0.05]),
      maxLongDelayTicks: maxDelayTicks + 3 * electionTicks,
    },
    partitionRate: random.pick([0, 0.01, 0.03, 0.06]),
    crashRate: random.pick([0, 0.005, 0.01, 0.03]),
    pauseRate: random.pick([0, 0.005, 0.02]),
    maxPauseTicks: 4 * electionTicks,
    midReadyCrashShare: random.pick([0.3, 0.7]),
    maxDownTicks: random.pick([5, 20, 60]),
    rebuildStateMachineChance: 0.5,
    membershipChangeRate: random.pick([0, 0.01, 0.03]),
    transferRate: random.pick([0, 0, 0.005, 0.02]),
    compactEntries: random.pick([0, 8, 30, 100]),
  };
}

/** What the injector may do to the cluster; the runner implements it. */
export interface FaultTarget {
  nodeIds: readonly NodeId[];
  network: SimNetwork;
  isUp(id: NodeId): boolean;
  /** Up nodes that currently believe they lead. */
  leaders(): NodeId[];
  crashNow(id: NodeId): void;
  armCrash(id: NodeId, point: CrashPoint): void;
  pause(id: NodeId, ticks: number): void;
  note(what: string, detail?: unknown): void;
}

export class FaultInjector {
  partitions = 0;

  constructor(
    private readonly random: SimRandom,
    private readonly profile: FaultProfile,
    private readonly target: FaultTarget,
  ) {}

  step(): void {
    if (this.random.chance(this.profile.partitionRate)) this.changePartition();
    if (this.random.chance(this.profile.crashRate)) this.crashSomeNode();
    if (this.random.chance(this.profile.pauseRate)) this.pauseSomeNode();
  }

  private pauseSomeNode(): void {
    const up = this.target.nodeIds.filter((id) => this.target.isUp(id));
    if (up.length === 0) return;
    this.target.pause(this.pickVictim(up), this.random.int(1, this.profile.maxPauseTicks));
  }

  private changePartition(): void {
    const { network, nodeIds } = this.target;
    const kind = this.random.pick(["heal", "split", "isolate", "oneWay", "heal"] as const);
    if (kind !== "oneWay") network.heal();
    if (kind === "split") {
      const shuffled = this.random.shuffle([...nodeIds]);
      const cut = this.random.int(1, shuffled.length - 1);
      network.split(shuffled.slice(0, cut), shuffled.slice(cut));
    } else if (kind === "isolate") {
      const victim = this.pickVictim(nodeIds);
      network.split(
        [victim],
        nodeIds.filter((id) => id !== victim),
      );
    } else if (kind === "oneWay") {
      const from = this.random.pick(nodeIds);
      const to = this.random.pick(nodeIds.filter((id) => id !== from));
      network.cutOneWay(from, to);
    }
    this.partitions++;
    this.target.note(`partition ${kind}`, network.describeCuts());
  }

  /**
   * Half the time the victim is a leader: losing a leader with uncommitted
   * entries is what leaves conflicting suffixes behind (paper figure 7 and 8).
   */
  private pickVictim(candidates: readonly NodeId[]): NodeId {
    const leaders = this.target.leaders().filter((id) => candidates.includes(id));
    if (leaders.length > 0 && this.random.chance(leaderVictimShare)) return this.random.pick(leaders);
    return this.random.pick(candidates);
  }

  private crashSomeNode(): void {
    const up = this.target.nodeIds.filter((id) => this.target.isUp(id));
    if (up.length === 0) return;
    const victim = this.pickVictim(up);
    if (this.random.chance(this.profile.midReadyCrashShare)) this.target.armCrash(victim, this.random.pick(crashPoints));
    else this.target.crashNow(victim);
  }
}
