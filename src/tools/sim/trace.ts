// A bounded ring of recent events, formatted only when a run fails.

import { createLogger, type Logger } from "../../logger.ts";

export interface TraceEvent {
  tick: number;
  node: number;
  what: string;
  detail?: unknown;
}

/** Events kept per run; the failure report prints the tail. */
export const traceCapacityEvents = 400;

export class Trace {
  private readonly events: TraceEvent[] = [];
  private next = 0;

  constructor(private readonly capacity = traceCapacityEvents) {}

  add(tick: number, node: number, what: string, detail?: unknown): void {
    const event = { tick, node, what, detail };
    if (this.events.length < this.capacity) this.events.push(event);
    else this.events[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The most recent `count` events, oldest first, one per line. */
  tail(count: number): string[] {
    const ordered = this.events.length < this.capacity ? this.events : [...this.events.slice(this.next), ...this.events.slice(0, this.next)];
    return ordered.slice(-count).map(formatEvent);
  }
}

function formatEvent(event: TraceEvent): string {
  const detail = event.detail === undefined ? "" : ` ${typeof event.detail === "string" ? event.detail : JSON.stringify(event.detail)}`;
  const node = event.node === 0 ? "sim" : `n${event.node}`;
  return `t=${String(event.tick).padStart(5)} ${node.padEnd(4)} ${event.what}${detail}`;
}

/**
 * A replica's logger inside a simulation: its lines go into the trace (so a
 * failure report shows what the driver said), and to stderr when verbose.
 */
export function traceLogger(trace: Trace, now: () => number, node: number, verbose: boolean): Logger {
  const real = verbose ? createLogger(`sim-n${node}`, "debug") : null;
  const record = (level: "info" | "warn" | "error") => (message: string, fields?: Record<string, unknown>) => {
    trace.add(now(), node, `${level} ${message}`, fields ?? "");
    real?.[level](message, fields);
  };
  return { debug: () => {}, info: record("info"), warn: record("warn"), error: record("error") };
}
