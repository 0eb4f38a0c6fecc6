// One seeded simulation run (in the spirit of TigerBeetle's VOPR): N replicas
// of RaftCore in one process over a faulty simulated network, with crashes
// that lose whatever was not persisted. A safety phase with faults, then a
// liveness phase after healing everything, which must elect a leader and
// converge. Any violated invariant ends the run with the seed and a trace.

import { RaftInvariantError, type NodeId, type Ready } from "../../log/raft/index.ts";
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
  network: NetworkStats;
}

export interface SimResult {
  seed: number;
  nodeCount: number;
  ok: boolean;
  invariant?: string;
  message?: string;
  trace: string[];
  stats: SimStats;
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

export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run();
}

class Simulation implements FaultTarget, ClientPort {
  private now = 0;
  private readonly random: SimRandom;
  readonly network: SimNetwork;
  private readonly nodes: SimNode[];
  readonly nodeIds: NodeId[];
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
    this.nodeIds = Array.from({ length: options.nodeCount }, (_, i) => i + 1);
    this.nodes = this.nodeIds.map((id) => new SimNode(id, this.random.fork()));
    this.checker = new InvariantChecker(Math.floor(options.nodeCount / 2) + 1);
    this.profile = chooseFaultProfile(this.random);
    this.faults = new FaultInjector(this.random.fork(), this.profile, this);
    const writerCount = options.writerCount ?? this.profile.writerCount;
    this.writers = Array.from({ length: writerCount }, (_, i) => new Writer(`c${i + 1}`, this.random.fork(), this, this.profile.writerRetryTicks));
    this.reader = new Reader(this.random.fork(), this, this.writers);
  }

  run(): SimResult {
    try {
      for (const node of this.nodes) node.start(this.nodeIds, this.profile.timing, false);
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
    }
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
      node.core.step(message);
      this.drive(node);
    }
    for (const node of this.nodes) {
      if (!node.core || node.pausedUntil > this.now) continue;
      node.core.tick();
      this.drive(node);
    }
    for (const writer of this.writers) writer.step(this.now, writeChance);
    this.reader.step(writeChance > 0 ? readChance : 0);
  }

  private restartDueNodes(): void {
    for (const node of this.nodes) {
      if (node.isUp || node.downUntil > this.now) continue;
      const rebuild = this.random.chance(this.profile.rebuildStateMachineChance);
      node.start(this.nodeIds, this.profile.timing, rebuild);
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
      if (ready.softState) this.trace.add(this.now, node.id, "role", { ...ready.softState, term: core.currentTerm });
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
    this.checker.onLeader(node.id, core.currentTerm, (index) => core.termAt(index));
  }

  private persist(node: SimNode, ready: Ready): void {
    this.checker.beforePersist(node.id, ready, node.disk);
    const previousCommit = node.disk.hardState.commit;
    if (ready.hardState) node.disk.setHardState(ready.hardState);
    node.disk.append(ready.entries);
    this.checker.afterPersist(node.id, previousCommit, node.disk, this.nodes);
  }

  /** Returns false if the node crashed part-way through sending. */
  private sendAll(node: SimNode, ready: Ready): boolean {
    const crashing = node.armedCrash === "midSend";
    const count = crashing ? this.random.int(0, ready.messages.length) : ready.messages.length;
    for (const message of ready.messages.slice(0, count)) this.network.send(message, this.now);
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
    this.drive(node);
    return result;
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

  private converged(targets: ReadonlyMap<Writer, number>): boolean {
    for (const [writer, target] of targets) if (writer.acked < target) return false;
    const leader = this.nodes.find((node) => node.core?.currentRole === "leader");
    if (!leader) return false;
    const commit = leader.core!.commitIndex;
    if (commit !== leader.core!.lastIndex) return false;
    const hash = leader.stateMachine.hash();
    return this.nodes.every((node) => node.core && node.core.commitIndex === commit && node.stateMachine.appliedIndex === commit && node.stateMachine.hash() === hash);
  }

  private describeStall(targets: ReadonlyMap<Writer, number>): string {
    const nodes = this.nodes.map((node) => {
      const core = node.core;
      if (!core) return `n${node.id}:down`;
      return `n${node.id}:${core.currentRole}@${core.currentTerm} leader=${core.leader} commit=${core.commitIndex} last=${core.lastIndex} applied=${node.stateMachine.appliedIndex}`;
    });
    const writers = [...targets].map(([writer, target]) => `${writer.clientId} acked ${writer.acked}/${target}`);
    return `no convergence: ${nodes.join(", ")}; ${writers.join(", ")}`;
  }

  /** Every acknowledged write is in every final state machine exactly once, in client order. */
  private finalChecks(): void {
    this.checker.checkDisks(this.nodes);
    for (const node of this.nodes) {
      for (const writer of this.writers) {
        const applied = node.stateMachine.lastSeq.get(writer.clientId) ?? 0;
        if (applied < writer.acked) throw new SimViolation("acknowledged writes survive", `node ${node.id} has ${writer.clientId} up to ${applied}, acked ${writer.acked}`);
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
