/**
 * The chaos nemesis: a seeded schedule of faults against the real
 * replicas, one at a time (start it, let it last, heal it, rest), as
 * Jepsen's combined nemeses do: SIGKILL and restart, SIGSTOP and SIGCONT,
 * partitions (halves, a lone leader, a bridge, one-way), slow links, a
 * graceful restart, a spare server joining and a member leaving, leadership
 * transfers, and wall-clock jumps. Every step goes into the schedule with
 * its time, so a run can be read back and its seed replayed (the choices
 * replay; the timing of real processes does not, exactly).
 */
import type { SimRandom } from "../tools/sim/random.ts";
import type { ChaosAdmin } from "./admin.ts";
import type { ChaosCluster, Slot } from "./cluster.ts";
import type { ChaosNetwork, Endpoint } from "./network.ts";

export type FaultKind =
  | "kill"
  | "pause"
  | "partition-halves"
  | "partition-lone-leader"
  | "partition-bridge"
  | "partition-one-way"
  | "slow-links"
  | "restart"
  | "join"
  | "leave"
  | "transfer-leader"
  | "clock-jump";

/** How often each fault is drawn (only those possible at the moment are). */
const faultWeights: readonly [FaultKind, number][] = [
  ["kill", 14],
  ["pause", 10],
  ["partition-halves", 10],
  ["partition-lone-leader", 10],
  ["partition-bridge", 6],
  ["partition-one-way", 8],
  ["slow-links", 6],
  ["restart", 6],
  ["join", 6],
  ["leave", 6],
  ["transfer-leader", 8],
  ["clock-jump", 8],
];
/** How long a lasting fault holds, and the rest after it is healed (ms). */
const faultMsMin = 500;
const faultMsMax = 4000;
const restMsMin = 300;
const restMsMax = 1500;
/** Chance that a second fault strikes while the first holds. */
const overlapChance = 0.3;
/** A clock jump moves a replica a day or two ahead or back (session ages, the exactly-once window). */
const clockJumpsMs = [24 * 60 * 60 * 1000, -24 * 60 * 60 * 1000, 2 * 24 * 60 * 60 * 1000, 0];
/** Delay added on a slow link (ms). */
const slowLinkMsMin = 20;
const slowLinkMsMax = 400;

export interface ScheduleEntry {
  atMs: number;
  kind: FaultKind | "heal" | "healed-all";
  detail: string;
}

export class Nemesis {
  readonly schedule: ScheduleEntry[] = [];
  readonly counts: Partial<Record<FaultKind, number>> = {};
  private stopped = false;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly network: ChaosNetwork,
    private readonly admin: ChaosAdmin,
    private readonly random: SimRandom,
    private readonly clientCount: number,
    private readonly founderCount: number,
    private readonly elapsedMs: () => number,
  ) {}

  /** Strikes until `untilMs` (of the run's time) or `stop()`. */
  async run(untilMs: number): Promise<void> {
    while (!this.stopped && this.elapsedMs() < untilMs) {
      await this.rest(this.random.int(restMsMin, restMsMax), untilMs);
      if (this.stopped || this.elapsedMs() >= untilMs) break;
      // Sometimes two faults overlap (a partition while a server is down, two servers down of five).
      const count = this.random.chance(overlapChance) ? 2 : 1;
      const heals: (() => Promise<void>)[] = [];
      for (let i = 0; i < count; i++) {
        const heal = await this.attempt(() => this.strike(this.pick()));
        if (heal) heals.push(heal);
      }
      if (heals.length > 0) await this.rest(this.random.int(faultMsMin, faultMsMax), untilMs);
      for (const heal of heals.reverse()) await this.attempt(heal);
    }
  }

  /**
   * A step that could not be done (a restart whose port was taken, a removal
   * of a server that a second fault already took) is noted and skipped: the
   * final healing starts every member the membership still lists.
   */
  private async attempt<T>(step: () => Promise<T>): Promise<T | null> {
    try {
      return await step();
    } catch (error) {
      this.note("heal", `a step failed: ${String(error).slice(0, 300)}`);
      return null;
    }
  }

  stop(): void {
    this.stopped = true;
  }

  note(kind: ScheduleEntry["kind"], detail: string): void {
    this.schedule.push({ atMs: this.elapsedMs(), kind, detail });
  }

  private async rest(ms: number, untilMs: number): Promise<void> {
    const end = Math.min(this.elapsedMs() + ms, untilMs);
    while (!this.stopped && this.elapsedMs() < end) await Bun.sleep(Math.min(100, end - this.elapsedMs()));
  }

  private pick(): FaultKind {
    const possible = faultWeights.filter(([kind]) => this.possible(kind));
    const total = possible.reduce((sum, [, weight]) => sum + weight, 0);
    let draw = this.random.int(0, total - 1);
    for (const [kind, weight] of possible) {
      if (draw < weight) return kind;
      draw -= weight;
    }
    return "clock-jump";
  }

  private possible(kind: FaultKind): boolean {
    const members = this.cluster.members().length;
    if (kind === "join") return members <= this.founderCount && this.spare() !== undefined;
    // Membership moves between N and N+1 servers: a leave follows a join.
    if (kind === "leave") return members > this.founderCount;
    return true;
  }

  private spare(): Slot | undefined {
    return [...this.cluster.slots.values()].find((slot) => slot.state === "absent");
  }

  /** Applies a fault; returns how to heal it if it lasts. */
  private async strike(kind: FaultKind): Promise<(() => Promise<void>) | null> {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    switch (kind) {
      case "kill":
        return this.kill();
      case "pause":
        return this.pause();
      case "restart":
        return this.restart();
      case "partition-halves":
        return this.partitionHalves();
      case "partition-lone-leader":
        return this.partitionLoneLeader();
      case "partition-bridge":
        return this.partitionBridge();
      case "partition-one-way":
        return this.partitionOneWay();
      case "slow-links":
        return this.slowLinks();
      case "join":
        return this.join();
      case "leave":
        return this.leave();
      case "transfer-leader":
        return this.transferLeader();
      case "clock-jump":
        return this.clockJump();
    }
  }

  /** The leader among the running members (the highest term any of them names), or a running member. */
  async leader(): Promise<Slot | undefined> {
    const running = this.cluster.running();
    const infos = await Promise.all(running.map((slot) => this.admin.leaderInfo(slot.address)));
    let best: { leaderId: number; term: number } | null = null;
    for (const info of infos) if (info && info.leaderId > 0 && (!best || info.term > best.term)) best = info;
    return best ? running.find((slot) => slot.id === best.leaderId) : undefined;
  }

  /** The leader half the time (the interesting case), else any running member. */
  private async victim(): Promise<Slot | undefined> {
    const running = this.cluster.running();
    if (running.length === 0) return undefined;
    const leader = this.random.chance(0.5) ? await this.leader() : undefined;
    return leader ?? this.random.pick(running);
  }

  private async kill() {
    const slot = await this.victim();
    if (!slot) return null;
    await this.cluster.kill(slot.id, "SIGKILL");
    this.note("kill", `SIGKILL server ${slot.id}`);
    return async () => {
      await this.cluster.restart(slot.id);
      this.note("heal", `restarted server ${slot.id}`);
    };
  }

  private async pause() {
    const slot = await this.victim();
    if (!slot) return null;
    this.cluster.pause(slot.id);
    this.note("pause", `SIGSTOP server ${slot.id}`);
    return async () => {
      this.cluster.resume(slot.id);
      this.note("heal", `SIGCONT server ${slot.id}`);
    };
  }

  private async restart() {
    const slot = await this.victim();
    if (!slot) return null;
    await this.cluster.kill(slot.id, "SIGTERM");
    await this.cluster.restart(slot.id);
    this.note("restart", `SIGTERM and restart of server ${slot.id}`);
    return null;
  }

  /** Servers and clients split at random into two sides, with no link between the sides. */
  private async partitionHalves() {
    const servers = this.random.shuffle(this.cluster.members().map((slot) => slot.id));
    const cut = this.random.int(1, Math.max(1, servers.length - 1));
    const [left, right] = [servers.slice(0, cut), servers.slice(cut)];
    const clients = this.clientsSplit();
    this.network.cutBetween([...serversOf(left), ...clients.left], [...serversOf(right), ...clients.right]);
    this.note("partition-halves", `{${left}} + clients {${clients.leftIndexes}} | {${right}} + clients {${clients.rightIndexes}}`);
    return this.healing();
  }

  /** The leader alone with some clients, the rest of the servers together. */
  private async partitionLoneLeader() {
    const leader = await this.leader();
    if (!leader) return this.partitionHalves();
    const others = this.cluster.members().filter((slot) => slot.id !== leader.id);
    const clients = this.clientsSplit();
    this.network.cutBetween([...serversOf([leader.id]), ...clients.left], [...serversOf(others.map((slot) => slot.id)), ...clients.right]);
    this.note("partition-lone-leader", `leader ${leader.id} + clients {${clients.leftIndexes}} | {${others.map((slot) => slot.id)}}`);
    return this.healing();
  }

  /** Two sides that cannot reach each other, and one server (the bridge) that reaches both. */
  private async partitionBridge() {
    const servers = this.random.shuffle(this.cluster.members().map((slot) => slot.id));
    if (servers.length < 3) return this.partitionHalves();
    const bridge = servers.pop()!;
    const cut = Math.floor(servers.length / 2);
    const [left, right] = [servers.slice(0, cut), servers.slice(cut)];
    this.network.cutBetween(serversOf(left), serversOf(right));
    this.note("partition-bridge", `{${left}} | {${right}}, server ${bridge} reaches both`);
    return this.healing();
  }

  /** Nothing from one server (the leader half the time) reaches the others; it still hears them. */
  private async partitionOneWay() {
    const from = await this.victim();
    if (!from) return null;
    const others = this.cluster.members().filter((slot) => slot.id !== from.id);
    const inbound = this.random.chance(0.5);
    for (const other of others) {
      if (inbound) this.network.dropOneWay(other.id, from.id);
      else this.network.dropOneWay(from.id, other.id);
    }
    this.note(
      "partition-one-way",
      inbound ? `nothing reaches server ${from.id}; it still sends` : `nothing from server ${from.id} reaches the others; it still hears them`,
    );
    return this.healing();
  }

  private async slowLinks() {
    const members = this.cluster.members().map((slot) => slot.id);
    const from = this.random.pick(members);
    const ms = this.random.int(slowLinkMsMin, slowLinkMsMax);
    for (const to of members) if (to !== from) this.network.delayOneWay(from, to, ms);
    this.note("slow-links", `everything server ${from} sends is delayed ${ms} ms`);
    return this.healing();
  }

  private async join() {
    const spare = this.spare();
    if (!spare) return null;
    try {
      await this.cluster.join(spare.id);
      this.note("join", `server ${spare.id} started with --join`);
    } catch (error) {
      this.note("join", `server ${spare.id} did not start: ${String(error).slice(0, 200)}`);
    }
    return null;
  }

  private async leave() {
    const leader = await this.leader();
    if (!leader) {
      this.note("leave", "no leader to ask");
      return null;
    }
    const target = this.random.pick(this.cluster.members());
    const refused = await this.admin.removeServer(leader.address, target.id);
    if (refused) {
      this.note("leave", `removing server ${target.id} through ${leader.id} failed: ${refused}`);
      return null;
    }
    await this.cluster.markRemoved(target.id);
    this.note("leave", `server ${target.id} removed through leader ${leader.id}`);
    return null;
  }

  private async transferLeader() {
    const leader = await this.leader();
    const candidates = this.cluster.running().filter((slot) => slot.id !== leader?.id);
    if (!leader || candidates.length === 0) {
      this.note("transfer-leader", "no leader or no other running server");
      return null;
    }
    const target = this.random.pick(candidates);
    const refused = await this.admin.transferLeader(leader.address, target.id);
    this.note("transfer-leader", `${leader.id} → ${target.id}${refused ? ` failed: ${refused}` : ""}`);
    return null;
  }

  /** A replica's wall clock jumps (it stays there until another jump or the final healing). */
  private async clockJump() {
    const slot = (await this.victim()) ?? this.random.pick(this.cluster.members());
    const skewMs = this.random.pick(clockJumpsMs);
    this.cluster.skewClock(slot.id, skewMs);
    this.note("clock-jump", `server ${slot.id} clock skewed ${skewMs / 3_600_000} h`);
    return null;
  }

  private clientsSplit() {
    const leftIndexes: number[] = [];
    const rightIndexes: number[] = [];
    for (let index = 0; index < this.clientCount; index++) (this.random.chance(0.5) ? leftIndexes : rightIndexes).push(index);
    return { leftIndexes, rightIndexes, left: clientsOf(leftIndexes), right: clientsOf(rightIndexes) };
  }

  private healing() {
    return async () => {
      this.network.heal();
      this.note("heal", "network healed");
    };
  }
}

function serversOf(ids: readonly number[]): Endpoint[] {
  return ids.map((id) => ({ kind: "server", id }));
}

function clientsOf(indexes: readonly number[]): Endpoint[] {
  return indexes.map((index) => ({ kind: "client", index }));
}
