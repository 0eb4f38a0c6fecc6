/**
 * The page's state: the browser session as the gateway last told it, the
 * user's messages (store.ts), the unread count, the open conversation and
 * how far back history is loaded. Views subscribe to its changes.
 */
import type { SessionState, WireMessage } from "../protocol.ts";
import { call } from "./api.ts";
import { MessageStore } from "./store.ts";

/** Messages one history page brings (at most the service's messagePageSizeMax). */
export const historyPageSize = 50;

export class App {
  readonly store = new MessageStore();
  session: SessionState = { username: null, unreadCount: 0, live: { state: "off" }, replica: "" };
  /** The service's unread count as far as this page can tell: at login, then kept up with what arrives and is read. */
  unread = 0;
  openPartner: string | null = null;
  /** before_id of the next older history page; 0 when the oldest page has been loaded. */
  olderBeforeId = 0;
  historyLoaded = false;
  private loadingOlder: Promise<void> | null = null;
  private readonly sessionListeners = new Set<(previous: string | null) => void>();
  private readonly viewListeners = new Set<() => void>();

  constructor() {
    this.store.onChange(() => this.viewChanged());
  }

  onSession(listener: (previousUser: string | null) => void): void {
    this.sessionListeners.add(listener);
  }

  /** Unread count, open conversation, history cursor: anything views show besides the store. */
  onView(listener: () => void): void {
    this.viewListeners.add(listener);
  }

  /** The gateway's word on the session; a different user (or none) starts from an empty page. */
  applySession(session: SessionState): void {
    const previous = this.session.username;
    this.session = session;
    if (session.username !== previous) {
      this.store.me = session.username;
      this.unread = session.unreadCount;
      this.openPartner = null;
      this.olderBeforeId = 0;
      this.historyLoaded = false;
      this.store.clear();
    }
    for (const listener of this.sessionListeners) listener(previous);
    this.viewChanged();
  }

  /** A message that arrived live or was sent from this session (in any tab). */
  receive(message: WireMessage): void {
    const added = this.store.add([message]);
    if (added.some((each) => this.store.isUnreadForMe(each))) this.setUnread(this.unread + 1);
  }

  setUnread(count: number): void {
    this.unread = Math.max(0, count);
    this.viewChanged();
  }

  openConversation(partner: string): void {
    this.openPartner = partner;
    this.viewChanged();
  }

  /** The next older page of history into the store; the first call loads the newest page. */
  loadOlder(): Promise<void> {
    // Two callers at once (the first load, and a socket's hello) share one request.
    this.loadingOlder ??= this.fetchOlder().finally(() => (this.loadingOlder = null));
    return this.loadingOlder;
  }

  private async fetchOlder(): Promise<void> {
    if (this.historyLoaded && this.olderBeforeId === 0) return;
    const user = this.session.username;
    const reply = await call("history", { pageSize: historyPageSize, beforeId: this.olderBeforeId });
    if (this.session.username !== user) return;
    this.historyLoaded = true;
    this.olderBeforeId = reply.nextBeforeId;
    this.store.add(reply.messages);
    this.viewChanged();
  }

  /** The newest page of history again: messages that arrived while the page had no socket. */
  async refreshNewest(): Promise<void> {
    if (!this.historyLoaded) return this.loadOlder();
    const reply = await call("history", { pageSize: historyPageSize, beforeId: 0 });
    this.store.add(reply.messages);
  }

  get hasOlder(): boolean {
    return !this.historyLoaded || this.olderBeforeId !== 0;
  }

  viewChanged(): void {
    for (const listener of this.viewListeners) listener();
  }
}
