/**
 * The apply loop: turns committed log entries into chat tables. Each batch
 * and the applied index commit in one synchronous transaction; events for
 * live subscribers are emitted only after that commit, and a throwing
 * listener never stops the others.
 */
import type { Database } from "bun:sqlite";
import mitt, { type Emitter } from "mitt";
import { CorruptLogError } from "../log/entry.ts";
import type { Entry } from "../log/raft/types.ts";
import { parseMembership, type Membership } from "../log/membership.ts";
import { clientResultIdleEntriesMin, clientResultWindowMax } from "../limits.ts";
import { accepted, type ChatOperation, type OperationEnvelope, type OperationOf, type OperationResult } from "./operations.ts";
import { ChatQueries, type MessageRow } from "./queries.ts";
import { checkClientSeq, checkOperation, checkSameRequest } from "./rules.ts";

/**
 * A client's results are forgotten only once its newest one is this much
 * leader time old (as well as `clientResultIdleEntriesMin` log entries behind).
 */
export const clientResultRetentionMs = 24 * 60 * 60 * 1000;
/** Forgetting idle clients' results and ending idle sessions runs once per this many log indexes. */
export const forgetIdleEveryEntries = 1024;

export type ProjectionEvents = {
  message: MessageRow;
  /** A session ended: logout, or its account was deleted. */
  sessionEnded: { tokenHash: string | null; username: string };
};

/** The answer to one applied entry; `duplicate` when a retry hit a stored result. */
export interface AppliedResult {
  index: number;
  result: OperationResult | null;
}

export class Projections {
  readonly queries: ChatQueries;
  private readonly emitter: Emitter<ProjectionEvents> = mitt<ProjectionEvents>();
  private readonly statements: ReturnType<typeof prepareWrites>;
  private pendingEvents: (() => void)[] = [];

  /**
   * `forgetIdleEvery`: how often idle clients' results and sessions are forgotten. Part
   * of the replicated state machine, so the same on every replica and in
   * every rebuild; the whole-replica simulation lowers it so its short runs
   * prune at all.
   */
  constructor(
    private readonly db: Database,
    private readonly forgetIdleEvery = forgetIdleEveryEntries,
  ) {
    this.queries = new ChatQueries(db);
    this.statements = prepareWrites(db);
  }

  appliedIndex(): number {
    return this.queries.appliedIndex();
  }

  appliedMembershipIncludes(id: number): boolean {
    return this.db.query("SELECT 1 FROM cluster_members WHERE id = ?").get(id) !== null;
  }

  /** Subscribes a listener that cannot break the others by throwing. */
  on<K extends keyof ProjectionEvents>(type: K, listener: (event: ProjectionEvents[K]) => void): () => void {
    const guarded = (event: ProjectionEvents[K]) => {
      try {
        listener(event);
      } catch (error) {
        console.error(`projection listener for "${String(type)}" threw:`, error);
      }
    };
    this.emitter.on(type, guarded);
    return () => this.emitter.off(type, guarded);
  }

  /** Applies entries that follow the applied index; returns one result per entry. */
  apply(entries: readonly Entry[]): AppliedResult[] {
    if (entries.length === 0) return [];
    let results: AppliedResult[];
    try {
      results = this.applyTransaction(entries);
    } catch (error) {
      this.pendingEvents = []; // rolled back: none of it happened
      throw error;
    }
    const events = this.pendingEvents;
    this.pendingEvents = [];
    for (const emit of events) emit();
    return results;
  }

  private applyTransaction(entries: readonly Entry[]): AppliedResult[] {
    return this.db
      .transaction(() => {
        let expected = this.appliedIndex() + 1;
        const applied = entries.map((entry) => {
          if (entry.index !== expected) throw new Error(`apply out of order: entry ${entry.index}, expected ${expected}`);
          expected += 1;
          return this.applyEntry(entry);
        });
        this.statements.setApplied.run(expected - 1);
        return applied;
      })
      .immediate(); // the write lock up front: a reader in another process is waited for
  }

  private applyEntry(entry: Entry): AppliedResult {
    if (entry.index % this.forgetIdleEvery === 0) this.forgetIdle(entry);
    if (entry.type === "config") {
      this.replaceMembers(entry);
      return { index: entry.index, result: null };
    }
    if (entry.type !== "command") return { index: entry.index, result: null };
    const envelope = decodeEnvelope(entry);
    return { index: entry.index, result: this.applyOnce(envelope, entry.index) };
  }

  /**
   * Exactly-once: a (client id, seq) seen before returns its first result,
   * if the entry repeats the same request (two attempts of one write can
   * both be appended, racing past the leader's lookup); another request
   * with that pair is refused and changes nothing.
   */
  private applyOnce(envelope: OperationEnvelope, index: number): OperationResult {
    const { clientId, seq } = envelope;
    if (clientId === undefined || seq === undefined) return this.applyOperation(envelope.op, index, envelope.atMs);
    const binding = envelope.binding ?? "";
    // A seq above the newest stored one has no result stored: most writes are new, and skip that lookup.
    const window = this.queries.clientWindow(clientId);
    const stored = seq <= window.newestSeq ? this.queries.clientResult(clientId, seq) : null;
    if (stored) return checkSameRequest(stored.binding, binding, seq) ?? stored.result;
    const outsideWindow = checkClientSeq(window, seq);
    if (outsideWindow) return outsideWindow;
    const result = this.applyOperation(envelope.op, index, envelope.atMs);
    this.statements.insertResult.run(clientId, seq, JSON.stringify(result), binding, envelope.atMs, index);
    this.keepWindow(clientId);
    return result;
  }

  /**
   * Keeps a client's results of its clientResultWindowMax highest seqs, and
   * records the highest seq forgotten (see clientWindows in schema.ts). By
   * count, not by distance from the newest seq: a result stored far ahead
   * (by someone who learned the client id) would otherwise push the
   * client's own seqs out of the window.
   */
  private keepWindow(clientId: string): void {
    const s = this.statements;
    const beyond = s.selectBeyondWindow.get(clientId, clientResultWindowMax)?.seq;
    if (beyond === undefined) return;
    s.forgetThrough.run(clientId, beyond);
    s.setForgottenThrough.run(clientId, beyond);
  }

  private applyOperation(op: ChatOperation, index: number, atMs: number): OperationResult {
    const rejection = checkOperation(this.queries, op, atMs);
    if (rejection) return rejection;
    const s = this.statements;
    // An accepted use keeps its session alive (sessions.lastUsedAtMs in schema.ts).
    if (op.type !== "CreateAccount" && op.type !== "Login") s.touchSession.run(atMs, op.tokenHash);
    switch (op.type) {
      case "CreateAccount":
        s.insertAccount.run(op.username, op.passwordHash, atMs, index);
        return accepted(op.type, { username: op.username });
      case "Login":
        s.insertSession.run(op.tokenHash, op.username, atMs, atMs, op.sessionIdleMs ?? 0);
        return accepted(op.type, { username: op.username, unread: this.queries.unreadCount(op.username), nonce: op.sessionNonce });
      case "Logout":
        s.deleteSession.run(op.tokenHash);
        this.later("sessionEnded", { tokenHash: op.tokenHash, username: op.username });
        return accepted(op.type, {});
      case "SendMessage":
        return this.sendMessage(op, index, atMs);
      case "MarkRead":
        return accepted(op.type, { marked: this.markRead(op.ids), ids: op.ids });
      case "ReadNew": {
        const ids = this.queries.oldestUnread(op.username, op.count).map((message) => message.id);
        this.markRead(ids);
        return accepted(op.type, { ids, unreadRemaining: this.queries.unreadCount(op.username) });
      }
      case "DeleteMessages":
        return accepted(op.type, { deleted: this.deleteMessages(op.ids) });
      case "DeleteAccount":
        return this.deleteAccount(op.username);
    }
  }

  private sendMessage(op: OperationOf<"SendMessage">, index: number, atMs: number): OperationResult<"SendMessage"> {
    this.statements.insertMessage.run(index, op.username, op.recipient, op.text, atMs);
    this.statements.countUnread.run(op.recipient);
    const message: MessageRow = {
      id: index,
      sender: op.username,
      recipient: op.recipient,
      text: op.text,
      sentAtMs: atMs,
      read: false,
    };
    this.later("message", message);
    return accepted(op.type, { id: index, sentAtMs: atMs });
  }

  /** Deletes the account, its sessions, messages to it, and its unread messages to others. */
  private deleteAccount(username: string): OperationResult<"DeleteAccount"> {
    const s = this.statements;
    s.deleteSessionsOf.run(username);
    s.deleteMessagesTo.run(username);
    s.forgetUnread.run(username);
    this.uncountUnread(s.deleteUnreadFrom.all(username).map((row) => row.recipient));
    s.deleteAccount.run(username);
    this.later("sessionEnded", { tokenHash: null, username });
    return accepted("DeleteAccount", {});
  }

  /** A config entry holds the whole membership: the table becomes it. */
  private replaceMembers(entry: Entry): void {
    let membership: Membership;
    try {
      membership = parseMembership(entry.data);
    } catch {
      throw new CorruptLogError(entry.index, "config entry is not a membership");
    }
    this.statements.deleteMembers.run();
    for (const voter of membership.voters) this.statements.insertMember.run(voter.id, voter.address, "voter");
    for (const learner of membership.learners) this.statements.insertMember.run(learner.id, learner.address, "learner");
  }

  /** Marks the unread ones of `ids` read; how many it marked. */
  private markRead(ids: readonly number[]): number {
    const recipients = [...new Set(ids)].flatMap((id) => this.statements.markRead.all(id).map((row) => row.recipient));
    this.uncountUnread(recipients);
    return recipients.length;
  }

  /** Deletes the messages of `ids` that exist; how many it deleted. */
  private deleteMessages(ids: readonly number[]): number {
    const deleted = [...new Set(ids)].flatMap((id) => this.statements.deleteMessage.all(id));
    this.uncountUnread(deleted.filter((row) => !row.read).map((row) => row.recipient));
    return deleted.length;
  }

  /**
   * One unread message less for each name in `recipients` (a name once per
   * message), one update per user; no row is left at zero (see unreadCounts
   * in schema.ts).
   */
  private uncountUnread(recipients: readonly string[]): void {
    const counts = new Map<string, number>();
    for (const username of recipients) counts.set(username, (counts.get(username) ?? 0) + 1);
    for (const [username, count] of counts) {
      this.statements.uncountUnread.run(count, username);
      this.statements.dropZeroUnread.run(username);
    }
  }

  /** What the log's leader time and position say is idle, judged at one entry alike on every replica. */
  private forgetIdle(entry: Entry): void {
    if (entry.type !== "command") return;
    const { atMs } = decodeEnvelope(entry);
    this.forgetIdleClients(entry.index, atMs);
    this.endIdleSessions(atMs);
  }

  /**
   * Forgets every result of the clients idle both by leader time and by log
   * position. Leader time alone is not enough: it is the proposing leader's
   * clock, and one that jumps a day ahead would erase every client's results,
   * so a retry in flight would run twice. Log position alone would tie how
   * long results are kept to the write rate, which could be minutes on a busy
   * cluster. Both are read from the log, so every replica, and every replay,
   * forgets the same results. A client is judged as a whole: the older
   * results of a client that still writes stay until its window pushes them out.
   */
  private forgetIdleClients(index: number, atMs: number): void {
    this.statements.forgetIdleClients.run(index - clientResultIdleEntriesMin, atMs - clientResultRetentionMs);
    // A forgotten client starts afresh: what it forgot goes too.
    this.statements.forgetWindowsWithoutResults.run();
  }

  /**
   * Removes the sessions unused for longer than their idle time (the rule of
   * sessionIdle in rules.ts, which refuses them meanwhile), and ends their
   * live streams.
   */
  private endIdleSessions(atMs: number): void {
    for (const { tokenHash, username } of this.statements.selectIdleSessions.all(atMs)) {
      this.statements.deleteSession.run(tokenHash);
      this.later("sessionEnded", { tokenHash, username });
    }
  }

  private later<K extends keyof ProjectionEvents>(type: K, event: ProjectionEvents[K]): void {
    this.pendingEvents.push(() => this.emitter.emit(type, event));
  }
}

function decodeEnvelope(entry: Entry): OperationEnvelope {
  let envelope: OperationEnvelope;
  try {
    envelope = JSON.parse(entry.data) as OperationEnvelope;
  } catch {
    throw new CorruptLogError(entry.index, "payload is not JSON");
  }
  if (typeof envelope?.atMs !== "number" || typeof envelope.op?.type !== "string") {
    throw new CorruptLogError(entry.index, "payload is not an operation");
  }
  return envelope;
}

function prepareWrites(db: Database) {
  return {
    setApplied: db.prepare(
      "INSERT INTO applied_state (id, applied_index) VALUES (1, ?) " + "ON CONFLICT(id) DO UPDATE SET applied_index = excluded.applied_index",
    ),
    insertAccount: db.prepare("INSERT INTO accounts (username, password_hash, created_at_ms, created_index) VALUES (?, ?, ?, ?)"),
    deleteAccount: db.prepare("DELETE FROM accounts WHERE username = ?"),
    insertSession: db.prepare("INSERT INTO sessions (token_hash, username, created_at_ms, last_used_at_ms, idle_ms) VALUES (?, ?, ?, ?, ?)"),
    // Never back in time (a later leader's clock may be behind); a session without an idle time is left as it was.
    touchSession: db.prepare("UPDATE sessions SET last_used_at_ms = MAX(last_used_at_ms, ?1) WHERE token_hash = ?2 AND idle_ms > 0"),
    selectIdleSessions: db.prepare<{ tokenHash: string; username: string }, [number]>(
      "SELECT token_hash AS tokenHash, username FROM sessions WHERE idle_ms > 0 AND ?1 - last_used_at_ms > idle_ms ORDER BY token_hash",
    ),
    deleteSession: db.prepare("DELETE FROM sessions WHERE token_hash = ?"),
    deleteSessionsOf: db.prepare("DELETE FROM sessions WHERE username = ?"),
    insertMessage: db.prepare("INSERT INTO messages (id, sender, recipient, text, sent_at_ms, read) VALUES (?, ?, ?, ?, ?, 0)"),
    markRead: db.prepare<{ recipient: string }, [number]>("UPDATE messages SET read = 1 WHERE id = ? AND read = 0 RETURNING recipient"),
    deleteMessage: db.prepare<{ recipient: string; read: number }, [number]>("DELETE FROM messages WHERE id = ? RETURNING recipient, read"),
    deleteMessagesTo: db.prepare("DELETE FROM messages WHERE recipient = ?"),
    deleteUnreadFrom: db.prepare<{ recipient: string }, [string]>("DELETE FROM messages WHERE sender = ? AND read = 0 RETURNING recipient"),
    countUnread: db.prepare("INSERT INTO unread_counts (username, unread) VALUES (?, 1) ON CONFLICT(username) DO UPDATE SET unread = unread + 1"),
    uncountUnread: db.prepare("UPDATE unread_counts SET unread = unread - ? WHERE username = ?"),
    dropZeroUnread: db.prepare("DELETE FROM unread_counts WHERE username = ? AND unread <= 0"),
    forgetUnread: db.prepare("DELETE FROM unread_counts WHERE username = ?"),
    insertResult: db.prepare("INSERT INTO client_results (client_id, seq, result, binding, at_ms, log_index) VALUES (?, ?, ?, ?, ?, ?)"),
    // The seq just below the window: the (window + 1)-th highest.
    selectBeyondWindow: db.prepare<{ seq: number }, [string, number]>("SELECT seq FROM client_results WHERE client_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?"),
    forgetThrough: db.prepare("DELETE FROM client_results WHERE client_id = ? AND seq <= ?"),
    setForgottenThrough: db.prepare(
      "INSERT INTO client_windows (client_id, forgotten_through_seq) VALUES (?, ?) " +
        "ON CONFLICT(client_id) DO UPDATE SET forgotten_through_seq = excluded.forgotten_through_seq",
    ),
    forgetWindowsWithoutResults: db.prepare("DELETE FROM client_windows WHERE client_id NOT IN (SELECT client_id FROM client_results)"),
    // ?1 is the oldest log index, ?2 the oldest leader time, that still counts as active.
    forgetIdleClients: db.prepare(
      "DELETE FROM client_results WHERE client_id IN (" +
        "SELECT idle.client_id FROM client_results AS idle WHERE idle.log_index < ?1 AND idle.at_ms < ?2 " +
        "AND NOT EXISTS (SELECT 1 FROM client_results AS active WHERE active.client_id = idle.client_id " +
        "AND (active.log_index >= ?1 OR active.at_ms >= ?2)))",
    ),
    deleteMembers: db.prepare("DELETE FROM cluster_members"),
    insertMember: db.prepare("INSERT INTO cluster_members (id, address, role) VALUES (?, ?, ?)"),
  };
}
