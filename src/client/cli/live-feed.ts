/**
 * The live feed of a logged-in session: one Subscribe stream showing new
 * messages as they arrive, each marked read once shown (so `read` does not
 * return it again), and a bounded series of resubscriptions with backoff
 * when the stream fails.
 *
 * Invariant: `lastSeenId` is the largest id handed to `onMessage`; a
 * resubscription asks for messages after it, and anything at or below it
 * is dropped, so the user sees each message once.
 */
import type { ChatClient, ChatClientError, ChatMessage, Subscription } from "../chat-client.ts";
import {
  markReadBatchIdsMax,
  resubscribeAttemptsMax,
  resubscribeDelayBaseMs,
  resubscribeDelayMaxMs,
  resubscribeStableMs,
} from "./constants.ts";

export interface LiveFeedHandlers {
  onMessage(message: ChatMessage): void;
  /** The replica registered the stream: from now on no new message is missed. */
  onLive?(): void;
  /** One line for the user: the stream failed, came back, or gave up. */
  onNotice(text: string): void;
}

/** What the feed needs of the client library (a fake in unit tests). */
export type FeedClient = Pick<ChatClient, "subscribe" | "markRead">;

export class LiveFeed {
  private lastSeenId = 0;
  /** Failed openings since the stream last worked; bounded by resubscribeAttemptsMax. */
  private failures = 0;
  private stopped = false;
  private subscription: Subscription | null = null;
  private openedAt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly unmarkedIds: number[] = [];
  private marking: Promise<void> | null = null;

  constructor(
    private readonly client: FeedClient,
    private readonly handlers: LiveFeedHandlers,
  ) {}

  /** after_id 0: only messages from now on; older unread ones are fetched with `read`. */
  start(): void {
    this.open(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.subscription?.cancel();
    this.subscription = null;
  }

  /** Resolves once every message shown so far is marked read (or failed to be). */
  async settled(): Promise<void> {
    while (this.marking) await this.marking;
  }

  private open(afterId: number): void {
    this.openedAt = Date.now();
    // grpc-js may report both an error and the end of one stream: act on the first only.
    let ended = false;
    this.subscription = this.client.subscribe(
      afterId,
      (message) => this.receive(message),
      (error) => {
        if (ended) return;
        ended = true;
        this.streamEnded(error);
      },
      () => this.handlers.onLive?.(),
    );
  }

  private receive(message: ChatMessage): void {
    if (this.stopped || message.id <= this.lastSeenId) return;
    this.lastSeenId = message.id;
    this.failures = 0;
    this.handlers.onMessage(message);
    this.unmarkedIds.push(message.id);
    this.marking ??= this.markShown();
  }

  /** Sends MarkRead for shown messages, one call at a time, batching what piles up meanwhile. */
  private async markShown(): Promise<void> {
    try {
      while (this.unmarkedIds.length > 0) {
        const ids = this.unmarkedIds.splice(0, markReadBatchIdsMax);
        try {
          await this.client.markRead(ids);
        } catch (error) {
          const { code, message } = error as ChatClientError;
          this.handlers.onNotice(`could not mark ${ids.map((id) => `#${id}`).join(" ")} read: ${code}: ${message}`);
        }
      }
    } finally {
      this.marking = null;
    }
  }

  private streamEnded(error?: ChatClientError): void {
    this.subscription = null;
    if (this.stopped) return;
    if (error?.code === "UNAUTHENTICATED") {
      // The session is over (logged out elsewhere, account deleted): resubscribing cannot succeed.
      this.handlers.onNotice(`live messages stopped: ${error.message}`);
      this.stopped = true;
      return;
    }
    if (Date.now() - this.openedAt >= resubscribeStableMs) this.failures = 0;
    this.failures += 1;
    const reason = error ? `${error.code}: ${error.message}` : "the replica closed the stream";
    if (this.failures > resubscribeAttemptsMax) {
      this.handlers.onNotice(`live messages stopped after ${resubscribeAttemptsMax} attempts (${reason}); use read`);
      this.stopped = true;
      return;
    }
    const delayMs = Math.min(resubscribeDelayBaseMs * 2 ** (this.failures - 1), resubscribeDelayMaxMs);
    this.handlers.onNotice(
      `live messages interrupted (${reason}); resubscribing after #${this.lastSeenId} in ${delayMs} ms ` +
        `(attempt ${this.failures} of ${resubscribeAttemptsMax})`,
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.open(this.lastSeenId);
    }, delayMs);
  }
}
