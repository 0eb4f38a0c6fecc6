// Simulated live subscribers: a user's messages followed with the client
// library's follow() (src/client/chat-client.ts), on the user's own client,
// as the terminal client follows a logged-in session. The library resumes
// the stream after a step-down or a crash, from the last id it delivered
// or the position its first stream reported, and never gives up. Every
// stream opened (the after_id it asked for on the wire, the position the
// replica answered) and every message follow() delivers go into the
// history, where the checker looks for gaps and duplicates.

import type { ChatClient, Subscription } from "../../../client/chat-client.ts";
import type { ClientWorld } from "./clients.ts";
import type { SimChatTransport } from "./client-transport.ts";

export class SimFollower {
  private subscription: Subscription | null = null;
  /** follow() calls so far: each is a process of its own in the history (its first stream sets where it starts). */
  private follows = 0;

  constructor(
    readonly user: string,
    private readonly client: ChatClient,
    private readonly transport: SimChatTransport,
    private readonly world: Pick<ClientWorld, "record">,
  ) {}

  /** Follows the session that just logged in (a previous session's follow stops first, as in src/client/cli/session.ts). */
  start(): void {
    this.subscription?.cancel();
    this.follows += 1;
    const process = this.follows === 1 ? `follow-${this.user}` : `follow-${this.user}-${this.follows}`;
    const user = this.user;
    this.transport.onStreamStart = (afterId, { position }) => this.world.record({ type: "subscribe", process, user, afterId, position });
    this.subscription = this.client.follow(0, {
      onMessage: ({ id, sender, recipient, text }) => this.world.record({ type: "deliver", process, user, message: { id, sender, recipient, text } }),
      onEnd: () => {
        this.subscription = null;
      },
    });
  }
}
