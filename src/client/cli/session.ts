/**
 * One user's session in the client: the library client, the live feed that
 * runs while logged in, and what `more` continues. Both front ends (the
 * terminal and JSON mode) drive a Session through the command table.
 */
import type { TlsMaterial } from "../../rpc/tls.ts";
import { ChatClient, type ChatMessage, type Resumption } from "../chat-client.ts";
import { leaderHeartbeatMs } from "./constants.ts";
import { LiveFeed, type LiveFeedHandlers } from "./live-feed.ts";

/** The listing `more` continues: the next page of the last `users` or `history`. */
export type Continuation = { listing: "users"; pattern: string; pageToken: string } | { listing: "history"; count: number; beforeId: number };

export interface SessionEvents {
  message(message: ChatMessage): void;
  notice(text: string): void;
  /** Live delivery is on: every new message from now on will arrive. */
  live?(): void;
  /** Live delivery is back after an interruption; the messages that arrived meanwhile follow. */
  resumed(resumption: Resumption): void;
}

export class Session {
  readonly client: ChatClient;
  continuation: Continuation | null = null;
  private feed: LiveFeed | null = null;
  private readonly feedHandlers: LiveFeedHandlers;

  /** `tls`: the CA to verify the replicas against; null: plain text. */
  constructor(addresses: string[], events: SessionEvents, tls: TlsMaterial | null = null) {
    this.client = new ChatClient({
      addresses,
      tls,
      heartbeatMs: leaderHeartbeatMs,
      onReplicaChange: (address) => events.notice(`now talking to the leader at ${address}`),
    });
    this.feedHandlers = {
      onMessage: (message) => events.message(message),
      onNotice: (text) => events.notice(text),
      onLive: () => events.live?.(),
      onResumed: (resumption) => events.resumed(resumption),
    };
  }

  get username(): string | null {
    return this.client.username;
  }

  /** Logging in again replaces the previous session's feed, so two streams never show the same user twice. */
  async login(username: string, password: string) {
    await this.stopFeed();
    const reply = await this.client.login(username, password);
    this.continuation = null;
    this.startFeed();
    return reply;
  }

  /**
   * Runs a call that ends the session (logout, delete-account). The feed
   * stops first: the server ends the stream as the session ends, and that
   * is not a failure to report. If the call fails the session goes on, and
   * so does the feed.
   */
  async endSession(end: () => Promise<void>): Promise<void> {
    await this.stopFeed();
    try {
      await end();
    } catch (error) {
      if (this.client.token) this.startFeed();
      throw error;
    }
    this.continuation = null;
  }

  /** Waits for shown messages to be marked read, so a following `read` does not repeat them. */
  async settled(): Promise<void> {
    await this.feed?.settled();
  }

  /** Stops live messages before the session ends, so its end is not reported as a failure. */
  async stopFeed(): Promise<void> {
    if (!this.feed) return;
    await this.feed.settled();
    this.feed.stop();
    this.feed = null;
  }

  private startFeed(): void {
    this.feed = new LiveFeed(this.client, this.feedHandlers);
    this.feed.start();
  }

  async close(): Promise<void> {
    await this.stopFeed();
    this.client.close();
  }
}
