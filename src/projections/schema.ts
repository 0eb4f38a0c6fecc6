/**
 * Chat tables: projections of the operation log. Every row here is a pure
 * function of the log prefix applied so far (no clock, no randomness), so
 * replaying the log from empty rebuilds them exactly.
 * Kept free of `bun:*` imports: drizzle-kit reads it under Node.
 */
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const accounts = sqliteTable("accounts", {
  username: text("username").primaryKey(),
  /** argon2id hash, computed by the leader before the operation entered the log. */
  passwordHash: text("password_hash").notNull(),
  createdAtMs: integer("created_at_ms").notNull(),
  /** Log index that created the account: tells its messages from a deleted namesake's. */
  createdIndex: integer("created_index").notNull(),
});

export const sessions = sqliteTable(
  "sessions",
  {
    /** SHA-256 of the session token, hex; the token itself is never stored. */
    tokenHash: text("token_hash").primaryKey(),
    username: text("username").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
    /** Leader time of the session's latest accepted use (its Login, then each write through it). */
    lastUsedAtMs: integer("last_used_at_ms").notNull().default(0),
    /**
     * How long it may go unused, as the leader stamped it into the Login.
     * 0 for a session whose Login entry was written before sessions expired:
     * the apply loop keeps treating it as it did then (no idle limit, never
     * touched), so every replica holds the same row however late it applies
     * that entry, and the leader refuses it (src/service/chat-service.ts).
     */
    idleMs: integer("idle_ms").notNull().default(0),
  },
  (table) => [index("sessions_by_username").on(table.username)],
);

export const messages = sqliteTable(
  "messages",
  {
    /** The log index of the SendMessage entry: identical on every replica. */
    id: integer("id").primaryKey(),
    sender: text("sender").notNull(),
    recipient: text("recipient").notNull(),
    text: text("text").notNull(),
    sentAtMs: integer("sent_at_ms").notNull(),
    read: integer("read", { mode: "boolean" }).notNull(),
  },
  // by_recipient serves the unread queries (recipient, read = 0, oldest first); by_recipient_id a
  // user's history newest first, which must not read every message the user ever got to find a page.
  (table) => [
    index("messages_by_recipient").on(table.recipient, table.read, table.id),
    index("messages_by_recipient_id").on(table.recipient, table.id),
    index("messages_by_sender").on(table.sender, table.id),
  ],
);

/** Answers already given, per (client id, seq), for exactly-once retries. */
export const clientResults = sqliteTable(
  "client_results",
  {
    clientId: text("client_id").notNull(),
    seq: integer("seq").notNull(),
    /** JSON of the operation's result. */
    result: text("result").notNull(),
    /**
     * What the result answers: a digest of the operation's kind, the
     * request's fields and the caller's identity (src/service/request-binding.ts).
     * A retry gets the result only if its own binding is the same. Results
     * stored before this column existed read "", as do the envelopes of
     * their entries, so a rebuild from the log matches them alike; no
     * request the service binds today reads "".
     */
    binding: text("binding").notNull().default(""),
    /** Leader timestamp of the write: one of the two measures of a client's idleness. */
    atMs: integer("at_ms").notNull(),
    /**
     * Log index of the write: the other measure, which no clock can move.
     * Results stored before this column existed read 0, so they still age
     * by leader time alone, as all results did before it.
     */
    logIndex: integer("log_index").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.clientId, table.seq] }), index("client_results_by_index").on(table.logIndex)],
);

/**
 * Per client that has had results forgotten to keep its window
 * (clientResultWindowMax, the highest seqs kept): the highest seq forgotten.
 * A write at or below it may have been applied, so it is refused as too old;
 * any seq above it that has no result was never applied. Kept beside the
 * results rather than read off the newest seq, so a result stored far ahead
 * of a client's seqs does not make its writes too old.
 */
export const clientWindows = sqliteTable("client_windows", {
  clientId: text("client_id").primaryKey(),
  forgottenThroughSeq: integer("forgotten_through_seq").notNull(),
});

/**
 * Per user with unread messages, how many: kept in step with `messages` by
 * the apply loop, so a read of new messages and a login answer the count
 * without counting an inbox that may hold a million messages. Derived, so a
 * snapshot does not carry it: an install counts it again from the messages
 * (src/projections/snapshot.ts). No row for a user with none unread, so the
 * table is a pure function of `messages` and replicas hash alike however
 * they got there.
 */
export const unreadCounts = sqliteTable("unread_counts", {
  username: text("username").primaryKey(),
  unread: integer("unread").notNull(),
});

/** How much of the log the tables above reflect: one row, id = 1. */
export const appliedState = sqliteTable("applied_state", {
  id: integer("id").primaryKey(),
  appliedIndex: integer("applied_index").notNull(),
});

/**
 * The cluster's membership as of the applied index: a projection of the
 * log's config entries, so a snapshot carries it. One row per server.
 */
export const clusterMembers = sqliteTable("cluster_members", {
  id: integer("id").primaryKey(),
  address: text("address").notNull(),
  /** "voter" or "learner". */
  role: text("role").notNull(),
});
