/**
 * The replica's one wall clock: the time the leader stamps into operations
 * (session ages, the exactly-once window) and anything else that reads the
 * date. Monotonic timing (ticks, deadlines) is the driver's clock
 * (src/log/driver-clock.ts) and never jumps.
 *
 * Test builds can skew it: when CHAT_TEST_CLOCK_SKEW_FILE names a file, the
 * replica reads a skew in milliseconds from it (a plain integer; missing or
 * empty means 0) at start and again every `skewPollMs`, so the chaos runner
 * (src/chaos/) can jump a running replica's clock a day ahead or back, as
 * the whole-replica simulation does with its simulated clocks.
 */
import { readFileSync } from "node:fs";

/** Names the skew file; unset in production, where the clock is Date.now. */
export const clockSkewFileVariable = "CHAT_TEST_CLOCK_SKEW_FILE";
/** How often a skewed replica rereads its skew file: a jump lands within this long. */
export const skewPollMs = 100;

export interface WallClock {
  /** Milliseconds since the epoch, as this replica believes. */
  now(): number;
}

let skewMs = 0;
let following = false;

function readSkew(file: string): number {
  try {
    const value = Number(readFileSync(file, "utf8").trim() || "0");
    return Number.isSafeInteger(value) ? value : 0;
  } catch {
    return 0; // not written yet: no skew
  }
}

/** Starts following the skew file if the environment names one (once, at the composition root). */
export function followClockSkew(environment: Record<string, string | undefined> = process.env): void {
  const file = environment[clockSkewFileVariable];
  if (!file || following) return;
  following = true;
  skewMs = readSkew(file);
  // unref: the poll never keeps a stopping replica alive.
  setInterval(() => {
    skewMs = readSkew(file);
  }, skewPollMs).unref();
}

export const wallClock: WallClock = {
  now: () => Date.now() + skewMs,
};
