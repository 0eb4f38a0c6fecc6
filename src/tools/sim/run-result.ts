// What one seeded simulation run reports, whichever simulator ran it.

export interface RunResult<Stats> {
  seed: number;
  nodeCount: number;
  ok: boolean;
  /** The invariant that failed, and how. */
  invariant?: string;
  message?: string;
  /** The last events before the failure (empty on success). */
  trace: string[];
  stats: Stats;
}
