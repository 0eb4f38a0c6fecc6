/**
 * The live feed of a logged-in session: the library's follow() stream
 * showing new messages as they arrive, each marked read once shown (so
 * `read` does not return it again). follow() resumes the stream through
 * failovers and outages, from where it left off, for as long as it takes;
 * the feed tells the user once when the stream breaks and once when it is
 * back.
 */
import type { ChatClient, ChatClientError, ChatMessage, Resumption, Subscription } from "../chat-client.ts";
import { failureSentence, interruptionReason } from "../failure-text.ts";
import { markReadBatchIdsMax } from "./constants.ts";

export interface LiveFeedHandlers {
  onMessage(message: ChatMessage): void;
  /** The replica registered the stream: from now on no new message is missed. */
  onLive?(): void;
  /** The stream works again after an interruption; the messages that arrived meanwhile follow. */
  onResumed(resumption: Resumption): void;
  /** One line for the user: the stream broke, or stopped for good. */
  onNotice(text: string): void;
}

/** What the feed needs of the client library (a fake in unit tests). */
export type FeedClient = Pick<ChatClient, "follow" | "markRead">;

export class LiveFeed {
  private stopped = false;
  private subscription: Subscription | null = null;
  private readonly unmarkedIds: number[] = [];
  private marking: Promise<void> | null = null;

  constructor(
    private readonly client: FeedClient,
    private readonly handlers: LiveFeedHandlers,
  ) {}

  /** From the stream's registration on; older unread messages are fetched with `read`. */
  start(): void {
    this.subscription = this.client.follow(0, {
      onMessage: (message) => this.receive(message),
      onOpen: () => this.handlers.onLive?.(),
      onInterrupted: (error) =>
        this.handlers.onNotice(`live messages interrupted (${interruptionReason(error)}); waiting for the cluster, they arrive once a leader answers`),
      onResumed: (resumption) => this.handlers.onResumed(resumption),
      onEnd: (error) => this.ended(error),
    });
  }

  stop(): void {
    this.stopped = true;
    this.subscription?.cancel();
    this.subscription = null;
  }

  /** Resolves once every message shown so far is marked read (or failed to be). */
  async settled(): Promise<void> {
    while (this.marking) await this.marking;
  }

  private receive(message: ChatMessage): void {
    if (this.stopped) return;
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
          const why = failureSentence(error, { isWrite: true, howToCheck: "`read` shows whether it did" }) ?? String(error);
          this.handlers.onNotice(`could not mark ${ids.map((id) => `#${id}`).join(" ")} read: ${why}`);
        }
      }
    } finally {
      this.marking = null;
    }
  }

  /** follow() ends only when resubscribing cannot succeed (the session is over). */
  private ended(error: ChatClientError): void {
    this.subscription = null;
    if (this.stopped) return;
    this.stopped = true;
    this.handlers.onNotice(`live messages stopped: ${error.message}`);
  }
}

/** The one line a person sees when live messages are back. */
export function resumedText({ missedCount, downMs }: Resumption): string {
  const arrived = missedCount === 1 ? "1 message arrived" : `${missedCount} messages arrived`;
  return `live messages are back after ${(downMs / 1000).toFixed(1)} s; ${arrived} meanwhile`;
}
