// One seeded simulation run (in the spirit of TigerBeetle's VOPR): N replicas
// of RaftCore in one process over a faulty simulated network, with crashes
// that lose whatever was not persisted. A safety phase with faults, then a
// liveness phase after healing everything, which must elect a leader and
// converge. Any violated invariant ends the run with the seed and a trace.
// Per seed, the profile may also mix in membership changes (an admin adds
// spare nodes as learners, promotes them once caught up, removes voters and
// leaders), leadership transfers, and log compaction, so lagging, new and
// restarted nodes catch up through snapshots.

import type { RunResult } from "./run-result.ts";
import { bootstrapTerm, RaftInvariantError, type ConfChange, type Message, type NodeId, type Ready, type SnapshotMessage } from "../../log/raft/index.ts";
import { Admin, type AdminPort } from "./admin.ts";
import { Reader, Writer, type ClientPort } from "./clients.ts";
import { chooseFaultProfile, FaultInjector, type FaultProfile, type FaultTarget } from "./faults.ts";
import { InvariantChecker } from "./invariants.ts";
import { calmNetwork, SimNetwork, type NetworkStats } from "./network.ts";
import { SimNode, type CrashPoint } from "./node.ts";
import { SimRandom } from "./random.ts";
import { SimViolation, type ToyStateMachine } from "./state-machine.ts";
import { Trace, traceCapacityEvents } from "./trace.ts";

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
/** A Ready loop that does not drain within this many rounds is a livelock in the core. */
const maxReadyRoundsPerDrive = 1000;
/** Per-tick chance that an idle writer starts its next command during the safety phase. */
const writeStartChance = 0.3;
/** Held peer messages reach a resumed node up to this many ticks after it resumes. */
const resumeSkewTicksMax = 3;
/** Per-tick chance that the reader issues a ReadIndex request. */
const readChance = 0.2;
/** Nodes beyond the initial ones that the admin may add. */
const spareNodes = 2;
/** Ticks after which a leader's driver reports an unanswered snapshot transfer as failed. */
const snapshotReportTicksFactor = 2;

interface SnapshotReport {
  at: number;
  leader: NodeId;
  to: NodeId;
  index: number;
}
export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run();
}

class Simulation implements FaultTarget, ClientPort, AdminPort {
  private now = 0;
  private readonly random: SimRandom;
  readonly network: SimNetwork;
  /** Initial nodes, then spares (started only when the admin adds them); nodes[id - 1]. */
  private readonly nodes: SimNode[];
  private readonly admin: Admin;
  /** State machine images of snapshots in flight, keyed by snapshotKey(): the out-of-band stream. */
  private readonly snapshotStates = new Map<string, ToyStateMachine>();
  private snapshotReports: SnapshotReport[] = [];
  private transfers = 0;
  private snapshotsInstalled = 0;
  private readonly checker: InvariantChecker;
  private readonly trace: Trace;
  private readonly profile: FaultProfile;
  private readonly faults: FaultInjector;
  private readonly writers: Writer[];
  private readonly reader: Reader;
  private crashes = 0;
  private writesAcked = 0;
  private ticksToConverge = 0;

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

  run(): SimResult {
    try {
      for (const node of this.nodes) if (node.started) node.start(this.profile.timing, false);
      this.safetyPhase();
      this.livenessPhase();
      this.finalChecks();
      return this.result();
    } catch (error) {
      return this.failure(error);
    }
  }

  // ------------------------------------------------------------ phases

  private safetyPhase(): void {
    this.network.faults = this.profile.network;
    const ticks = this.options.safetyTicks ?? safetyTicksDefault;
    for (let tick = 0; tick < ticks; tick++) {
      this.faults.step();
      this.restartDueNodes();
      this.advanceTime(writeStartChance);
      this.admin.step(this.now, true);
      this.maybeTransfer();
    }
  }

  /** Asks the current leader to hand over to another voter (dissertation §3.10). */
  private maybeTransfer(): void {
    if (!this.random.chance(this.profile.transferRate)) return;
    const leader = this.leaderCores()[0];
    if (!leader) return;
    const others = leader.core.voterIds.filter((id) => id !== leader.id);
    if (others.length === 0) return;
    const to = this.random.pick(others);
    const result = leader.core.transferLeadership(to);
    this.trace.add(this.now, leader.id, "transfer", { to, ...result });
    if (result.started) this.transfers++;
    this.drive(this.nodes[leader.id - 1]!);
  }

  private livenessPhase(): void {
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
      this.advanceTime(wantsMore ? 1 : 0);
      this.admin.step(this.now, false);
    }
    this.ticksToConverge = this.now - start;
  }

  /** One tick: deliver due messages, tick every live node, let clients act. */
  private advanceTime(writeChance: number): void {
    this.now++;
    for (const message of this.network.takeDue(this.now)) {
      const node = this.nodes[message.to - 1]!;
      if (!node.core) continue;
      if (node.pausedUntil > this.now) {
        // After a stall, the process may serve clients before it drains its peer sockets.
        this.network.hold(message, node.pausedUntil + this.random.int(0, resumeSkewTicksMax));
        continue;
      }
      if (this.options.traceMessages) this.trace.add(this.now, node.id, `<- n${message.from}`, message);
      if (message.type === "snapshot") this.installSnapshot(node, message);
      node.core.step(message);
      this.drive(node);
    }
    this.reportSnapshots();
    for (const node of this.nodes) {
      if (!node.core || node.pausedUntil > this.now) continue;
      node.core.tick();
      this.drive(node);
    }
    for (const node of this.nodes) {
      if (!node.core || !node.maybeCompact(this.profile.compactEntries)) continue;
      this.checker.onSnapshot(node.id, node.disk.snapshot());
      this.trace.add(this.now, node.id, "compact", { index: node.disk.snapshot().index });
    }
    for (const writer of this.writers) writer.step(this.now, writeChance);
    this.reader.step(writeChance > 0 ? readChance : 0);
  }

  /**
   * The follower side of InstallSnapshot: the state arrived out of band; if
   * the core will take it, swap it in durably first, then step the message.
   * The leader's transfer "returns": it reports the snapshot finished.
   */
  private installSnapshot(node: SimNode, message: SnapshotMessage): void {
    const core = node.core!;
    if (core.snapshotWanted(message)) {
      const state = this.snapshotStates.get(snapshotKey(message));
      if (!state) throw new SimViolation("snapshot state travels with its message", `no state for ${snapshotKey(message)}`);
      node.installSnapshot(message.snapshot, state);
      this.snapshotsInstalled++;
      this.checker.onStateHash(node.id, state.appliedIndex, state.hash());
      this.trace.add(this.now, node.id, "install snapshot", { from: message.from, index: message.snapshot.index, term: message.snapshot.term });
    }
    const leader = this.nodes[message.from - 1]!;
    if (leader.core && leader.pausedUntil <= this.now) {
      leader.core.reportSnapshot(node.id, "finished");
      this.drive(leader);
    }
  }

  /** Snapshot transfers with no outcome by their deadline (lost on the network) are reported failed. */
  private reportSnapshots(): void {
    if (this.snapshotReports.length === 0) return;
    const due = this.snapshotReports.filter((report) => report.at <= this.now);
    this.snapshotReports = this.snapshotReports.filter((report) => report.at > this.now);
    for (const report of due) {
      const leader = this.nodes[report.leader - 1]!;
      const progress = leader.core?.progressOf(report.to);
      if (progress?.state !== "snapshot" || progress.pendingSnapshot !== report.index) continue;
      leader.core!.reportSnapshot(report.to, "failed");
      this.drive(leader);
    }
  }

  private restartDueNodes(): void {
    for (const node of this.nodes) {
      if (!node.started || node.isUp || node.downUntil > this.now) continue;
      const rebuild = this.random.chance(this.profile.rebuildStateMachineChance);
      node.start(this.profile.timing, rebuild);
      this.trace.add(this.now, node.id, "restart", { hardState: node.disk.hardState, lastIndex: node.disk.lastIndex(), rebuild });
    }
  }

  // ------------------------------------------------------------ the driver: persist, send, apply, advance

  private drive(node: SimNode): void {
    for (let round = 0; ; round++) {
      const core = node.core;
      if (!core) return;
      this.observeLeader(node);
      if (!core.hasReady()) return;
      if (round >= maxReadyRoundsPerDrive) throw new SimViolation("the Ready loop drains", `node ${node.id} still busy after ${round} rounds`);
      const ready = core.ready();
      if (ready.softState) {
        this.trace.add(this.now, node.id, "role", { ...ready.softState, term: core.currentTerm });
        const campaigning = ready.softState.role === "preCandidate" || ready.softState.role === "candidate";
        if (campaigning && !core.voterIds.includes(node.id)) {
          throw new SimViolation(
            "learners and non-members never campaign",
            `node ${node.id} is a ${ready.softState.role} with voters ${core.voterIds.join(",")}`,
          );
        }
      }
      if (ready.membership) this.trace.add(this.now, node.id, "membership", ready.membership);
      if (this.crashAt(node, "beforePersist")) return;
      this.persist(node, ready);
      if (this.crashAt(node, "afterPersist")) return;
      if (!this.sendAll(node, ready)) return;
      if (!this.applyAll(node, ready)) return;
      for (const state of ready.readStates) this.reader.onReadState(node.id, state);
      if (this.crashAt(node, "beforeAdvance")) return;
      core.advance();
    }
  }

  private observeLeader(node: SimNode): void {
    const core = node.core!;
    if (core.currentRole !== "leader") return;
    this.checker.onLeader(node.id, core.currentTerm, (index) => core.termAt(index), core.snapshotMeta().index + 1, core.voterIds);
    // Dissertation §4.1: at most one config change uncommitted in a leader's log.
    const membership = core.membership();
    if (membership.configIndex > core.commitIndex) {
      const uncommitted = core.entries(core.commitIndex + 1, core.lastIndex + 1).filter((entry) => entry.type === "config");
      if (uncommitted.length > 1) {
        throw new SimViolation(
          "at most one uncommitted config change",
          `leader ${node.id} has config entries ${uncommitted.map((entry) => entry.index).join(",")} above commit ${core.commitIndex}`,
        );
      }
    }
  }

  private persist(node: SimNode, ready: Ready): void {
    this.checker.beforePersist(node.id, ready, node.disk);
    const previousCommit = node.disk.hardState.commit;
    if (ready.snapshot) {
      // The state was installed before the step; now the log store catches up in one transaction.
      this.checker.onSnapshot(node.id, ready.snapshot);
      node.disk.applySnapshot(ready.snapshot);
    }
    if (ready.hardState) node.disk.setHardState(ready.hardState);
    node.disk.append(ready.entries);
    this.checker.afterPersist(node.id, previousCommit, node.disk, this.startedNodes(), node.core!.voterIds);
  }

  private startedNodes(): SimNode[] {
    return this.nodes.filter((candidate) => candidate.started);
  }

  /** Returns false if the node crashed part-way through sending. */
  private sendAll(node: SimNode, ready: Ready): boolean {
    const crashing = node.armedCrash === "midSend";
    const count = crashing ? this.random.int(0, ready.messages.length) : ready.messages.length;
    for (const message of ready.messages.slice(0, count)) {
      this.onSend(node, message);
      this.network.send(message, this.now);
    }
    if (crashing) this.crashNow(node.id, "midSend");
    return !crashing;
  }

  /** Returns false if the node crashed part-way through applying. */
  private applyAll(node: SimNode, ready: Ready): boolean {
    const crashing = node.armedCrash === "midApply";
    const count = crashing ? this.random.int(0, ready.committedEntries.length) : ready.committedEntries.length;
    for (const entry of ready.committedEntries.slice(0, count)) {
      this.checker.onApply(node.id, entry);
      node.stateMachine.apply(entry);
      this.checker.onStateHash(node.id, entry.index, node.stateMachine.hash());
      for (const writer of this.writers) {
        if (!writer.onApplied(node.id, entry, node.stateMachine, this.now)) continue;
        this.writesAcked++;
        this.trace.add(this.now, node.id, "ack", `${writer.clientId}:${writer.acked} at ${entry.index}`);
      }
    }
    this.reader.serveApplied(node.id);
    if (crashing) this.crashNow(node.id, "midApply");
    return !crashing;
  }

  /** What the simulated driver does with a message besides sending it. */
  private onSend(node: SimNode, message: Message): void {
    if (message.type === "voteResponse" && message.granted) {
      const membership = node.core!.membership();
      const member = membership.voters.includes(node.id) || membership.learners.includes(node.id);
      this.checker.onVoteGranted(node.id, message.to, message.term, member);
    } else if (message.type === "snapshot") {
      // The leader's driver streams its stored snapshot's state alongside the message.
      const stored = node.snapshot;
      if (!stored || stored.meta.index !== message.snapshot.index || stored.meta.term !== message.snapshot.term) {
        throw new SimViolation(
          "a snapshot message describes the stored snapshot",
          `node ${node.id} sent ${message.snapshot.index}@${message.snapshot.term}, stored ${stored ? `${stored.meta.index}@${stored.meta.term}` : "none"}`,
        );
      }
      this.snapshotStates.set(snapshotKey(message), stored.state.clone());
      const at = this.now + snapshotReportTicksFactor * this.profile.timing.electionTicks;
      this.snapshotReports.push({ at, leader: node.id, to: message.to, index: message.snapshot.index });
      this.trace.add(this.now, node.id, "send snapshot", { to: message.to, index: message.snapshot.index });
    }
  }

  private crashAt(node: SimNode, point: CrashPoint): boolean {
    if (node.armedCrash !== point) return false;
    this.crashNow(node.id, point);
    return true;
  }

  // ------------------------------------------------------------ FaultTarget and ClientPort

  isUp(id: NodeId): boolean {
    return this.nodes[id - 1]!.isUp;
  }

  crashNow(id: NodeId, point = "between steps"): void {
    const node = this.nodes[id - 1]!;
    node.crash();
    node.downUntil = this.now + this.random.int(1, this.profile.maxDownTicks);
    this.crashes++;
    this.reader.onCrash(id);
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

  // ------------------------------------------------------------ AdminPort

  leaderCores() {
    return this.nodes.filter((node) => node.core?.currentRole === "leader" && node.pausedUntil <= this.now).map((node) => ({ id: node.id, core: node.core! }));
  }

  core(id: NodeId) {
    const node = this.nodes[id - 1];
    return node?.core && node.pausedUntil <= this.now ? node.core : null;
  }

  hasSpare(): boolean {
    return this.nodes.some((node) => !node.started);
  }

  startSpare(): NodeId | undefined {
    const node = this.nodes.find((candidate) => !candidate.started);
    if (!node) return undefined;
    node.start(this.profile.timing, false);
    this.trace.add(this.now, node.id, "start spare");
    return node.id;
  }

  proposeConfChange(id: NodeId, change: ConfChange) {
    const node = this.nodes[id - 1]!;
    if (!node.core || node.pausedUntil > this.now) return undefined;
    const result = node.core.proposeConfChange(change);
    this.trace.add(this.now, id, "propose config", { ...change, result });
    this.drive(node);
    return result;
  }

  armCrash(id: NodeId, point: CrashPoint): void {
    this.nodes[id - 1]!.armedCrash = point;
  }

  note(what: string, detail?: unknown): void {
    this.trace.add(this.now, 0, what, detail);
  }

  propose(id: NodeId, data: string) {
    const node = this.nodes[id - 1]!;
    if (!node.core || node.pausedUntil > this.now) return undefined;
    const result = node.core.propose(data);
    if (result.accepted) this.trace.add(this.now, id, "propose", `${data} -> ${result.index}@${result.term}`);
    return result;
  }

  settle(id: NodeId): void {
    this.drive(this.nodes[id - 1]!);
  }

  readIndex(id: NodeId, requestId: string): boolean {
    const node = this.nodes[id - 1]!;
    if (!node.core || node.pausedUntil > this.now) return false;
    node.core.readIndex(requestId);
    this.drive(node);
    return true;
  }

  stateMachine(id: NodeId): ToyStateMachine | undefined {
    const node = this.nodes[id - 1]!;
    return node.core ? node.stateMachine : undefined;
  }

  // ------------------------------------------------------------ liveness and final checks

  /** The members (voters and learners) of the leader's config, or of node 1's when none leads. */
  private members(): SimNode[] {
    const leader = this.nodes.find((node) => node.core?.currentRole === "leader") ?? this.nodes.find((node) => node.core);
    if (!leader?.core) return this.startedNodes();
    const { voters, learners } = leader.core.membership();
    return this.nodes.filter((node) => voters.includes(node.id) || learners.includes(node.id));
  }

  private converged(targets: ReadonlyMap<Writer, number>): boolean {
    for (const [writer, target] of targets) if (writer.acked < target) return false;
    const leader = this.nodes.find((node) => node.core?.currentRole === "leader");
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
      if (!core) return `n${node.id}:down`;
      return `n${node.id}:${core.currentRole}@${core.currentTerm} leader=${core.leader} commit=${core.commitIndex} last=${core.lastIndex} applied=${node.stateMachine.appliedIndex}`;
    });
    const writers = [...targets].map(([writer, target]) => `${writer.clientId} acked ${writer.acked}/${target}`);
    return `no convergence: ${nodes.join(", ")}; ${writers.join(", ")}`;
  }

  /** Every acknowledged write is in every final state machine exactly once, in client order. */
  private finalChecks(): void {
    const members = this.members();
    const leader = this.nodes.find((node) => node.core?.currentRole === "leader")!;
    this.checker.checkDisks(members, leader.core!.voterIds);
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
      writesAcked: this.writesAcked,
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

  private failure(error: unknown): SimResult {
    const invariant = error instanceof SimViolation ? error.invariant : error instanceof RaftInvariantError ? "core assertion" : "unexpected exception";
    const message = error instanceof Error ? `${error.message}${error instanceof SimViolation ? "" : `\n${error.stack}`}` : String(error);
    const trace = this.trace.tail(this.options.traceTailEvents ?? traceTailEventsDefault);
    return { ...this.result(), ok: false, invariant, message, trace };
  }
}

function snapshotKey(message: SnapshotMessage): string {
  return `${message.from}>${message.to}@${message.term}:${message.snapshot.index}/${message.snapshot.term}`;
}
