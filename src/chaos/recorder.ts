/**
 * The chaos run's history: every client operation's invoke and its ok,
 * fail or unknown, every stream opened and message delivered, in the
 * history checker's terms (src/check/history-model.ts), each stamped with
 * the milliseconds since the run began, and counted by kind and outcome.
 */
import type { Completion, DistributiveOmit } from "../check/client-outcomes.ts";
import type { HistoryEvent, Operation } from "../check/history.ts";

/** A history event with its time: the checker reads the event, people read the time too. */
export type TimedEvent = HistoryEvent & { atMs: number };

export class Recorder {
  readonly events: TimedEvent[] = [];
  /** "SendMessage ok" → count. */
  readonly counts: Record<string, number> = {};
  /** Statuses no well-formed request should get (INTERNAL, UNKNOWN, INVALID_ARGUMENT): each is a finding. */
  readonly unexpected: string[] = [];
  private readonly pending = new Map<string, Operation>();
  private readonly startedAt = performance.now();

  get elapsedMs(): number {
    return Math.round(performance.now() - this.startedAt);
  }

  invoke(process: string, op: Operation): void {
    this.push({ type: "invoke", process, op });
    this.pending.set(process, op);
  }

  complete(process: string, completion: Completion): void {
    this.push({ process, ...completion } as DistributiveOmit<HistoryEvent, "seq">);
    const op = this.pending.get(process);
    this.pending.delete(process);
    if (op) this.counts[`${op.kind} ${completion.type}`] = (this.counts[`${op.kind} ${completion.type}`] ?? 0) + 1;
  }

  /** A stream opening or a delivery. */
  record(event: DistributiveOmit<Extract<HistoryEvent, { type: "subscribe" | "deliver" }>, "seq">): void {
    this.push(event);
  }

  private push(event: DistributiveOmit<HistoryEvent, "seq">): void {
    this.events.push({ ...event, seq: this.events.length + 1, atMs: this.elapsedMs } as TimedEvent);
  }
}
