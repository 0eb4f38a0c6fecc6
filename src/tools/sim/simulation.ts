// One seeded simulation run (in the spirit of TigerBeetle's VOPR): N replicas
// in one process, each the replica's own driver (RaftNode, src/log/raft-node.ts)
// over an in-memory disk and a toy state machine, on a faulty simulated
// network, with crashes (between steps, or at any point of the Ready loop)
// that lose whatever was not persisted. A safety phase with faults, then a
// liveness phase after healing everything, which must elect a leader and
// converge. Any violated invariant ends the run with the seed and a trace.
// Per seed, the profile may also mix in membership changes (an admin adds
// spare nodes as learners, which the driver promotes once caught up; removes
// voters and leaders), leadership transfers, and log compaction, so lagging,
// new and restarted nodes catch up through snapshots.

import type { RunResult } from "./run-result.ts";
import type { Logger } from "../../logger.ts";
import { MembershipChangeError, NotLeaderError } from "../../log/errors.ts";
import type { CoreView, DriverProbe } from "../../log/raft-node.ts";
import {
  bootstrapTerm,
  RaftInvariantError,
  type ConfigEntryData,
  type Entry,
  type MemoryStorage,
  type Message,
  type NodeId,
  type SnapshotMeta,
} from "../../log/raft/index.ts";
import type { AppendResponseMessage } from "../../log/raft/types.ts";
import type { SnapshotEnvelope } from "../../log/snapshot-port.ts";
import { Admin, type AdminPort } from "./admin.ts";
import { Reader, Writer, type ClientPort } from "./clients.ts";
import { chooseFaultProfile, FaultInjector, type FaultProfile, type FaultTarget } from "./faults.ts";
import { InvariantChecker } from "./invariants.ts";
import { calmNetwork, SimNetwork, type NetworkStats } from "./network.ts";
import { SimCrash, SimNode, simTickMs, type CrashPoint, type NodeHost, type SimDriver, type ToySnapshot, type ToyStaging } from "./node.ts";
import { SimRandom } from "./random.ts";
import { SimViolation, type ToyStateMachine } from "./state-machine.ts";
import { Trace, traceCapacityEvents, traceLogger } from "./trace.ts";

export interface SimOptions {
  seed: number;
  nodeCount: number;
  /** Ticks of the faulty safety phase. */
  safetyTicks?: number;
  /** Ticks the healed cluster gets to elect a leader and converge. */
  livenessTicksMax?: number;
  writerCount?: number;
  /** Events printed on failure. */
  traceTailEvents?: number;
  /** Also trace every delivered message (slow; for replaying one seed). */
  traceMessages?: boolean;
  /** Print the drivers' own logs (for replaying one seed). */
  verbose?: boolean;
}

export interface SimStats {
  ticks: number;
  elections: number;
  writesAcked: number;
  readsChecked: number;
  crashes: number;
  partitions: number;
  committedEntries: number;
  ticksToConverge: number;
  membershipChanges: number;
  transfers: number;
  snapshotsInstalled: number;
  network: NetworkStats;
}

export interface SimResult extends RunResult<SimStats> {
  profile: FaultProfile;
}

export const safetyTicksDefault = 400;
export const livenessTicksMaxDefault = 2000;
export const traceTailEventsDefault = 50;
/** Rounds of queued driver work one tick may take before the drivers are taken to livelock. */
const maxDrainRounds = 1000;
/** Per-tick chance that an idle writer starts its next command during the safety phase. */
const writeStartChance = 0.3;
/** Held peer messages reach a resumed node up to this many ticks after it resumes. */
const resumeSkewTicksMax = 3;
/** Per-tick chance that the reader issues a ReadIndex request. */
const readChance = 0.2;
/** Nodes beyond the initial ones that the admin may add. */
const spareNodes = 2;
/** A snapshot stream that cannot reach its receiver fails after this many election timeouts (the transfer's deadline). */
const snapshotFailureTicksFactor = 2;
/** Peer requests, answered by the receiving driver's call; every other message is an answer, stepped. */
const requestTypes = new Set<Message["type"]>(["preVote", "vote", "append", "timeoutNow"]);

/** A transfer or notice that travels outside the message network (a snapshot stream, a removal trailer). */
interface Delivery {
  at: number;
  from: NodeId;
  to: NodeId;
  deliver(reachable: boolean): void;
}

export function runSimulation(options: SimOptions): Promise<SimResult> {
  return new Simulation(options).run();
}

class Simulation implements FaultTarget, ClientPort, AdminPort, NodeHost {
  private now = 0;
  private readonly random: SimRandom;
  readonly network: SimNetwork;
  /** Initial nodes, then spares (started only when the admin adds them); nodes[id - 1]. */
  private readonly nodes: SimNode[];
  private readonly admin: Admin;
  private deliveries: Delivery[] = [];
  private transfers = 0;
  private snapshotsInstalled = 0;
  private readonly checker: InvariantChecker;
  private readonly trace: Trace;
  private readonly profile: FaultProfile;
  private readonly faults: FaultInjector;
  private readonly writers: Writer[];
  private readonly reader: Reader;
  private crashes = 0;
  private ticksToConverge = 0;
  /** Commit index on each node's disk before the Ready being persisted (for the commit checks after it). */
  private readonly commitBeforePersist = new Map<NodeId, number>();
  /** The first broken invariant noticed in a callback; the run ends with it after the current tick. */
  private failure: Error | null = null;

  constructor(private readonly options: SimOptions) {
    this.random = new SimRandom(options.seed);
    this.trace = new Trace(Math.max(traceCapacityEvents, options.traceTailEvents ?? 0));
    this.network = new SimNetwork(this.random.fork());
    const initial = Array.from({ length: options.nodeCount }, (_, i) => i + 1);
    this.nodes = Array.from({ length: options.nodeCount + spareNodes }, (_, i) => new SimNode(i + 1, this.random.fork(), i < options.nodeCount ? initial : []));
    for (const node of this.nodes.slice(0, options.nodeCount)) node.started = true;
    this.checker = new InvariantChecker();
    this.checker.onFounded(this.nodes[0]!.disk.entries(1, 2)[0]!, bootstrapTerm);
    this.profile = chooseFaultProfile(this.random);
    this.faults = new FaultInjector(this.random.fork(), this.profile, this);
    const writerCount = options.writerCount ?? this.profile.writerCount;
    this.writers = Array.from({ length: writerCount }, (_, i) => new Writer(`c${i + 1}`, this.random.fork(), this, this.profile.writerRetryTicks));
    this.reader = new Reader(this.random.fork(), this, this.writers);
    this.admin = new Admin(this.random.fork(), this, this.profile.membershipChangeRate);
  }

  /** Every node ever started (spares join when added); clients and faults pick among them. */
  get nodeIds(): NodeId[] {
    return this.nodes.filter((node) => node.started).map((node) => node.id);
  }

  async run(): Promise<SimResult> {
    try {
      for (const node of this.nodes) if (node.started) this.startNode(node, false);
      await this.safetyPhase();
      await this.livenessPhase();
      this.finalChecks();
      return this.result();
    } catch (error) {
      return this.failure_(error);
    }
  }

  // ------------------------------------------------------------ phases

  private async safetyPhase(): Promise<void> {
    this.network.faults = this.profile.network;
    const ticks = this.options.safetyTicks ?? safetyTicksDefault;
    for (let tick = 0; tick < ticks; tick++) {
      this.faults.step();
      this.restartDueNodes();
      this.admin.step(this.now, true);
      this.maybeTransfer();
      await this.advanceTime(writeStartChance);
    }
  }

  /** Asks the current leader to hand over to another voter (dissertation §3.10), as `admin transfer` does. */
  private maybeTransfer(): void {
    if (!this.random.chance(this.profile.transferRate)) return;
    const leader = this.reachableLeaders()[0];
    const driver = leader === undefined ? null : this.driver(leader);
    if (!driver) return;
    const others = driver.view.voterIds.filter((id) => id !== leader);
    if (others.length === 0) return;
    const to = this.random.pick(others);
    this.trace.add(this.now, leader!, "transfer", { to });
    driver.transferLeader(to).then(
      () => this.transfers++,
      (error: unknown) => {
        if (!(error instanceof NotLeaderError) && !(error instanceof MembershipChangeError)) this.fail(error as Error);
      },
    );
  }

  private async livenessPhase(): Promise<void> {
    this.network.heal();
    this.network.faults = calmNetwork;
    this.note("healed", "no more faults; every crashed node restarts");
    for (const node of this.nodes) {
      node.armedCrash = null;
      node.pausedUntil = Math.min(node.pausedUntil, this.now);
      node.downUntil = Math.min(node.downUntil, this.now);
    }
    this.restartDueNodes();
    // Each writer must get one more write through the healed cluster.
    const targets = new Map(this.writers.map((writer) => [writer, writer.seq + 1]));
    const maxTicks = this.options.livenessTicksMax ?? livenessTicksMaxDefault;
    const start = this.now;
    while (!this.converged(targets)) {
      if (this.now - start >= maxTicks) throw new SimViolation("liveness after healing", this.describeStall(targets));
      const wantsMore = [...targets].some(([writer, target]) => writer.seq < target);
      this.admin.step(this.now, false);
      await this.advanceTime(wantsMore ? 1 : 0);
    }
    this.ticksToConverge = this.now - start;
  }

  /**
   * One tick: due messages and the clients' requests arrive in a random
   * order within one turn, as on a real event loop (so a request can come in
   * the turn that elected its leader, before the driver's Ready); then
   * transfers, every live node's tick, and all queued work.
   */
  private async advanceTime(writeChance: number): Promise<void> {
    this.now++;
    const arrivals: Array<() => void> = this.network.takeDue(this.now).map((message) => () => this.deliver(message));
    for (const writer of this.writers) arrivals.push(() => writer.step(this.now, writeChance));
    arrivals.push(() => this.reader.step(writeChance > 0 ? readChance : 0));
    for (const arrival of this.random.shuffle(arrivals)) arrival();
    this.runDeliveries();
    for (const node of this.nodes) if (this.running(node)) node.clock!.tick();
    await this.drain();
    for (const node of this.nodes) if (this.running(node)) this.observeLeader(node.id, node.core!);
    if (this.failure) throw this.failure;
  }

  private deliver(message: Message): void {
    const node = this.nodes[message.to - 1]!;
    const driver = node.driver;
    if (!driver) return;
    if (node.pausedUntil > this.now) {
      // After a stall, the process may serve clients before it drains its peer sockets.
      this.network.hold(message, node.pausedUntil + this.random.int(0, resumeSkewTicksMax));
      return;
    }
    if (this.options.traceMessages) this.trace.add(this.now, node.id, `<- n${message.from}`, message);
    if (!requestTypes.has(message.type)) {
      driver.step(message);
      return;
    }
    if (message.type === "preVote" || message.type === "vote") this.tellIfRemoved(driver, message.from);
    void driver.handlePeerMessage(message).then((answer) => {
      if (answer) this.network.send(answer, this.now);
    });
  }

  /** The leader answers a removed server's campaign with the index that removed it (the peer server's removed-at trailer). */
  private tellIfRemoved(leader: SimDriver, candidate: NodeId): void {
    const index = leader.removedAt(candidate);
    if (index === null) return;
    this.deliveries.push({
      at: this.now + 1,
      from: leader.view.leader,
      to: candidate,
      deliver: (reachable) => {
        if (reachable) this.nodes[candidate - 1]!.driver?.learnRemoval(index);
      },
    });
  }

  /** Transfers due now reach their receiver if it runs and no cut lies between them. */
  private runDeliveries(): void {
    if (this.deliveries.length === 0) return;
    const due = this.deliveries.filter((delivery) => delivery.at <= this.now);
    this.deliveries = this.deliveries.filter((delivery) => delivery.at > this.now);
    for (const delivery of due) {
      const receiver = this.nodes[delivery.to - 1]!;
      const reachable = this.running(receiver) && !this.network.isCut(delivery.from, delivery.to) && !this.network.isCut(delivery.to, delivery.from);
      delivery.deliver(reachable);
    }
  }

  /** Runs every node's queued work and the promise callbacks it releases, until all is quiet. */
  private async drain(): Promise<void> {
    for (let round = 0; ; round++) {
      if (round >= maxDrainRounds) throw new SimViolation("the Ready loop drains", `still busy after ${round} rounds`);
      let ran = false;
      for (const node of this.nodes) if (this.running(node)) ran = node.clock!.runQueued() || ran;
      // Promise callbacks (answers to clients, peers) run before the next macrotask.
      await new Promise((resolve) => setImmediate(resolve));
      if (!ran && !this.nodes.some((node) => this.running(node) && node.clock!.hasQueued())) return;
    }
  }

  private running(node: SimNode): boolean {
    return node.isUp && node.pausedUntil <= this.now;
  }

  private startNode(node: SimNode, rebuild: boolean): void {
    node.start(this.profile.timing, this.profile.compactEntries, rebuild, this);
  }

  private restartDueNodes(): void {
    for (const node of this.nodes) {
      if (!node.started || node.removed || node.isUp || node.downUntil > this.now) continue;
      const rebuild = this.random.chance(this.profile.rebuildStateMachineChance);
      this.trace.add(this.now, node.id, "restart", { hardState: node.disk.hardState, lastIndex: node.disk.lastIndex(), rebuild });
      this.startNode(node, rebuild);
    }
  }

  // ------------------------------------------------------------ NodeHost: what the drivers see, and the checks inside their Ready loop

  nowMs(): number {
    return this.now * simTickMs;
  }

  send(message: Message): void {
    this.network.send(message, this.now);
  }

  /** The stream reaches the receiver after a network delay, whole or not at all; a lost one is reported failed later. */
  sendSnapshot(envelope: SnapshotEnvelope, snapshot: ToySnapshot): Promise<AppendResponseMessage | null> {
    this.trace.add(this.now, envelope.from, "send snapshot", { to: envelope.to, index: snapshot.header.index });
    return new Promise((resolve) => {
      this.deliveries.push({
        at: this.now + this.random.int(1, resumeSkewTicksMax + 1),
        ...envelope,
        deliver: (reachable) => {
          if (!reachable) {
            this.deliveries.push({ at: this.now + snapshotFailureTicksFactor * this.profile.timing.electionTicks, ...envelope, deliver: () => resolve(null) });
            return;
          }
          resolve(this.installAt(this.nodes[envelope.to - 1]!.driver!, envelope, snapshot));
        },
      });
    });
  }

  private installAt(receiver: SimDriver, envelope: SnapshotEnvelope, snapshot: ToySnapshot): AppendResponseMessage | null {
    let staging: ToyStaging;
    try {
      staging = receiver.beginSnapshot(envelope, snapshot.header);
    } catch {
      return null; // from a stale term
    }
    staging.state = snapshot.state.clone();
    return receiver.installSnapshot(envelope, staging) as AppendResponseMessage | null;
  }

  logger(id: NodeId): Logger {
    return traceLogger(this.trace, () => this.now, id, this.options.verbose ?? false);
  }

  stopped(id: NodeId, error: Error | null): void {
    if (error instanceof SimCrash) this.crashed(id, error.point);
    else if (error === null) this.trace.add(this.now, id, "removed; stopped");
    else this.fail(error);
  }

  probe(id: NodeId): DriverProbe {
    const node = this.nodes[id - 1]!;
    return {
      persisting: (ready, core) => {
        if (ready.softState) this.onRole(id, ready.softState.role, core);
        if (ready.membership) this.trace.add(this.now, id, "membership", ready.membership);
        this.checker.beforePersist(id, ready, node.disk);
        this.commitBeforePersist.set(id, node.disk.hardState.commit);
      },
      persisted: (_ready, core) => {
        const { configIndex } = core.membership();
        const votersBefore = configIndex > node.disk.hardState.commit ? votersBeforeConfig(node.disk, configIndex) : null;
        this.checker.afterPersist(id, this.commitBeforePersist.get(id) ?? 0, node.disk, this.startedNodes(), core.voterIds, votersBefore);
      },
      sending: (message, core) => {
        if (message.type !== "voteResponse" || !message.granted) return;
        const { voters, learners } = core.membership();
        this.checker.onVoteGranted(id, message.to, message.term, voters.includes(id) || learners.includes(id));
      },
      advancing: (_ready, core) => this.observeLeader(id, core),
    };
  }

  applied(id: NodeId, entry: Entry, state: ToyStateMachine): void {
    this.checker.onApply(id, entry);
    this.checker.onStateHash(id, entry.index, state.hash());
  }

  installed(id: NodeId, snapshot: SnapshotMeta, state: ToyStateMachine): void {
    this.checker.onSnapshot(id, snapshot);
    this.checker.onStateHash(id, state.appliedIndex, state.hash());
    this.snapshotsInstalled++;
    this.trace.add(this.now, id, "install snapshot", { index: snapshot.index, term: snapshot.term });
  }

  compacted(id: NodeId, snapshot: SnapshotMeta): void {
    this.checker.onSnapshot(id, snapshot);
    this.trace.add(this.now, id, "compact", { index: snapshot.index });
  }

  private onRole(id: NodeId, role: string, core: CoreView): void {
    this.trace.add(this.now, id, "role", { role, term: core.currentTerm });
    if ((role === "preCandidate" || role === "candidate") && !core.voterIds.includes(id)) {
      throw new SimViolation("learners and non-members never campaign", `node ${id} is a ${role} with voters ${core.voterIds.join(",")}`);
    }
  }

  private observeLeader(id: NodeId, core: CoreView): void {
    if (core.currentRole !== "leader") return;
    this.checker.onLeader(id, core.currentTerm, (index) => core.termAt(index), core.snapshotMeta().index + 1, core.voterIds);
    // Dissertation §4.1: at most one config change uncommitted in a leader's log.
    const membership = core.membership();
    if (membership.configIndex > core.commitIndex) {
      const uncommitted = core.entries(core.commitIndex + 1, core.lastIndex + 1).filter((entry) => entry.type === "config");
      if (uncommitted.length > 1) {
        throw new SimViolation(
          "at most one uncommitted config change",
          `leader ${id} has config entries ${uncommitted.map((entry) => entry.index).join(",")} above commit ${core.commitIndex}`,
        );
      }
    }
  }

  private startedNodes(): SimNode[] {
    return this.nodes.filter((candidate) => candidate.started);
  }

  // ------------------------------------------------------------ FaultTarget, ClientPort and AdminPort

  isUp(id: NodeId): boolean {
    return this.nodes[id - 1]!.isUp;
  }

  crashNow(id: NodeId): void {
    this.nodes[id - 1]!.crash();
    this.crashed(id, "between steps");
  }

  private crashed(id: NodeId, point: string): void {
    const node = this.nodes[id - 1]!;
    node.downUntil = this.now + this.random.int(1, this.profile.maxDownTicks);
    this.crashes++;
    this.trace.add(this.now, id, "crash", { point, downUntil: node.downUntil, disk: node.disk.hardState, lastIndex: node.disk.lastIndex() });
  }

  pause(id: NodeId, ticks: number): void {
    const node = this.nodes[id - 1]!;
    node.pausedUntil = Math.max(node.pausedUntil, this.now + ticks);
    this.trace.add(this.now, id, "pause", { until: node.pausedUntil });
  }

  leaders(): NodeId[] {
    return this.nodes.filter((node) => node.core?.currentRole === "leader").map((node) => node.id);
  }

  reachableLeaders(): NodeId[] {
    return this.leaders().filter((id) => this.nodes[id - 1]!.pausedUntil <= this.now);
  }

  driver(id: NodeId): SimDriver | null {
    const node = this.nodes[id - 1];
    return node && this.running(node) ? node.driver : null;
  }

  nowTicks(): number {
    return this.now;
  }

  fail(error: Error): void {
    this.failure ??= error;
  }

  hasSpare(): boolean {
    return this.nodes.some((node) => !node.started);
  }

  startSpare(): NodeId | undefined {
    const node = this.nodes.find((candidate) => !candidate.started);
    if (!node) return undefined;
    this.trace.add(this.now, node.id, "start spare");
    this.startNode(node, false);
    return node.id;
  }

  armCrash(id: NodeId, point: CrashPoint): void {
    this.nodes[id - 1]!.armedCrash = point;
  }

  note(what: string, detail?: unknown): void {
    this.trace.add(this.now, 0, what, detail);
  }

  stateMachine(id: NodeId): ToyStateMachine | undefined {
    const node = this.nodes[id - 1]!;
    return node.isUp ? node.stateMachine : undefined;
  }

  // ------------------------------------------------------------ liveness and final checks

  private leaderNode(): SimNode | undefined {
    return this.nodes.find((node) => node.core?.currentRole === "leader");
  }

  /** The members (voters and learners) of the leader's config, or of the first up node's when none leads. */
  private members(): SimNode[] {
    const core = (this.leaderNode() ?? this.nodes.find((node) => node.isUp))?.core;
    if (!core) return this.startedNodes();
    const { voters, learners } = core.membership();
    return this.nodes.filter((node) => voters.includes(node.id) || learners.includes(node.id));
  }

  private converged(targets: ReadonlyMap<Writer, number>): boolean {
    for (const [writer, target] of targets) if (writer.acked < target) return false;
    const leader = this.leaderNode();
    if (!leader) return false;
    const commit = leader.core!.commitIndex;
    if (commit !== leader.core!.lastIndex) return false;
    const hash = leader.stateMachine.hash();
    return this.members().every(
      (node) => node.core && node.core.commitIndex === commit && node.stateMachine.appliedIndex === commit && node.stateMachine.hash() === hash,
    );
  }

  private describeStall(targets: ReadonlyMap<Writer, number>): string {
    const nodes = this.startedNodes().map((node) => {
      const core = node.core;
      if (!core) return `n${node.id}:${node.removed ? "removed" : "down"}`;
      return `n${node.id}:${core.currentRole}@${core.currentTerm} leader=${core.leader} commit=${core.commitIndex} last=${core.lastIndex} applied=${node.stateMachine.appliedIndex}`;
    });
    const writers = [...targets].map(([writer, target]) => `${writer.clientId} acked ${writer.acked}/${target}`);
    return `no convergence: ${nodes.join(", ")}; ${writers.join(", ")}`;
  }

  /** Every acknowledged write is in every final state machine exactly once, in client order. */
  private finalChecks(): void {
    const members = this.members();
    this.checker.checkDisks(members, this.leaderNode()!.core!.voterIds);
    for (const node of members) {
      for (const writer of this.writers) {
        const applied = node.stateMachine.lastSeq.get(writer.clientId) ?? 0;
        if (applied < writer.acked)
          throw new SimViolation("acknowledged writes survive", `node ${node.id} has ${writer.clientId} up to ${applied}, acked ${writer.acked}`);
      }
      const seen = new Set(node.stateMachine.order);
      if (seen.size !== node.stateMachine.order.length) throw new SimViolation("exactly once", `node ${node.id} applied a command twice`);
    }
  }

  private stats(): SimStats {
    return {
      ticks: this.now,
      elections: this.checker.leaders.size,
      writesAcked: this.writers.reduce((sum, writer) => sum + writer.acked, 0),
      readsChecked: this.reader.checked,
      crashes: this.crashes,
      partitions: this.faults.partitions,
      committedEntries: this.checker.committed.length,
      ticksToConverge: this.ticksToConverge,
      membershipChanges: this.admin.changes,
      transfers: this.transfers,
      snapshotsInstalled: this.snapshotsInstalled,
      network: { ...this.network.stats },
    };
  }

  private result(): SimResult {
    return { seed: this.options.seed, nodeCount: this.options.nodeCount, ok: true, trace: [], stats: this.stats(), profile: this.profile };
  }

  private failure_(error: unknown): SimResult {
    const invariant = error instanceof SimViolation ? error.invariant : error instanceof RaftInvariantError ? "core assertion" : "unexpected exception";
    const message = error instanceof Error ? `${error.message}${error instanceof SimViolation ? "" : `\n${error.stack}`}` : String(error);
    const trace = this.trace.tail(this.options.traceTailEvents ?? traceTailEventsDefault);
    return { ...this.result(), ok: false, invariant, message, trace };
  }
}

/** The voters of the config before the one at `configIndex`: the previous config entry on the disk, or its snapshot's membership. */
function votersBeforeConfig(disk: MemoryStorage, configIndex: number): NodeId[] {
  const point = disk.snapshot();
  const earlier = disk.entries(Math.max(point.index + 1, disk.firstIndex()), configIndex).filter((entry) => entry.type === "config");
  const data = earlier.length > 0 ? (JSON.parse(earlier[earlier.length - 1]!.data) as ConfigEntryData) : point.membership;
  return data.voters.map((member) => member.id);
}
