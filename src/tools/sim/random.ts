// Seeded randomness for the simulator: every choice a run makes flows from one
// seed, so a failing seed replays exactly.

import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

const twoPow32 = 2 ** 32;
/** xoroshiro128+ seeded with small integers starts with nearly constant outputs; skip them. */
const warmUpOutputs = 16;

/** Spreads nearby seeds (1, 2, 3...) over the whole 32-bit space (murmur3 finalizer). */
export function mixSeed(seed: number): number {
  let h = seed | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

export class SimRandom {
  private readonly generator;

  constructor(seed: number) {
    this.generator = xoroshiro128plus(mixSeed(seed));
    for (let i = 0; i < warmUpOutputs; i++) this.generator.next();
  }

  /** Uniform in [0, 1), 32 bits of resolution (plenty for scheduling faults). */
  float(): number {
    return (this.generator.next() >>> 0) / twoPow32;
  }

  /** Uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.float() * items.length)]!;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /** An independent stream, e.g. for one node's election jitter. */
  fork(): SimRandom {
    return new SimRandom(this.generator.next());
  }

  /** The `() => number` shape RaftCore takes. */
  asFunction(): () => number {
    return () => this.float();
  }
}
