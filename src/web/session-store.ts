/**
 * The gateway's browser sessions, by the opaque id in their cookie: at most
 * sessionsMax at once; one left with no socket and no request for
 * sessionIdleMs is logged out and forgotten.
 */
import type { TlsMaterial } from "../rpc/tls.ts";
import { BrowserSession } from "./browser-session.ts";
import { sessionIdleMs, sessionSweepMs, sessionsMax } from "./constants.ts";

export class SessionStore {
  private readonly sessions = new Map<string, BrowserSession>();
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(
    private readonly addresses: string[],
    private readonly tls: TlsMaterial | null = null,
  ) {
    this.sweeper = setInterval(() => void this.sweep(Date.now()), sessionSweepMs);
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The session with this id, marked as used now; undefined for an unknown (expired, or another gateway's) id. */
  get(id: string | null): BrowserSession | undefined {
    const session = id ? this.sessions.get(id) : undefined;
    if (session) session.lastUsedMs = Date.now();
    return session;
  }

  /** A new session, or null when the gateway holds sessionsMax already (after forgetting idle ones). */
  async create(): Promise<BrowserSession | null> {
    if (this.sessions.size >= sessionsMax) await this.sweep(Date.now());
    if (this.sessions.size >= sessionsMax) return null;
    const session = new BrowserSession(this.addresses, this.tls);
    this.sessions.set(session.id, session);
    return session;
  }

  /** Logs out and forgets sessions idle since before `now - sessionIdleMs`. */
  async sweep(now: number): Promise<void> {
    const idle = [...this.sessions.values()].filter((session) => session.socketCount === 0 && now - session.lastUsedMs > sessionIdleMs);
    for (const session of idle) this.sessions.delete(session.id);
    await Promise.all(idle.map((session) => session.close(true)));
  }

  /** Logs every session out (best effort) and closes its client. */
  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((session) => session.close(true)));
  }
}
