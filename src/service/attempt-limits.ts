/**
 * How many failed password checks an account, and a client address, may
 * take: a token bucket each (a burst, then one more per refill interval),
 * so a guesser gets a handful of guesses and then one now and then, while a
 * user who types the right password is never held back. A check spends one
 * failure before it runs, so guesses sent at once cannot all pass the gate
 * together, and a check that succeeds gives it back.
 *
 * This is the leader's own state: in memory, never in the log, gone on a
 * restart or a change of leader (a new leader starts with full budgets).
 * Time comes from the service's `now` port, not from the projections (whose
 * replay must stay exact), so the whole-replica simulator stays
 * deterministic. Bounded: past `recordsMax` keys the least recently seen is
 * forgotten, which only gives it a full budget again.
 */
import * as limits from "../limits.ts";
import { ChatError } from "../projections/operations.ts";

export interface BudgetBounds {
  burst: number;
  refillMs: number;
  recordsMax: number;
}

/** Failures left at `atMs`; a key with no record has a full budget. */
interface Bucket {
  failures: number;
  atMs: number;
}

/** One token bucket of failures per key. */
export class FailureBudget {
  /** In order of last spend or refund, least recent first (a Map iterates in insertion order). */
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly bounds: BudgetBounds,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Milliseconds until `key` has a failure to spend; 0 if it has one now. */
  waitMs(key: string): number {
    const { failures } = this.level(key);
    return failures >= 1 ? 0 : Math.ceil((1 - failures) * this.bounds.refillMs);
  }

  /** Spends one of `key`'s failures (the caller checked `waitMs(key) === 0`). */
  spend(key: string): void {
    const bucket = this.level(key);
    this.store(key, { failures: bucket.failures - 1, atMs: bucket.atMs });
  }

  /** Gives back a failure spent on a check that did not fail. */
  refund(key: string): void {
    const bucket = this.level(key);
    this.store(key, { failures: Math.min(this.bounds.burst, bucket.failures + 1), atMs: bucket.atMs });
  }

  /**
   * The bucket as of now. A clock that went back (a leader's clock is
   * stepped) refills nothing and restarts the interval from now, so a key
   * waits at most one refill interval for its next failure, never a day.
   */
  private level(key: string): Bucket {
    const now = this.now();
    const bucket = this.buckets.get(key);
    if (!bucket) return { failures: this.bounds.burst, atMs: now };
    if (now < bucket.atMs) bucket.atMs = now; // the clock went back: the interval restarts now
    const elapsedMs = now - bucket.atMs;
    const failures = Math.min(this.bounds.burst, bucket.failures + elapsedMs / this.bounds.refillMs);
    return { failures, atMs: now };
  }

  private store(key: string, bucket: Bucket): void {
    this.buckets.delete(key);
    if (bucket.failures >= this.bounds.burst) return; // a full budget needs no record
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.bounds.recordsMax) this.buckets.delete(this.buckets.keys().next().value!);
  }
}

/** A failure spent on a check; `refund` gives it back when the check did not fail. */
export interface Admission {
  refund(): void;
}

/** The failure budgets of accounts and of client addresses, with the bounds of src/limits.ts. */
export class AttemptLimits {
  private readonly accounts: FailureBudget;
  private readonly addresses: FailureBudget;

  constructor(now: () => number) {
    const recordsMax = limits.passwordFailureRecordsMax;
    this.accounts = new FailureBudget({ burst: limits.accountPasswordFailuresBurst, refillMs: limits.accountPasswordFailureRefillMs, recordsMax }, now);
    this.addresses = new FailureBudget({ burst: limits.addressPasswordFailuresBurst, refillMs: limits.addressPasswordFailureRefillMs, recordsMax }, now);
  }

  /**
   * Spends one failure of `account`'s budget and of `address`'s (when the
   * caller has one: in-process callers do not), or throws RESOURCE_EXHAUSTED
   * saying when to retry, spending neither.
   */
  admit(account: string, address: string | undefined): Admission {
    const accountWaitMs = this.accounts.waitMs(account);
    if (accountWaitMs > 0) throw tooMany(`for ${account}`, accountWaitMs);
    const addressWaitMs = address === undefined ? 0 : this.addresses.waitMs(address);
    if (addressWaitMs > 0) throw tooMany("from this address", addressWaitMs);
    this.accounts.spend(account);
    if (address !== undefined) this.addresses.spend(address);
    return {
      refund: () => {
        this.accounts.refund(account);
        if (address !== undefined) this.addresses.refund(address);
      },
    };
  }
}

function tooMany(whose: string, waitMs: number): ChatError {
  return new ChatError("RESOURCE_EXHAUSTED", `too many failed password checks ${whose}; retry in ${Math.ceil(waitMs / 1000)} s`);
}
