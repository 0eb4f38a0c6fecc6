/**
 * Time as the replica's driver sees it: a monotonic clock, a periodic tick,
 * a "soon" (after the current turn of the event loop: the point where
 * proposals and peer requests of one turn are batched into one Ready), and a
 * sleep. The real one uses the process's timers; the simulator supplies its
 * own, so the same driver runs under a seeded, deterministic schedule.
 */
/** The driver's tick and the core's timeouts, counted in ticks. */
export interface RaftTiming {
  tickMs: number;
  heartbeatTicks: number;
  electionTicks: number;
}

export interface DriverClock {
  /** Milliseconds since an arbitrary origin; never goes back. */
  now(): number;
  /** Calls `tick` every `ms` until the returned function is called. */
  every(ms: number, tick: () => void): () => void;
  /** Calls `work` once the current turn has finished. */
  soon(work: () => void): void;
  sleep(ms: number): Promise<void>;
}

export const processClock: DriverClock = {
  now: () => performance.now(),
  every: (ms, tick) => {
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  },
  soon: (work) => void setImmediate(work),
  sleep: (ms) => Bun.sleep(ms),
};
