/**
 * Every password hash and verification the service runs, bounded: at most
 * `passwordHashesRunningMax` at once (Bun.password's async calls run on
 * Bun's worker pool, off the thread that runs the consensus clock, so the
 * bound leaves cores for the log), at most `passwordHashesWaitingMax`
 * waiting their turn (more are refused at once, so a wait stays short), and
 * at most `passwordChecksPerAddressMax` of them from one client address.
 * A check of a password also spends a failure of the account's and the
 * address's budgets (src/service/attempt-limits.ts) before it runs.
 */
import * as limits from "../limits.ts";
import { OverloadedError } from "../log/errors.ts";
import { ChatError } from "../projections/operations.ts";
import type { AttemptLimits } from "./attempt-limits.ts";
import type { PasswordHasher } from "./chat-service.ts";

/**
 * What a Login for a name with no account is checked against, so that it
 * costs one verification, as a wrong password does, and is answered after
 * the same time. No account holds it; a match still logs nobody in.
 */
const unknownUserPassword = "no account has this password";

export class PasswordWork {
  private running = 0;
  /** Wakes the next waiting check, oldest first; at most passwordHashesWaitingMax. */
  private readonly waiting: (() => void)[] = [];
  /** Checks running or waiting per client address; an address with none has no entry. */
  private readonly perAddress = new Map<string, number>();
  /** Made at start, so the first Login for an unknown name does not pay for it. */
  private readonly dummyHash: Promise<string>;

  constructor(
    private readonly hasher: PasswordHasher,
    private readonly limits: AttemptLimits,
  ) {
    this.dummyHash = hasher.hash(unknownUserPassword);
    // A failure surfaces in the first check that needs the hash, as an internal error, not as an unhandled rejection now.
    this.dummyHash.catch(() => {});
  }

  /** Hashes a new password (CreateAccount): bounded like every check, and no failure to spend. */
  hash(address: string | undefined, password: string): Promise<string> {
    return this.run(address, () => this.hasher.hash(password));
  }

  /** One request's check of `password` (Login, DeleteAccount). */
  check(address: string | undefined, password: string): PasswordCheck {
    return new PasswordCheck(this, this.limits, address, password);
  }

  /** Verifies against `hash`, or against a hash no password of an account matches when there is none. */
  verify(address: string | undefined, password: string, hash: string | null): Promise<boolean> {
    return this.run(address, async () => (await this.hasher.verify(password, hash ?? (await this.dummyHash))) && hash !== null);
  }

  private async run<T>(address: string | undefined, work: () => Promise<T>): Promise<T> {
    this.enter(address);
    try {
      await this.turn();
      try {
        return await work();
      } finally {
        this.leaveTurn();
      }
    } finally {
      this.leave(address);
    }
  }

  private enter(address: string | undefined): void {
    if (address === undefined) return;
    const inProgress = this.perAddress.get(address) ?? 0;
    if (inProgress >= limits.passwordChecksPerAddressMax) {
      throw new ChatError("RESOURCE_EXHAUSTED", `this address has ${inProgress} password checks in progress; retry once one is answered`);
    }
    this.perAddress.set(address, inProgress + 1);
  }

  private leave(address: string | undefined): void {
    if (address === undefined) return;
    const inProgress = this.perAddress.get(address)! - 1;
    if (inProgress === 0) this.perAddress.delete(address);
    else this.perAddress.set(address, inProgress);
  }

  /** Resolves when this check may run; a full queue is the replica's overload, not the caller's fault. */
  private turn(): Promise<void> {
    if (this.running < limits.passwordHashesRunningMax) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.waiting.length >= limits.passwordHashesWaitingMax) {
      return Promise.reject(new OverloadedError(`${this.waiting.length} password checks are waiting; retry in a second`));
    }
    // The turn passes straight from the check that ends to the oldest waiting one (leaveTurn), so `running` stays counted.
    return new Promise((wake) => this.waiting.push(wake));
  }

  private leaveTurn(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}

/**
 * One request's password check. The service decides a request once, and a
 * refusal again after a read barrier (ChatService.linearizable): the second
 * decision reuses the first one's verdict for the same account and hash, so
 * a wrong password costs one verification and one failure, not two.
 */
export class PasswordCheck {
  private verdict: { account: string; hash: string | null; matches: boolean } | null = null;
  private refusal: unknown = null;

  constructor(
    private readonly work: PasswordWork,
    private readonly limits: AttemptLimits,
    private readonly address: string | undefined,
    private readonly password: string,
  ) {}

  /** Whether the password matches `account`'s `hash` (null: no such account, never a match). */
  async matches(account: string, hash: string | null): Promise<boolean> {
    if (this.refusal) throw this.refusal;
    if (this.verdict && this.verdict.account === account && this.verdict.hash === hash) return this.verdict.matches;
    try {
      const admission = this.limits.admit(account, this.address);
      let matches: boolean;
      try {
        matches = await this.work.verify(this.address, this.password, hash);
      } catch (error) {
        admission.refund(); // refused before it ran: nothing was tried
        throw error;
      }
      if (matches) admission.refund();
      this.verdict = { account, hash, matches };
      return matches;
    } catch (error) {
      this.refusal = error;
      throw error;
    }
  }
}
