// One simulated replica of the consensus simulator: a durable "disk" (log +
// HardState), a durable toy state machine, and, while the process is up, the
// replica's own driver (RaftNode) on a simulated clock. A crash drops the
// driver and everything it had not handed to the disk; armed crashes strike
// inside the driver's Ready loop, through its probe.

import type { Logger } from "../../logger.ts";
import { RaftNode, type CoreView, type DriverProbe } from "../../log/raft-node.ts";
import {
  bootstrapEntry,
  bootstrapIndex,
  bootstrapTerm,
  MemoryStorage,
  type Entry,
  type Message,
  type NodeId,
  type SnapshotMeta,
} from "../../log/raft/index.ts";
import type { AppendResponseMessage } from "../../log/raft/types.ts";
import type { SnapshotEnvelope } from "../../log/snapshot-port.ts";
import type { StateMachine } from "../../log/replica-node.ts";
import { SimClock } from "./clock.ts";
import { MemoryDriverLog } from "./memory-log.ts";
import type { SimRandom } from "./random.ts";
import { ToyStateMachine, type ToyResult } from "./state-machine.ts";

/** Where inside the Ready loop an armed crash strikes. */
export type CrashPoint = "beforePersist" | "afterPersist" | "midSend" | "midApply" | "beforeAdvance";
export const crashPoints: readonly CrashPoint[] = ["beforePersist", "afterPersist", "midSend", "midApply", "beforeAdvance"];

/** Simulated milliseconds per tick: the driver's tick. */
export const simTickMs = 10;

export interface NodeTiming {
  electionTicks: number;
  heartbeatTicks: number;
  maxEntriesPerAppend: number;
  maxInflightAppends: number;
}

/** The state machine's view for a peer, at its applied index. */
export interface ToySnapshot {
  readonly header: SnapshotMeta;
  readonly state: ToyStateMachine;
}

/** A snapshot being received; its state arrives with the transfer. */
export interface ToyStaging {
  readonly header: SnapshotMeta;
  state: ToyStateMachine | null;
  abort(): void;
}

export type SimDriver = RaftNode<ToyResult, ToySnapshot, ToyStaging>;

/** A power cut at a point of the Ready loop: thrown by the probe, it stops the driver there. */
export class SimCrash extends Error {
  constructor(readonly point: CrashPoint) {
    super(`crash ${point}`);
  }
}

/** What a node needs from the simulation around it. */
export interface NodeHost {
  nowMs(): number;
  send(message: Message): void;
  /** Streams a snapshot to its receiver; resolves with the receiver's answer, or null when the transfer failed. */
  sendSnapshot(envelope: SnapshotEnvelope, snapshot: ToySnapshot): Promise<AppendResponseMessage | null>;
  logger(id: NodeId): Logger;
  /** The driver stopped: a crash the probe caused, a broken invariant, or its removal from the cluster. */
  stopped(id: NodeId, error: Error | null): void;
  /** Invariant checks at each step of the Ready loop, and what the driver applied. */
  probe(id: NodeId): DriverProbe;
  applied(id: NodeId, entry: Entry, state: ToyStateMachine): void;
  installed(id: NodeId, snapshot: SnapshotMeta, state: ToyStateMachine): void;
  compacted(id: NodeId, snapshot: SnapshotMeta): void;
}

export class SimNode {
  driver: SimDriver | null = null;
  clock: SimClock | null = null;
  readonly disk = new MemoryStorage();
  stateMachine: ToyStateMachine;
  /** Ever started (spare nodes start when the admin adds them). */
  started = false;
  /** Removed from the cluster: it stopped for good. */
  removed = false;
  /** Tick at which a crashed node restarts. */
  downUntil = 0;
  /**
   * A paused process (a long GC or VM stall) neither ticks nor handles
   * messages until this tick; its timers lose the ticks it missed, which is
   * why leadership is confirmed by ReadIndex rounds, never by local time.
   */
  pausedUntil = 0;
  /** Set by the fault injector: crash at this point of the next Ready. */
  armedCrash: CrashPoint | null = null;
  /** The state machine's image at the disk's snapshot point (compaction or install), durable with it. */
  private image: ToyStateMachine | null = null;

  /**
   * `bootstrapVoters`: the cluster's first voters for an original node, whose
   * disk starts with them as the config entry at index 1 (as a replica's
   * does); [] for a node added later, which knows no membership until the
   * leader sends it the log or a snapshot.
   */
  constructor(
    readonly id: NodeId,
    private readonly random: SimRandom,
    bootstrapVoters: readonly NodeId[],
  ) {
    this.stateMachine = new ToyStateMachine();
    if (bootstrapVoters.length === 0) return;
    this.disk.append([bootstrapEntry(bootstrapVoters.map((voter) => ({ id: voter, address: simAddress(voter) })))]);
    this.disk.setHardState({ term: bootstrapTerm, vote: 0, commit: bootstrapIndex });
  }

  get isUp(): boolean {
    return this.driver !== null;
  }

  /** The driver's core, read-only, while up. */
  get core(): CoreView | null {
    return this.driver?.view ?? null;
  }

  /**
   * (Re)starts the process from its disk. With `rebuildStateMachine` the
   * state machine is rebuilt from its snapshot (or from scratch) by
   * replaying the log, as a projection rebuild does.
   */
  start(timing: NodeTiming, compactEntries: number, rebuildStateMachine: boolean, host: NodeHost): void {
    this.started = true;
    if (rebuildStateMachine) this.rebuildStateMachine();
    const clock = new SimClock(() => host.nowMs());
    this.clock = clock;
    const probe = host.probe(this.id);
    const driver = new RaftNode<ToyResult, ToySnapshot, ToyStaging>({
      self: { id: this.id, address: simAddress(this.id) },
      log: new MemoryDriverLog(this.disk, (point) => this.compacted(point, host)),
      machine: this.machine(host),
      timing: { tickMs: simTickMs, electionTicks: timing.electionTicks, heartbeatTicks: timing.heartbeatTicks },
      flowControl: { maxEntriesPerAppend: timing.maxEntriesPerAppend, maxInflightAppends: timing.maxInflightAppends },
      clock,
      random: this.random.asFunction(),
      send: (message) => host.send(message),
      logger: host.logger(this.id),
      // Between the Ready loop's steps: a crash armed for that point throws there.
      probe: {
        persisting: (ready, core) => {
          this.crashIfArmed("beforePersist");
          probe.persisting(ready, core);
        },
        persisted: (ready, core) => {
          probe.persisted(ready, core);
          this.crashIfArmed("afterPersist");
        },
        sending: (message, core) => {
          if (this.armedCrash === "midSend" && this.random.chance(0.5)) this.crashIfArmed("midSend");
          probe.sending(message, core);
        },
        advancing: (ready, core) => {
          this.crashIfArmed("beforeAdvance");
          probe.advancing(ready, core);
        },
      },
      compaction: compactEntries > 0 ? { entriesMax: compactEntries, tailEntries: 0 } : { entriesMax: Number.MAX_SAFE_INTEGER, tailEntries: 0 },
      snapshots: {
        open: () => this.openSnapshot(),
        stage: (header) => ({ header, state: null, abort: () => {} }),
        install: (staging) => this.installSnapshot(staging, host),
        send: (envelope, snapshot) => host.sendSnapshot(envelope, snapshot),
      },
      onFatal: (error) => {
        this.stop();
        host.stopped(this.id, error);
      },
      onRemoved: () => {
        this.removed = true;
        this.stop();
        host.stopped(this.id, null);
      },
    });
    // The driver applies what was committed before the restart as it starts: that may stop it already.
    if (this.clock === clock) this.driver = driver;
  }

  /** A crash between steps: the process dies, its timers and queued work with it. */
  crash(): void {
    void this.driver?.close();
    this.stop();
  }

  private stop(): void {
    this.clock?.stop();
    this.clock = null;
    this.driver = null;
    this.armedCrash = null;
  }

  private crashIfArmed(point: CrashPoint): void {
    if (this.armedCrash === point) throw new SimCrash(point);
  }

  /** The toy state machine behind the driver's port; a crash armed mid-apply strikes after some entries. */
  private machine(host: NodeHost): StateMachine<ToyResult> {
    return {
      appliedIndex: () => this.stateMachine.appliedIndex,
      appliedMembershipIncludes: (id) => this.stateMachine.includes(id),
      apply: (entries) => {
        const crashAfter = this.armedCrash === "midApply" ? this.random.int(0, entries.length) : Number.POSITIVE_INFINITY;
        return entries.map((entry, offset) => {
          if (offset >= crashAfter) throw new SimCrash("midApply");
          const result = this.stateMachine.apply(entry);
          host.applied(this.id, entry, this.stateMachine);
          return result;
        });
      },
    };
  }

  private openSnapshot(): ToySnapshot {
    const state = this.stateMachine.clone();
    const index = state.appliedIndex;
    const term = this.disk.term(index);
    if (term === undefined) throw new Error(`no term for the applied index ${index}`);
    return { header: { index, term, membership: state.membership, configIndex: state.configIndex }, state };
  }

  /** The state and the log's reset, together (one transaction in a replica); the commit index covers the snapshot. */
  private installSnapshot(staging: ToyStaging, host: NodeHost): void {
    const state = staging.state;
    if (!state) throw new Error("a staged snapshot without its state");
    this.stateMachine = state.clone();
    this.image = state.clone();
    this.disk.applySnapshot(staging.header);
    const hardState = this.disk.hardState;
    if (hardState.commit < staging.header.index) this.disk.setHardState({ ...hardState, commit: staging.header.index });
    host.installed(this.id, staging.header, this.stateMachine);
  }

  /** The driver compacts at its applied index (no tail kept), so the state machine now is the image at the point. */
  private compacted(point: SnapshotMeta, host: NodeHost): void {
    if (this.stateMachine.appliedIndex !== point.index) throw new Error(`compacted at ${point.index} with ${this.stateMachine.appliedIndex} applied`);
    this.image = this.stateMachine.clone();
    host.compacted(this.id, point);
  }

  /** From the image at the disk's snapshot point (or from nothing), replaying the log after it, as a projection rebuild does. */
  private rebuildStateMachine(): void {
    const point = this.disk.snapshot().index;
    if (point > 0 && this.image?.appliedIndex !== point) throw new Error(`no state machine image at the snapshot point ${point}`);
    this.stateMachine = point > 0 ? this.image!.clone() : new ToyStateMachine();
  }
}

export function simAddress(id: NodeId): string {
  return `sim-${id}`;
}

export function idOfAddress(address: string | null): NodeId | undefined {
  const match = address ? /^sim-(\d+)$/.exec(address) : null;
  return match ? Number(match[1]) : undefined;
}
