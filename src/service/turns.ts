/**
 * Turns of the event loop for heavy reads. The replica's consensus clock
 * (heartbeats, election timers, answers to peers) runs on the same thread
 * as the client API, so one long stretch of JavaScript delays it; a leader
 * that stalls past an election timeout is deposed. Work that reads and
 * encodes many messages (a history page, a read of new messages, a live
 * stream's catch-up) therefore waits here for a turn of its own: one piece
 * per turn, oldest first, with the loop's timers and I/O between pieces.
 * Each piece is bounded (pages and catch-up slices are), so no turn is long.
 * The queue and each user's share of it are bounded too: past them a
 * request is refused with RESOURCE_EXHAUSTED, which the client may retry.
 */
import { ChatError } from "../projections/operations.ts";

export interface TurnLimits {
  /** Pieces waiting at once, all users together. */
  queuedMax: number;
  /** Pieces one user may have waiting or running at once. */
  perUserMax: number;
}

/** Runs `work` in a later turn of the event loop (setImmediate in a replica; the simulator's clock in a simulation). */
export type NextTurn = (work: () => void) => void;

export const nextTurnOfProcess: NextTurn = (work) => void setImmediate(work);

interface Piece {
  user: string;
  run: () => void;
}

export class TurnQueue {
  private readonly waiting: Piece[] = [];
  private readonly perUser = new Map<string, number>();
  private scheduled = false;

  constructor(
    private readonly limits: TurnLimits,
    private readonly nextTurn: NextTurn = nextTurnOfProcess,
  ) {}

  /** Runs `work` for `user` in a turn of its own; refuses when the queue or the user's share is full. */
  run<T>(user: string, work: () => T): Promise<T> {
    this.admit(user);
    return new Promise<T>((resolve, reject) => {
      this.enqueue(user, () => {
        try {
          resolve(work());
        } catch (error) {
          reject(error);
        } finally {
          this.release(user);
        }
      });
    });
  }

  /**
   * A piece of a longer job (a stream's catch-up), not counted against the
   * user's share: the job was admitted once, with `hold`, and gives it back
   * with `release`.
   */
  continue(user: string, work: () => void): void {
    this.enqueue(user, work);
  }

  /** Counts a long job (a live stream) against `user`'s share until `release`. */
  hold(user: string): void {
    this.admit(user);
  }

  release(user: string): void {
    const count = (this.perUser.get(user) ?? 1) - 1;
    if (count <= 0) this.perUser.delete(user);
    else this.perUser.set(user, count);
  }

  private admit(user: string): void {
    if (this.waiting.length >= this.limits.queuedMax) {
      throw new ChatError("RESOURCE_EXHAUSTED", `this replica is busy: ${this.limits.queuedMax} reads waiting; retry shortly`);
    }
    const count = this.perUser.get(user) ?? 0;
    if (count >= this.limits.perUserMax) {
      throw new ChatError("RESOURCE_EXHAUSTED", `at most ${this.limits.perUserMax} reads and streams of one user at once; retry when one ends`);
    }
    this.perUser.set(user, count + 1);
  }

  private enqueue(user: string, run: () => void): void {
    this.waiting.push({ user, run });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    this.nextTurn(() => {
      this.scheduled = false;
      const piece = this.waiting.shift();
      if (!piece) return;
      try {
        piece.run();
      } finally {
        this.schedule();
      }
    });
  }
}
