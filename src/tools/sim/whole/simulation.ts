// The whole-replica simulation: N replicas, each the real driver (RaftNode),
// projections and chat service on an in-memory SQLite disk, over the
// simulated network, under a seeded fault schedule (power cuts that lose
// unsynced writes, pauses, partitions, message loss, delay and duplication,
// leader clock jumps), with simulated users that run the client library
// itself. A safety phase with faults, then a liveness phase after healing.
// At the end, every replica must hold the same projection, every
// acknowledged message exactly once, and no rejection may be stale.

import type { RunResult } from "../run-result.ts";
import type { Member } from "../../../log/membership.ts";
import type { Message } from "../../../log/raft/types.ts";
import { forgetIdleEveryEntries } from "../../../projections/apply.ts";
import { replicaFinalState } from "../../../check/replica-final-state.ts";
import { chooseFaultProfile, FaultInjector, type FaultProfile, type FaultTarget } from "../faults.ts";
import { calmNetwork, SimNetwork } from "../network.ts";
import { SimRandom } from "../random.ts";
import { SimViolation } from "../state-machine.ts";
import { Trace, traceLogger } from "../trace.ts";
import { addToDigest, chunkDigest, SnapshotError, type SnapshotReader } from "../../../projections/snapshot.ts";
import type { AppendResponseMessage } from "../../../log/raft/types.ts";
import type { SnapshotEnvelope } from "../../../log/snapshot-port.ts";
import { IdentityRefusedError } from "../../../log/identity.ts";
import { checkHistory, summarizeCheck, type HistoryEvent, type Operation } from "../../../check/history.ts";
import type { Completion, DistributiveOmit } from "../../../check/client-outcomes.ts";
import { SimUser } from "./clients.ts";
import { SimClock } from "../clock.ts";
import { SimReplica } from "./replica.ts";

export interface WholeSimOptions {
  seed: number;
  nodeCount: number;
  /** A scratch directory for snapshot staging files. */
  stagingDir: string;
  safetyTicks?: number;
  livenessTicksMax?: number;
  userCount?: number;
  /** Print the replicas' own logs (slow; for replaying one seed). */
  verbose?: boolean;
}

export interface WholeSimStats {
  ticks: number;
  operations: Record<string, number>;
  /** The history checker's verdict: pass, or inconclusive when its search bound was hit. */
  historyVerdict: string;
  /** A digest of the whole recorded history, so a replay of the seed can be shown to be the same run. */
  historyDigest: string;
  /** Live streams (re)opened by the followers, and messages they received. */
  streamsOpened: number;
  messagesDelivered: number;
  crashes: number;
  clockJumps: number;
  leaders: number;
  snapshotsInstalled: number;
}

export type WholeSimResult = RunResult<WholeSimStats>;

export const wholeSafetyTicksDefault = 300;
export const wholeLivenessTicksMaxDefault = 3000;
/** Simulated milliseconds per tick: the driver's tick. */
const tickMs = 10;
/** Per-tick chance that an idle user starts an operation during the safety phase. */
const actChance = 0.3;
/** Per-tick chance that some up replica's clock jumps (a day ahead or back). */
const clockJumpRate = 0.005;
const clockJumpMs = 2 * 24 * 60 * 60 * 1000;
/**
 * Chance that a leader newly elected during the faults has its clock a day
 * ahead: writes whose answers were lost in the failover are retried at a
 * leader whose time says every stored result is old (issue 7, bug 4).
 */
const newLeaderClockJumpChance = 0.2;
/** Rounds of queued work one tick may take before the driver is taken to livelock. */
const drainRoundsMax = 1000;
/** Log compaction bounds a run draws from: small ones make lagging replicas and the joiner catch up by snapshot. */
const compactionChoices = [
  { entriesMax: Number.MAX_SAFE_INTEGER, tailEntries: 0 },
  { entriesMax: 40, tailEntries: 5 },
  { entriesMax: 150, tailEntries: 20 },
];
/** Chance that a restart is first tried as `--standalone` on the member's data (an operator's mistake). */
const wrongStartChance = 0.2;
/** A joiner asks the leader again this often until it is in the membership. */
const joinRetryTicks = 20;
const electionTicksChoices = [10, 20, 40];
/** How often the projections forget idle clients' results: the replica's cadence, or one short runs reach. */
const resultPruneChoices = [forgetIdleEveryEntries, 8];
const requestTypes = new Set<Message["type"]>(["preVote", "vote", "append", "timeoutNow"]);

export async function runWholeSimulation(options: WholeSimOptions): Promise<WholeSimResult> {
  return new WholeSimulation(options).run();
}

class WholeSimulation implements FaultTarget {
  private now = 0;
  private readonly random: SimRandom;
  readonly network: SimNetwork;
  private readonly replicas: SimReplica[];
  private readonly users: SimUser[];
  /** The clients' time (every client runs on the simulation's, unskewed). */
  private readonly clientClock = new SimClock(() => this.now * tickMs);
  private readonly profile: FaultProfile;
  private readonly faults: FaultInjector;
  private readonly trace = new Trace(400);
  private readonly events: HistoryEvent[] = [];
  /** The operation each process is running, for the trace and the counts. */
  private readonly pendingOperations = new Map<string, Operation>();
  private readonly operations: Record<string, number> = {};
  /** Successful operations per user, to know who got through after healing. */
  private readonly okCounts = new Map<string, number>();
  private checkVerdict = "not checked";
  private readonly leadersByTerm = new Map<number, number>();
  private failure: Error | null = null;
  private crashes = 0;
  private clockJumps = 0;
  /** The safety phase: faults strike (clock jumps on new leaders among them). */
  private faultsActive = true;
  private snapshotsInstalled = 0;
  /** The tick at which the spare server starts and asks to join. */
  private readonly spareStartsAt: number;
  private joinRequestedAt = -Infinity;

  constructor(private readonly options: WholeSimOptions) {
    this.random = new SimRandom(options.seed);
    this.network = new SimNetwork(this.random.fork());
    this.profile = chooseFaultProfile(this.random);
    this.faults = new FaultInjector(this.random.fork(), this.profile, this);
    const members: Member[] = Array.from({ length: options.nodeCount }, (_, i) => ({ id: i + 1, address: `sim:${i + 1}` }));
    // Long election timeouts next to short network delays, as on a real LAN, leave a deposed
    // leader a window in which it still believes it leads: that is where stale answers hide.
    const timing = { tickMs, electionTicks: this.random.pick(electionTicksChoices), heartbeatTicks: this.profile.timing.heartbeatTicks };
    const compaction = this.random.pick(compactionChoices);
    const world = {
      nowMs: () => this.now * tickMs,
      send: (message: Message) => this.network.send(message, this.now),
      sendSnapshot: (envelope: SnapshotEnvelope, reader: SnapshotReader) => this.transferSnapshot(envelope, reader),
      stagingDir: options.stagingDir,
      logger: (id: number) => traceLogger(this.trace, () => this.now, id, this.options.verbose ?? false),
      fatal: (id: number, error: Error) => this.fail(new SimViolation("the driver never breaks an invariant", `replica ${id}: ${error.message}`)),
      // Often enough that runs of a few hundred entries prune, with leader clocks a day off.
      resultPruneEveryEntries: this.random.pick(resultPruneChoices),
    };
    this.replicas = members.map((member) => new SimReplica(member, { kind: "found", voters: members }, timing, compaction, this.random.fork(), world));
    // One more server joins at runtime; crashes and restarts strike it at any point of its catch-up.
    const spare = { id: options.nodeCount + 1, address: `sim:${options.nodeCount + 1}` };
    this.replicas.push(new SimReplica(spare, { kind: "join" }, timing, compaction, this.random.fork(), world));
    this.spareStartsAt = this.random.int(0, Math.floor((options.safetyTicks ?? wholeSafetyTicksDefault) / 2));
    const names = Array.from({ length: options.userCount ?? this.profile.writerCount }, (_, i) => `user${i + 1}`);
    const clientWorld = {
      nowMs: () => this.now * tickMs,
      clock: this.clientClock,
      servers: { at: (address: string) => this.serverAt(address) },
      addresses: members.map((member) => member.address),
      invoke: (process: string, op: Operation) => this.recordInvoke(process, op),
      complete: (process: string, completion: Completion) => this.recordCompletion(process, completion),
      record: (event: DistributiveOmit<HistoryEvent, "seq">) => {
        this.events.push({ ...event, seq: this.events.length + 1 } as HistoryEvent);
        if (event.type === "subscribe") this.trace.add(this.now, 0, `${event.user} stream opened`, { afterId: event.afterId, position: event.position });
      },
      unexpected: (error: unknown) =>
        this.fail(new SimViolation("the service and the client answer with typed errors", String((error as Error)?.stack ?? error))),
    };
    const safetyMs = (options.safetyTicks ?? wholeSafetyTicksDefault) * tickMs;
    this.users = names.map((name, i) => {
      const arrivesAtMs = i === 0 ? 0 : this.random.int(0, safetyMs);
      return new SimUser(
        name,
        names.filter((other) => other !== name),
        this.random.fork(),
        clientWorld,
        arrivesAtMs,
      );
    });
  }

  async run(): Promise<WholeSimResult> {
    try {
      for (const replica of this.replicas.slice(0, this.options.nodeCount)) replica.start();
      await this.safetyPhase();
      await this.livenessPhase();
      this.finalChecks();
      return this.result(null);
    } catch (error) {
      return this.result(error);
    } finally {
      for (const replica of this.replicas) replica.crash();
    }
  }

  private async safetyPhase(): Promise<void> {
    this.network.faults = this.profile.network;
    const ticks = this.options.safetyTicks ?? wholeSafetyTicksDefault;
    for (let tick = 0; tick < ticks; tick++) {
      this.faults.step();
      this.maybeJumpClock();
      this.restartDue();
      await this.advance(() => actChance);
    }
  }

  private async livenessPhase(): Promise<void> {
    this.faultsActive = false;
    this.network.heal();
    this.network.faults = calmNetwork;
    this.trace.add(this.now, 0, "healed");
    for (const replica of this.replicas) {
      replica.pausedUntil = Math.min(replica.pausedUntil, this.now);
      replica.downUntil = Math.min(replica.downUntil, this.now);
      if (replica.clock) replica.clock.skewMs = 0;
    }
    this.restartDue();
    const start = this.now;
    const okBefore = new Map(this.okCounts);
    const maxTicks = this.options.livenessTicksMax ?? wholeLivenessTicksMaxDefault;
    // Each user must get one operation through the healed cluster, then rests.
    while (!this.converged(okBefore)) {
      if (this.now - start >= maxTicks) throw new SimViolation("liveness after healing", this.describeStall());
      const through = this.usersThrough(okBefore);
      await this.advance((user) => (through.has(user.name) ? 0 : 1));
    }
  }

  /** One tick: deliver due messages, tick every live replica and the clients' clock, let users act, then run all queued work. */
  private async advance(userActChance: (user: SimUser) => number): Promise<void> {
    this.now++;
    for (const message of this.network.takeDue(this.now)) this.deliver(message);
    for (const replica of this.replicas) if (this.running(replica)) replica.clock!.tick();
    this.askToJoin();
    this.clientClock.tick();
    for (const user of this.users) {
      if (user.idle && this.random.chance(userActChance(user))) user.act();
    }
    await this.drain();
    this.observeLeaders();
    if (this.failure) throw this.failure;
  }

  /**
   * InstallSnapshot between two simulated replicas: the chunks travel whole
   * or not at all (a cut link or a dead receiver at either end fails the
   * transfer, and the leader retries), through the real staging, digest
   * check and install.
   */
  private async transferSnapshot(envelope: SnapshotEnvelope, reader: SnapshotReader): Promise<AppendResponseMessage | null> {
    const target = this.replicas[envelope.to - 1];
    const reachable = () =>
      target !== undefined && this.running(target) && !this.network.isCut(envelope.from, envelope.to) && !this.network.isCut(envelope.to, envelope.from);
    try {
      if (!reachable()) return null;
      const staging = target!.node!.beginSnapshot(envelope, reader.header);
      const digest = chunkDigest();
      for await (const chunk of reader.chunks()) {
        addToDigest(digest, chunk);
        staging.add(chunk);
      }
      staging.finish(digest.digest("hex"));
      if (!reachable()) {
        staging.abort();
        return null;
      }
      this.snapshotsInstalled++;
      this.trace.add(this.now, envelope.to, "snapshot received", { from: envelope.from, index: reader.header.index });
      return target!.node!.installSnapshot(envelope, staging) as AppendResponseMessage | null;
    } catch (error) {
      if (error instanceof SnapshotError || /stale term/.test(String(error))) return null;
      throw error;
    } finally {
      reader.close();
    }
  }

  private deliver(message: Message): void {
    const replica = this.replicas[message.to - 1];
    if (!replica?.isUp) return;
    if (replica.pausedUntil > this.now) {
      this.network.hold(message, replica.pausedUntil + 1);
      return;
    }
    const node = replica.node!;
    if (!requestTypes.has(message.type)) {
      node.step(message);
      return;
    }
    void node.handlePeerMessage(message).then((answer) => {
      if (answer) this.network.send(answer, this.now);
    });
  }

  /** Runs every replica's queued work and the promise callbacks it releases, until all is quiet. */
  private async drain(): Promise<void> {
    for (let round = 0; ; round++) {
      if (round >= drainRoundsMax) throw new SimViolation("the driver's work drains", `still busy after ${round} rounds`);
      let ran = false;
      for (const replica of this.replicas) if (this.running(replica)) ran = replica.clock!.runQueued() || ran;
      // Promise callbacks (answers to users, peers) run before the next macrotask.
      await new Promise((resolve) => setImmediate(resolve));
      if (!ran && !this.replicas.some((replica) => this.running(replica) && replica.clock!.hasQueued())) return;
    }
  }

  private running(replica: SimReplica): boolean {
    return replica.isUp && replica.pausedUntil <= this.now;
  }

  /** The process a client reaches at `address` ("sim:<id>"), if one is up there. */
  private serverAt(address: string) {
    const replica = this.replicas.find((candidate) => candidate.member.address === address);
    return replica?.handlers ? { handlers: replica.handlers, running: this.running(replica) } : null;
  }

  /** Election safety (paper §5.2): at most one leader per term, over the whole run. */
  private observeLeaders(): void {
    for (const replica of this.replicas) {
      if (!replica.isUp) continue;
      const info = replica.node!.leaderInfo();
      if (info.leaderId !== replica.id) continue;
      const known = this.leadersByTerm.get(info.term);
      if (known === undefined) {
        this.leadersByTerm.set(info.term, replica.id);
        this.trace.add(this.now, replica.id, "leads", { term: info.term });
        if (this.faultsActive && this.random.chance(newLeaderClockJumpChance)) this.jumpClock(replica, clockJumpMs);
      } else if (known !== replica.id) {
        throw new SimViolation("at most one leader per term", `term ${info.term}: ${known} and ${replica.id}`);
      }
    }
  }

  /** What JoinCluster does for the spare: the leader adds it as a learner (retried, as the joiner retries). */
  private askToJoin(): void {
    const spare = this.replicas[this.options.nodeCount]!;
    if (!spare.isUp || this.now - this.joinRequestedAt < joinRetryTicks) return;
    const leaderId = this.leaders()[0];
    if (leaderId === undefined) return;
    const leader = this.replicas[leaderId - 1]!;
    if (!this.running(leader)) return;
    const { replicas } = leader.node!.leaderInfo();
    if (replicas.some((replica) => replica.id === spare.id)) return;
    this.joinRequestedAt = this.now;
    this.trace.add(this.now, leaderId, "join requested", { id: spare.id });
    leader.node!.addLearner(spare.id, spare.member.address).catch(() => {});
  }

  /**
   * An operator restarts a member with `--standalone` (the README's own
   * command for one replica): it must refuse, and change nothing, rather than
   * make a second cluster of the member's data.
   */
  private startOnItsOwn(replica: SimReplica): void {
    const before = replica.diskDigest();
    try {
      replica.start({ kind: "found", voters: [replica.member] });
    } catch (error) {
      if (!(error instanceof IdentityRefusedError)) throw error;
      if (replica.diskDigest() !== before) throw new SimViolation("a refused start changes nothing", `replica ${replica.id}'s disk changed`);
      this.trace.add(this.now, replica.id, "standalone start refused");
      return;
    }
    // Every server here belongs to a cluster of several (or is joining one): no such start is legitimate.
    replica.crash();
    throw new SimViolation("a member's data never becomes a cluster of one", `replica ${replica.id} started standalone on a member's data`);
  }

  private maybeJumpClock(): void {
    if (!this.random.chance(clockJumpRate)) return;
    const up = this.replicas.filter((replica) => replica.isUp);
    if (up.length === 0) return;
    this.jumpClock(this.random.pick(up), this.random.pick([clockJumpMs, -clockJumpMs, 0]));
  }

  private jumpClock(replica: SimReplica, skewMs: number): void {
    replica.clock!.skewMs = skewMs;
    this.clockJumps++;
    this.trace.add(this.now, replica.id, "clock jump", { skewMs });
  }

  private restartDue(): void {
    for (const replica of this.replicas) {
      if (replica.isUp || replica.downUntil > this.now) continue;
      if (!replica.started && this.now < this.spareStartsAt) continue;
      if (replica.started && this.random.chance(wrongStartChance)) this.startOnItsOwn(replica);
      replica.start();
      this.trace.add(this.now, replica.id, "restart");
    }
  }

  // ------------------------------------------------------------ FaultTarget

  get nodeIds(): number[] {
    return this.replicas.map((replica) => replica.id);
  }

  isUp(id: number): boolean {
    return this.replicas[id - 1]!.isUp;
  }

  leaders(): number[] {
    return this.replicas.filter((replica) => replica.isUp && replica.node!.leaderInfo().leaderId === replica.id).map((replica) => replica.id);
  }

  /** A power cut: the process and its unsynced writes are gone. */
  crashNow(id: number): void {
    const replica = this.replicas[id - 1]!;
    if (!replica.isUp) return;
    replica.crash();
    replica.downUntil = this.now + this.random.int(1, this.profile.maxDownTicks);
    this.crashes++;
    this.trace.add(this.now, id, "crash", { downUntil: replica.downUntil });
  }

  /** The real driver has no crash points to arm: a crash strikes between turns. */
  armCrash(id: number): void {
    this.crashNow(id);
  }

  pause(id: number, ticks: number): void {
    const replica = this.replicas[id - 1]!;
    replica.pausedUntil = Math.max(replica.pausedUntil, this.now + ticks);
    this.trace.add(this.now, id, "pause", { until: replica.pausedUntil });
  }

  note(what: string, detail?: unknown): void {
    this.trace.add(this.now, 0, what, detail);
  }

  // ------------------------------------------------------------ convergence and checks

  /** Every user got an operation through after healing, and every replica holds the same applied projection. */
  private usersThrough(okBefore: ReadonlyMap<string, number>): Set<string> {
    const through = this.users.filter((user) => (this.okCounts.get(user.name) ?? 0) > (okBefore.get(user.name) ?? 0));
    return new Set(through.map((user) => user.name));
  }

  private converged(okBefore: ReadonlyMap<string, number>): boolean {
    if (this.usersThrough(okBefore).size < this.users.length) return false;
    if (this.users.some((user) => !user.idle)) return false;
    const leaders = this.leaders();
    if (leaders.length !== 1 || this.replicas.some((replica) => !replica.isUp)) return false;
    const applied = this.replicas.map((replica) => replica.projections!.appliedIndex());
    if (new Set(applied).size !== 1) return false;
    const leader = this.replicas[leaders[0]! - 1]!;
    return leader.node!.status().commitIndex === applied[0];
  }

  private describeStall(): string {
    const replicas = this.replicas.map((replica) => {
      if (!replica.isUp) return `r${replica.id}:down`;
      const info = replica.node!.leaderInfo();
      return `r${replica.id}: term ${info.term} leader ${info.leaderId} applied ${replica.projections!.appliedIndex()}`;
    });
    const busy = this.users.filter((user) => !user.idle).map((user) => user.name);
    return `no convergence: ${replicas.join(", ")}; busy users ${busy.join(",") || "none"}`;
  }

  /** The history checker (src/check) over what the users saw and what every replica holds. */
  private finalChecks(): void {
    const history = { events: this.events, replicas: this.replicas.map((replica) => replicaFinalState(`r${replica.id}`, replica.database())) };
    const result = checkHistory(history);
    this.checkVerdict = result.verdict;
    if (result.verdict === "fail") throw new SimViolation("the history checks", summarizeCheck(history, result));
  }

  private recordInvoke(process: string, op: Operation): void {
    this.events.push({ type: "invoke", seq: this.events.length + 1, process, op });
    this.pendingOperations.set(process, op);
  }

  private recordCompletion(process: string, completion: Completion): void {
    this.events.push({ seq: this.events.length + 1, process, ...completion } as HistoryEvent);
    const op = this.pendingOperations.get(process)!;
    this.pendingOperations.delete(process);
    const key = `${op.kind} ${completion.type}`;
    this.operations[key] = (this.operations[key] ?? 0) + 1;
    if (completion.type === "ok") this.okCounts.set(op.user, (this.okCounts.get(op.user) ?? 0) + 1);
    const detail = completion.type === "ok" ? completion.answer : completion.type === "fail" ? `${completion.code}: ${completion.message}` : completion.reason;
    this.trace.add(this.now, 0, `${op.user} ${op.kind} ${completion.type}`, op.kind === "SendMessage" ? { text: op.text, to: op.recipient, detail } : detail);
  }

  private fail(error: Error): void {
    this.failure ??= error;
  }

  private result(error: unknown): WholeSimResult {
    const stats = {
      ticks: this.now,
      operations: this.operations,
      historyVerdict: this.checkVerdict,
      historyDigest: Bun.hash(JSON.stringify(this.events)).toString(16),
      streamsOpened: this.events.filter((event) => event.type === "subscribe").length,
      messagesDelivered: this.events.filter((event) => event.type === "deliver").length,
      crashes: this.crashes,
      clockJumps: this.clockJumps,
      leaders: this.leadersByTerm.size,
      snapshotsInstalled: this.snapshotsInstalled,
    };
    const base = { seed: this.options.seed, nodeCount: this.options.nodeCount, stats };
    if (!error) return { ...base, ok: true, trace: [] };
    const invariant = error instanceof SimViolation ? error.invariant : "unexpected exception";
    const message = error instanceof Error ? `${error.message}${error instanceof SimViolation ? "" : `\n${error.stack}`}` : String(error);
    return { ...base, ok: false, invariant, message, trace: this.trace.tail(80) };
  }
}
