// One simulated replica: a durable "disk" (log + HardState), a durable toy
// state machine, and a RaftCore that exists only while the node is up. A crash
// drops the core and everything it had not handed to the disk.

import { MemoryStorage, RaftCore, type NodeId } from "../../log/raft/index.ts";
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

export class SimNode {
  core: RaftCore | null = null;
  readonly disk = new MemoryStorage();
  stateMachine = new ToyStateMachine();
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

  constructor(readonly id: NodeId, private readonly random: SimRandom) {}

  get isUp(): boolean {
    return this.core !== null;
  }

  /**
   * (Re)starts from the disk. With `rebuildStateMachine` the state machine is
   * rebuilt by replaying the log from index 1, as a projection rebuild does.
   */
  start(voters: readonly NodeId[], timing: NodeTiming, rebuildStateMachine: boolean): void {
    if (rebuildStateMachine) this.stateMachine = new ToyStateMachine();
    this.core = new RaftCore({
      id: this.id,
      voters: [...voters],
      storage: this.disk,
      hardState: this.disk.hardState,
      applied: this.stateMachine.appliedIndex,
      random: this.random.asFunction(),
      ...timing,
    });
  }

  crash(): void {
    this.core = null;
    this.armedCrash = null;
  }
}
