/**
 * A live subscription to one user's new messages. It first catches up from
 * the projection (messages after the client's last seen id, page by page as
 * the client keeps up), then switches to live events. JavaScript runs one
 * thing at a time and the apply loop emits right after its commit, so a
 * message is either found by a catch-up query or arrives as an event after
 * the switch: no gap, no duplicate.
 *
 * The stream tells the client its position when it registers: the applied
 * index, read in the same turn as the event listener is added. Every
 * message with a larger id is applied, and so emitted, after the listener
 * exists; every message at or below it is in the projection already. So a
 * client that resumes from the position (or from a later id it received)
 * misses nothing, even if it never received a message. Message ids are log
 * indexes, so the position is on the same scale as `after_id`; and it is
 * never 0 for a logged-in caller (the login is a log entry), unlike the
 * caller's latest message id, which would be 0 for a new user and would
 * read as "from now on" again. Streams are opened only on the leader (the
 * caller checks in the same turn); entries any later leader commits come
 * after every applied one, so they have larger ids, and resuming there
 * from the position loses nothing. The catch-up count is exact at
 * registration; a message deleted before a later catch-up page is read is
 * counted but no longer sent.
 *
 * The catch-up reads and sends one slice per turn of the event loop (see
 * src/service/turns.ts), so a stream far behind never holds the thread the
 * consensus clock runs on. Between slices new messages are left to the
 * next slice's query; the switch to live events happens in the turn of the
 * slice that finds the end, so the no-gap argument above still holds.
 */
import { catchUpSliceMessages, subscriberBufferMessagesMax } from "../limits.ts";
import type { Projections } from "../projections/apply.ts";
import { ChatError } from "../projections/operations.ts";
import type { MessageRow } from "../projections/queries.ts";

/** Where a stream starts, told to the client before any message. */
export interface StreamStart {
  /** Every message with a larger id is sent; `after_id` resumes from here with no gap. */
  position: number;
  /** Messages the catch-up sends first: those in (after_id, position]. */
  catchUpCount: number;
}

/** Where messages go: a gRPC stream in production, an array in tests. */
export interface MessageSink {
  /** Runs once, in the turn the subscription registers, before any `write`. */
  open(start: StreamStart): void;
  /** Returns false when the sink wants no more until `drained` is called. */
  write(message: MessageRow): boolean;
  end(error?: ChatError): void;
}

export class Subscription {
  private live = false;
  private closed = false;
  private lastQueuedId: number;
  private readonly queue: MessageRow[] = [];
  private sinkReady = true;
  private readonly unsubscribers: (() => void)[] = [];
  private catchUpScheduled = false;

  constructor(
    private readonly projections: Projections,
    private readonly username: string,
    private readonly tokenHash: string,
    afterId: number,
    private readonly sink: MessageSink,
    /** Runs one catch-up slice in a later turn (a TurnQueue's `continue` in the service). */
    private readonly inTurn: (work: () => void) => void = (work) => work(),
  ) {
    const position = Math.max(afterId, projections.appliedIndex());
    // after_id 0 asks for "from now on": the position, not the start of history.
    this.live = afterId === 0;
    this.lastQueuedId = afterId === 0 ? position : afterId;
    this.unsubscribers.push(
      projections.on("message", (message) => this.onMessage(message)),
      projections.on("sessionEnded", ({ tokenHash, username }) => {
        if (username === this.username && (tokenHash === null || tokenHash === this.tokenHash)) {
          this.close(new ChatError("UNAUTHENTICATED", "Session ended: logged out or account deleted"));
        }
      }),
    );
    const catchUpCount = this.live ? 0 : projections.queries.messageCountBetween(username, afterId, position);
    sink.open({ position, catchUpCount });
    this.pump();
  }

  /** The sink can take more: resume catch-up or flush the live queue. */
  drained(): void {
    this.sinkReady = true;
    this.pump();
  }

  close(error?: ChatError): void {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.sink.end(error);
  }

  private onMessage(message: MessageRow): void {
    if (!this.live || this.closed || message.recipient !== this.username || message.id <= this.lastQueuedId) return;
    if (this.queue.length >= subscriberBufferMessagesMax) {
      this.close(
        new ChatError(
          "RESOURCE_EXHAUSTED",
          `subscriber too slow: more than ${subscriberBufferMessagesMax} messages waiting; subscribe again from the last id received`,
        ),
      );
      return;
    }
    this.queue.push(message);
    this.lastQueuedId = message.id;
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.sinkReady) {
      const next = this.queue.shift();
      if (!next) {
        if (!this.live) this.scheduleCatchUp();
        return;
      }
      this.sinkReady = this.sink.write(next);
    }
  }

  private scheduleCatchUp(): void {
    if (this.catchUpScheduled) return;
    this.catchUpScheduled = true;
    this.inTurn(() => {
      this.catchUpScheduled = false;
      if (this.closed) return;
      this.catchUp();
      this.pump();
    });
  }

  /** Queues one slice of stored messages; switches to live after a short slice. */
  private catchUp(): void {
    const slice = this.projections.queries.messagesAfter(this.username, this.lastQueuedId, catchUpSliceMessages);
    this.queue.push(...slice);
    if (slice.length > 0) this.lastQueuedId = slice[slice.length - 1]!.id;
    if (slice.length < catchUpSliceMessages) this.live = true;
  }
}
