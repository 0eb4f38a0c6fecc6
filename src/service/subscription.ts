/**
 * A live subscription to one user's new messages. It first catches up from
 * the projection (messages after the client's last seen id, page by page as
 * the client keeps up), then switches to live events. JavaScript runs one
 * thing at a time and the apply loop emits right after its commit, so a
 * message is either found by a catch-up query or arrives as an event after
 * the switch: no gap, no duplicate.
 */
import { subscriberBufferMessagesMax } from "../limits.ts";
import type { Projections } from "../projections/apply.ts";
import { ChatError } from "../projections/operations.ts";
import type { MessageRow } from "../projections/queries.ts";

/** Where messages go: a gRPC stream in production, an array in tests. */
export interface MessageSink {
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

  constructor(
    private readonly projections: Projections,
    private readonly username: string,
    private readonly tokenHash: string,
    afterId: number,
    private readonly sink: MessageSink,
  ) {
    this.live = afterId === 0;
    this.lastQueuedId = afterId;
    this.unsubscribers.push(
      projections.on("message", (message) => this.onMessage(message)),
      projections.on("sessionEnded", ({ tokenHash, username }) => {
        if (username === this.username && (tokenHash === null || tokenHash === this.tokenHash)) {
          this.close(new ChatError("UNAUTHENTICATED", "Session ended: logged out or account deleted"));
        }
      }),
    );
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
          `subscriber too slow: more than ${subscriberBufferMessagesMax} messages waiting; ` +
            "subscribe again from the last id received",
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
      if (this.queue.length === 0 && !this.live) this.catchUp();
      const next = this.queue.shift();
      if (!next) return;
      this.sinkReady = this.sink.write(next);
    }
  }

  /** Queues one page of stored messages; switches to live after a short page. */
  private catchUp(): void {
    const page = this.projections.queries.messagesAfter(this.username, this.lastQueuedId, subscriberBufferMessagesMax);
    this.queue.push(...page);
    if (page.length > 0) this.lastQueuedId = page[page.length - 1]!.id;
    if (page.length < subscriberBufferMessagesMax) this.live = true;
  }
}
