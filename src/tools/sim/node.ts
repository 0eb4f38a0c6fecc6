// One simulated replica: a durable "disk" (log + HardState), a durable toy
// state machine with its last snapshot, and a RaftCore that exists only while
// the node is up. A crash drops the core and everything it had not handed to
// the disk.

import { bootstrapEntry, bootstrapIndex, bootstrapTerm, MemoryStorage, RaftCore, type NodeId, type SnapshotMeta } from "../../log/raft/index.ts";
import type { SimRandom } from "./random.ts";
import { ToyStateMachine } from "./state-machine.ts";

/** Where inside the Ready loop an armed crash strikes. */
export type CrashPoint = "beforePersist" | "afterPersist" | "midSend" | "midApply" | "beforeAdvance";
export const crashPoints: readonly CrashPoint[] = ["beforePersist", "afterPersist", "midSend", "midApply", "beforeAdvance"];

export interface NodeTiming {
  electionTicks: number;
  heartbeatTicks: number;
  maxEntriesPerAppend: number;
  maxInflightAppends: number;
}

/** A snapshot as the state-machine store keeps it: metadata plus the state at its index. */
export interface StoredSnapshot {
  meta: SnapshotMeta;
  state: ToyStateMachine;
}

export class SimNode {
  core: RaftCore | null = null;
  readonly disk = new MemoryStorage();
  stateMachine: ToyStateMachine;
  /**
   * The state-machine store's latest snapshot (local compaction or installed
   * from a leader), durable with the state machine in one transaction.
   */
  snapshot: StoredSnapshot | null = null;
  /** Ever started (spare nodes start when the admin adds them). */
  started = false;
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
    this.disk.append([bootstrapEntry(bootstrapVoters.map((voter) => ({ id: voter, address: "" })))]);
    this.disk.setHardState({ term: bootstrapTerm, vote: 0, commit: bootstrapIndex });
  }

  get isUp(): boolean {
    return this.core !== null;
  }

  /**
   * (Re)starts from the disk. With `rebuildStateMachine` the state machine is
   * rebuilt from its snapshot (or from scratch) by replaying the log, as a
   * projection rebuild does. A snapshot installed just before a crash, whose
   * log reset never reached the disk, is completed first (the driver's
   * recovery step: the state store is ahead of the log store).
   */
  start(timing: NodeTiming, rebuildStateMachine: boolean): void {
    this.started = true;
    const snapshot = this.snapshot;
    if (snapshot && snapshot.meta.index > this.disk.snapshot().index) {
      this.disk.applySnapshot(snapshot.meta);
      const hardState = this.disk.hardState;
      if (hardState.commit < snapshot.meta.index) this.disk.setHardState({ ...hardState, commit: snapshot.meta.index });
    }
    if (rebuildStateMachine) this.stateMachine = snapshot ? snapshot.state.clone() : new ToyStateMachine();
    this.core = new RaftCore({
      id: this.id,
      storage: this.disk,
      hardState: this.disk.hardState,
      applied: this.stateMachine.appliedIndex,
      random: this.random.asFunction(),
      ...timing,
    });
  }

  /** Log compaction: snapshot the state machine at its applied index once the log holds more than `bound` entries before it. */
  maybeCompact(bound: number): boolean {
    const index = this.stateMachine.appliedIndex;
    if (bound <= 0 || index - this.disk.snapshot().index < bound) return false;
    const term = this.disk.term(index);
    if (term === undefined || index > this.disk.hardState.commit) return false;
    const state = this.stateMachine.clone();
    const meta: SnapshotMeta = { index, term, membership: state.membership, configIndex: state.configIndex };
    this.snapshot = { meta, state };
    this.disk.compact(index, term, state.membership, state.configIndex);
    return true;
  }

  /** Installs a leader's snapshot state (before the core is told), durably with its metadata. */
  installSnapshot(meta: SnapshotMeta, state: ToyStateMachine): void {
    this.snapshot = { meta, state: state.clone() };
    this.stateMachine = state.clone();
  }

  crash(): void {
    this.core = null;
    this.armedCrash = null;
  }
}
