/**
 * Read queries over the chat tables, as prepared statements (they run on
 * every request). The rules and the apply loop read state through these.
 */
import type { Database, Statement } from "bun:sqlite";
import type { OperationResult } from "./operations.ts";

export interface AccountRow {
  username: string;
  passwordHash: string;
  createdIndex: number;
}

export interface MessageRow {
  id: number;
  sender: string;
  recipient: string;
  text: string;
  sentAtMs: number;
  read: boolean;
}

/** A client's stored result, what it answers (see checkSameRequest in rules.ts), and the log index of its write. */
export interface StoredResult {
  result: OperationResult;
  binding: string;
  logIndex: number;
}

interface RawMessageRow extends Omit<MessageRow, "read"> {
  read: number;
}

const messageColumns = "id, sender, recipient, text, sent_at_ms AS sentAtMs, read";

function toMessage(row: RawMessageRow): MessageRow {
  return { ...row, read: row.read === 1 };
}

export interface SessionRow {
  username: string;
  /** Leader time of its latest accepted use. */
  lastUsedAtMs: number;
  /** How long it may go unused; 0: no limit in the apply loop (a Login written before sessions expired). */
  idleMs: number;
}

/** The state the chat rules consult. */
export interface ChatState {
  account(username: string): AccountRow | null;
  session(tokenHash: string): SessionRow | null;
  message(id: number): MessageRow | null;
  clientWindow(clientId: string): ClientWindow;
}

/** What the exactly-once store holds of one client (see clientWindows in schema.ts). */
export interface ClientWindow {
  /** The highest seq with a stored result; 0 when none is stored. */
  newestSeq: number;
  /** The highest seq whose result was forgotten to keep the window; 0 when none was. */
  forgottenThroughSeq: number;
}

export class ChatQueries implements ChatState {
  private readonly accountStatement: Statement<AccountRow, [string]>;
  private readonly sessionStatement: Statement<SessionRow, [string]>;
  private readonly messageStatement: Statement<RawMessageRow, [number]>;
  private readonly unreadCountStatement: Statement<{ count: number }, [string]>;
  private readonly oldestUnreadStatement: Statement<RawMessageRow, [string, number]>;
  private readonly historyStatement: Statement<RawMessageRow, [number, string, number, number]>;
  private readonly afterStatement: Statement<RawMessageRow, [string, number, number]>;
  private readonly countBetweenStatement: Statement<{ count: number }, [string, number, number]>;
  private readonly accountsStatement: Statement<{ username: string }, [string, string, number]>;
  private readonly appliedStatement: Statement<{ appliedIndex: number }, []>;
  private readonly clientResultStatement: Statement<{ result: string; binding: string; logIndex: number }, [string, number]>;
  private readonly clientWindowStatement: Statement<ClientWindow, [string]>;

  constructor(db: Database) {
    this.accountStatement = db.prepare("SELECT username, password_hash AS passwordHash, created_index AS createdIndex FROM accounts WHERE username = ?");
    this.sessionStatement = db.prepare("SELECT username, last_used_at_ms AS lastUsedAtMs, idle_ms AS idleMs FROM sessions WHERE token_hash = ?");
    this.messageStatement = db.prepare(`SELECT ${messageColumns} FROM messages WHERE id = ?`);
    this.unreadCountStatement = db.prepare("SELECT unread AS count FROM unread_counts WHERE username = ?");
    this.oldestUnreadStatement = db.prepare(`SELECT ${messageColumns} FROM messages WHERE recipient = ? AND read = 0 ORDER BY id LIMIT ?`);
    // A user's history: what they received, and what they sent since their
    // account was created (not what a deleted namesake sent).
    // Two index ranges read newest first, a page each at most, then merged: one query with OR
    // gathered and sorted every message of the user (a page took 120 ms at 100,000 messages).
    // UNION drops the second copy of a message a user sent themselves.
    this.historyStatement = db.prepare(
      `SELECT * FROM (SELECT ${messageColumns} FROM messages WHERE recipient = ?2 AND id < ?1 ORDER BY id DESC LIMIT ?4) ` +
        `UNION SELECT * FROM (SELECT ${messageColumns} FROM messages WHERE sender = ?2 AND id > ?3 AND id < ?1 ORDER BY id DESC LIMIT ?4) ` +
        "ORDER BY id DESC LIMIT ?4",
    );
    this.afterStatement = db.prepare(`SELECT ${messageColumns} FROM messages WHERE recipient = ? AND id > ? ORDER BY id LIMIT ?`);
    this.countBetweenStatement = db.prepare("SELECT COUNT(*) AS count FROM messages WHERE recipient = ? AND id > ? AND id <= ?");
    this.accountsStatement = db.prepare("SELECT username FROM accounts WHERE username GLOB ? AND username > ? ORDER BY username LIMIT ?");
    this.appliedStatement = db.prepare("SELECT applied_index AS appliedIndex FROM applied_state WHERE id = 1");
    this.clientResultStatement = db.prepare("SELECT result, binding, log_index AS logIndex FROM client_results WHERE client_id = ? AND seq = ?");
    this.clientWindowStatement = db.prepare(
      "SELECT IFNULL((SELECT MAX(seq) FROM client_results WHERE client_id = ?1), 0) AS newestSeq, " +
        "IFNULL((SELECT forgotten_through_seq FROM client_windows WHERE client_id = ?1), 0) AS forgottenThroughSeq",
    );
  }

  account(username: string): AccountRow | null {
    return this.accountStatement.get(username);
  }

  session(tokenHash: string): SessionRow | null {
    return this.sessionStatement.get(tokenHash);
  }

  message(id: number): MessageRow | null {
    const row = this.messageStatement.get(id);
    return row ? toMessage(row) : null;
  }

  unreadCount(username: string): number {
    return this.unreadCountStatement.get(username)?.count ?? 0;
  }

  oldestUnread(username: string, limit: number): MessageRow[] {
    return this.oldestUnreadStatement.all(username, limit).map(toMessage);
  }

  /** Newest first, ids below `beforeId`. */
  history(username: string, accountIndex: number, beforeId: number, limit: number): MessageRow[] {
    return this.historyStatement.all(beforeId, username, accountIndex, limit).map(toMessage);
  }

  /** Messages to `username` with an id above `afterId`, oldest first. */
  messagesAfter(username: string, afterId: number, limit: number): MessageRow[] {
    return this.afterStatement.all(username, afterId, limit).map(toMessage);
  }

  /** How many messages to `username` have an id above `afterId` and at most `throughId`. */
  messageCountBetween(username: string, afterId: number, throughId: number): number {
    return this.countBetweenStatement.get(username, afterId, throughId)!.count;
  }

  /** Usernames matching a GLOB pattern, in order, after `afterUsername`. */
  accounts(globPattern: string, afterUsername: string, limit: number): string[] {
    return this.accountsStatement.all(globPattern, afterUsername, limit).map((row) => row.username);
  }

  /** The first result of a client's write (stored as JSON), if it was applied. */
  clientResult(clientId: string, seq: number): StoredResult | null {
    const row = this.clientResultStatement.get(clientId, seq);
    return row ? { result: JSON.parse(row.result) as OperationResult, binding: row.binding, logIndex: row.logIndex } : null;
  }

  clientWindow(clientId: string): ClientWindow {
    return this.clientWindowStatement.get(clientId)!;
  }

  appliedIndex(): number {
    return this.appliedStatement.get()?.appliedIndex ?? 0;
  }
}
