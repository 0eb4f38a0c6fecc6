/**
 * One browser session at the gateway: its own client-library session
 * (ChatClient: its client id and write sequence, its session token, leader
 * discovery and retries), the live stream that runs while someone is logged
 * in (follow(), resumed through failovers), and the page's open sockets,
 * which get every live message. The token stays here; the browser holds
 * only the opaque id of this object, in an HttpOnly cookie.
 */
import { randomBytes } from "node:crypto";
import { ChatClient, type ChatMessage, type Subscription } from "../client/chat-client.ts";
import type { TlsMaterial } from "../rpc/tls.ts";
import { liveOpenWaitMs, sessionLeaderCheckMs } from "./constants.ts";
import type { LiveEvent, LiveState, SessionState, WireMessage } from "./protocol.ts";

/** What a session needs of a socket: Bun's ServerWebSocket, or a fake. */
export interface SessionSocket {
  send(data: string): unknown;
}

export class BrowserSession {
  readonly id = randomBytes(32).toString("base64url");
  readonly client: ChatClient;
  lastUsedMs = Date.now();
  private username: string | null = null;
  private unreadCount = 0;
  private live: LiveState = { state: "off" };
  private stream: Subscription | null = null;
  /** A logout or account deletion is under way: the service ending the stream is expected, not news. */
  private ending = false;
  private readonly sockets = new Set<SessionSocket>();

  /** `tls`: the CA to verify the replicas against; null: plain text. */
  constructor(addresses: string[], tls: TlsMaterial | null = null) {
    this.client = new ChatClient({
      addresses,
      tls,
      heartbeatMs: sessionLeaderCheckMs,
      // The page shows which replica its session talks to.
      onReplicaChange: () => this.broadcast({ type: "session", session: this.state() }),
    });
  }

  get loggedIn(): boolean {
    return this.username !== null;
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  state(): SessionState {
    return { username: this.username, unreadCount: this.unreadCount, live: this.live, replica: this.client.currentAddress };
  }

  /** Logs in (replacing whoever was logged in here) and answers once the live stream is registered, or after liveOpenWaitMs. */
  async login(username: string, password: string): Promise<SessionState> {
    const reply = await this.client.login(username, password);
    // Only now: a refused login leaves whoever was logged in here, and their stream, as they were.
    this.stopStream();
    this.username = reply.username;
    this.unreadCount = Number(reply.unreadCount);
    await this.startStream();
    return this.state();
  }

  /**
   * Ends the session with `end` (logout, delete-account). The stream runs
   * on until the call succeeds, so a refused call (a wrong password) misses
   * no live message; meanwhile the service ending the stream is expected.
   */
  async end(end: (client: ChatClient) => Promise<void>): Promise<SessionState> {
    this.ending = true;
    try {
      await end(this.client);
    } finally {
      this.ending = false;
    }
    this.stopStream();
    this.forget({ state: "off" });
    return this.state();
  }

  async send(recipient: string, text: string): Promise<WireMessage> {
    const reply = await this.client.sendMessage(recipient, text);
    const message: WireMessage = { id: Number(reply.id), sender: this.username ?? "", recipient, text, sentAtMs: Number(reply.sentAtMs), read: false };
    this.deliver(message);
    return message;
  }

  attach(socket: SessionSocket): void {
    this.sockets.add(socket);
    this.lastUsedMs = Date.now();
  }

  detach(socket: SessionSocket): void {
    this.sockets.delete(socket);
    this.lastUsedMs = Date.now();
  }

  /** Stops the stream and closes the client's channels; logs out first when `logout` (best effort). */
  async close(logout: boolean): Promise<void> {
    this.stopStream();
    if (logout && this.loggedIn) await this.client.logout().catch(() => {});
    this.client.close();
  }

  private startStream(): Promise<void> {
    const opened = Promise.withResolvers<void>();
    this.setLive({ state: "connecting" });
    this.stream = this.client.follow(0, {
      onMessage: (message) => this.deliver(toWire(message)),
      onOpen: () => {
        if (this.live.state !== "live") this.setLive({ state: "live" });
        opened.resolve();
      },
      onInterrupted: () => this.setLive({ state: "interrupted", sinceMs: Date.now() }),
      onResumed: ({ missedCount, downMs }) => this.setLive({ state: "live", resumed: { missedCount, downMs } }),
      onEnd: () => this.streamEnded(),
    });
    const timer = setTimeout(opened.resolve, liveOpenWaitMs);
    return opened.promise.finally(() => clearTimeout(timer));
  }

  private stopStream(): void {
    this.stream?.cancel();
    this.stream = null;
  }

  /** The service ended the stream: the session is over (logged out or deleted elsewhere). */
  private streamEnded(): void {
    this.stream = null;
    if (this.ending) return;
    this.forget({ state: "ended", reason: "Your session ended: it was logged out, or the account was deleted, elsewhere. Please log in again." });
  }

  private forget(live: LiveState): void {
    this.username = null;
    this.unreadCount = 0;
    this.live = live;
    this.broadcast({ type: "session", session: this.state() });
  }

  private setLive(live: LiveState): void {
    this.live = live;
    this.broadcast({ type: "session", session: this.state() });
  }

  private deliver(message: WireMessage): void {
    this.broadcast({ type: "message", message });
  }

  private broadcast(event: LiveEvent): void {
    const data = JSON.stringify(event);
    for (const socket of this.sockets) socket.send(data);
  }
}

export function toWire(message: ChatMessage): WireMessage {
  return {
    id: Number(message.id),
    sender: message.sender,
    recipient: message.recipient,
    text: message.text,
    sentAtMs: Number(message.sentAtMs),
    read: message.read,
  };
}
