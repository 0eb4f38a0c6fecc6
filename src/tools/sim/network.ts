// Simulated network: delays, drops, duplicates and reorders messages, and cuts
// directed links to model partitions (symmetric, isolating or one-way).

import type { Message, NodeId } from "../../log/raft/index.ts";
import type { SimRandom } from "./random.ts";

export interface NetworkFaults {
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message is delivered twice. */
  duplicateRate: number;
  /** Normal one-way delay range in ticks (at least 1: nothing arrives in the tick it was sent). */
  minDelayTicks: number;
  maxDelayTicks: number;
  /** Probability of a long delay, making the message stale and out of order when it lands. */
  longDelayRate: number;
  maxLongDelayTicks: number;
}

export const calmNetwork: NetworkFaults = {
  dropRate: 0,
  duplicateRate: 0,
  minDelayTicks: 1,
  maxDelayTicks: 2,
  longDelayRate: 0,
  maxLongDelayTicks: 1,
};

interface InFlight {
  deliverAt: number;
  /** Random tie-break, so messages due in the same tick arrive in any order. */
  order: number;
  message: Message;
}

export interface NetworkStats {
  sent: number;
  dropped: number;
  duplicated: number;
  delivered: number;
}

export class SimNetwork {
  faults: NetworkFaults = calmNetwork;
  private inFlight: InFlight[] = [];
  /** Directed links that lose everything: "from>to". */
  private readonly cutLinks = new Set<string>();
  readonly stats: NetworkStats = { sent: 0, dropped: 0, duplicated: 0, delivered: 0 };

  constructor(private readonly random: SimRandom) {}

  send(message: Message, now: number): void {
    this.stats.sent++;
    if (this.isCut(message.from, message.to) || this.random.chance(this.faults.dropRate)) {
      this.stats.dropped++;
      return;
    }
    const copies = this.random.chance(this.faults.duplicateRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let copy = 0; copy < copies; copy++) {
      // A JSON round trip both proves the message is wire-safe and stops the
      // receiver from sharing objects with the sender.
      const wire = JSON.parse(JSON.stringify(message)) as Message;
      this.inFlight.push({ deliverAt: now + this.delay(), order: this.random.float(), message: wire });
    }
  }

  private delay(): number {
    const faults = this.faults;
    if (this.random.chance(faults.longDelayRate)) return this.random.int(faults.maxDelayTicks, faults.maxLongDelayTicks);
    return this.random.int(faults.minDelayTicks, faults.maxDelayTicks);
  }

  /** Holds a message for a paused receiver until it resumes (its socket buffer fills meanwhile). */
  hold(message: Message, until: number): void {
    this.inFlight.push({ deliverAt: until, order: this.random.float(), message });
  }

  /** Messages due by `now` whose link is still up at delivery time, in delivery order. */
  takeDue(now: number): Message[] {
    const due: InFlight[] = [];
    const later: InFlight[] = [];
    for (const item of this.inFlight) (item.deliverAt <= now ? due : later).push(item);
    this.inFlight = later;
    due.sort((a, b) => a.deliverAt - b.deliverAt || a.order - b.order);
    const out: Message[] = [];
    for (const { message } of due) {
      if (this.isCut(message.from, message.to)) this.stats.dropped++;
      else out.push(message);
    }
    this.stats.delivered += out.length;
    // hold() may re-queue some of these; the caller counts those again later.
    return out;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cutLinks.has(`${from}>${to}`);
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cutLinks.add(`${from}>${to}`);
  }

  /** No traffic between the two sides, either way. */
  split(sideA: readonly NodeId[], sideB: readonly NodeId[]): void {
    for (const a of sideA) {
      for (const b of sideB) {
        this.cutOneWay(a, b);
        this.cutOneWay(b, a);
      }
    }
  }

  heal(): void {
    this.cutLinks.clear();
  }

  describeCuts(): string {
    return [...this.cutLinks].sort().join(" ");
  }

  inFlightCount(): number {
    return this.inFlight.length;
  }
}
