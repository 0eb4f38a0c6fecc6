// The simulated time of one replica process, as its driver sees it
// (src/log/driver-clock.ts): ticks fire only when the simulation says so,
// "soon" work waits in a queue the simulation drains, and sleeps end at a
// simulated instant. A crashed process's clock is discarded with it.

import type { DriverClock } from "../../log/driver-clock.ts";

export class SimClock implements DriverClock {
  private readonly tickers = new Set<() => void>();
  private queue: (() => void)[] = [];
  private sleepers: { until: number; wake: () => void }[] = [];
  /** Offset from the simulation's time: a clock jump on this process. */
  skewMs = 0;

  constructor(private readonly simulationNow: () => number) {}

  now(): number {
    return this.simulationNow() + this.skewMs;
  }

  every(_ms: number, tick: () => void): () => void {
    this.tickers.add(tick);
    return () => this.tickers.delete(tick);
  }

  soon(work: () => void): void {
    this.queue.push(work);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ until: this.now() + ms, wake }));
  }

  /** One tick of the driver's timer (the simulation's tick is the driver's tickMs). */
  tick(): void {
    for (const tick of [...this.tickers]) tick();
    const due = this.sleepers.filter((sleeper) => sleeper.until <= this.now());
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.until > this.now());
    for (const sleeper of due) sleeper.wake();
  }

  /** Runs the "soon" work queued so far; returns whether there was any. */
  runQueued(): boolean {
    const work = this.queue;
    this.queue = [];
    for (const item of work) item();
    return work.length > 0;
  }

  hasQueued(): boolean {
    return this.queue.length > 0;
  }

  /** The process died: its timers and queued work die with it. */
  stop(): void {
    this.tickers.clear();
    this.queue = [];
    this.sleepers = [];
  }
}
