/**
 * Optional timings of the write path's stages, for `bun run bench` only:
 * off unless CHAT_STAGE_TIMINGS=1, and then a few performance.now() calls
 * per write. Two kinds of figure:
 *
 * - a span: one write on the leader, from the gRPC handler to its answer.
 *   Each `mark(stage)` books the time since the previous mark to `stage`
 *   (the first mark of a stage in a span only). Meaningful at one request
 *   in flight, where the marks of one write come in order; with more, a
 *   span is cut short by the next write's `begin`.
 * - a duration: any stretch timed on its own (a follower's fsync, an
 *   apply), whatever else runs.
 *
 * SIGUSR2 makes the process write the totals since the last dump as one
 * line to stderr (`stage-timings {json}`) and start again from zero.
 */

export interface StageTotals {
  /** Spans ended (writes answered) since the last dump. */
  spans: number;
  /** Per stage: milliseconds in all and how many spans booked it. */
  stages: Record<string, { ms: number; count: number }>;
  /** Per duration: milliseconds in all and how many times it was timed. */
  durations: Record<string, { ms: number; count: number }>;
}

export const stageTimingsLinePrefix = "stage-timings ";

class StageTimings {
  readonly enabled = process.env.CHAT_STAGE_TIMINGS === "1";
  private totals: StageTotals = { spans: 0, stages: {}, durations: {} };
  /** When the open span's last mark was made; null with no span open. */
  private lastMarkAt: number | null = null;
  private readonly marked = new Set<string>();

  /** Opens a span (a write reached the gRPC handler). */
  begin(): void {
    if (!this.enabled) return;
    this.lastMarkAt = performance.now();
    this.marked.clear();
  }

  /** Books the time since the previous mark of the open span to `stage`. */
  mark(stage: string): void {
    if (this.lastMarkAt === null || this.marked.has(stage)) return;
    const now = performance.now();
    add(this.totals.stages, stage, now - this.lastMarkAt);
    this.marked.add(stage);
    this.lastMarkAt = now;
  }

  /** Books the last stage and closes the span (the write was answered). */
  end(stage: string): void {
    if (this.lastMarkAt === null) return;
    this.mark(stage);
    this.totals.spans += 1;
    this.lastMarkAt = null;
  }

  /** A start time for `duration`, or 0 when off. */
  start(): number {
    return this.enabled ? performance.now() : 0;
  }

  /** Books the time since `startedAt` (from `start`) to `name`. */
  duration(name: string, startedAt: number): void {
    if (this.enabled) add(this.totals.durations, name, performance.now() - startedAt);
  }

  /** When enabled, SIGUSR2 writes the totals to stderr and resets them. */
  installDump(): void {
    if (!this.enabled) return;
    process.on("SIGUSR2", () => {
      process.stderr.write(`${stageTimingsLinePrefix}${JSON.stringify(this.totals)}\n`);
      this.totals = { spans: 0, stages: {}, durations: {} };
    });
  }
}

function add(into: Record<string, { ms: number; count: number }>, name: string, ms: number): void {
  const total = into[name] ?? { ms: 0, count: 0 };
  into[name] = total;
  total.ms += ms;
  total.count += 1;
}

/** One per process: the driver, the service and the gRPC layer mark the same spans. */
export const stageTimings = new StageTimings();
