/**
 * Tables of the operation log. Kept free of `bun:*` imports so drizzle-kit
 * (which runs under Node) can read it to generate migrations.
 */
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** One row per log entry. Invariant: indexes are contiguous from the first. */
export const logEntries = sqliteTable("log_entries", {
  index: integer("idx").primaryKey(),
  term: integer("term").notNull(),
  /** The consensus entry type ("noop", "command", ...); the log is opaque to chat. */
  type: text("type").notNull(),
  /** JSON text of the operation envelope. */
  payload: text("payload").notNull(),
  /** CRC32 of index, term, type and payload: a torn or edited row is refused. */
  checksum: integer("checksum").notNull(),
});

/** The consensus state that must survive a crash: one row, id = 1. */
export const hardState = sqliteTable("hard_state", {
  id: integer("id").primaryKey(),
  term: integer("term").notNull(),
  /** Server voted for in `term`, 0 for none. */
  vote: integer("vote").notNull(),
  commit: integer("commit_index").notNull(),
});

/**
 * The point the log was compacted to: entries up to `index` are gone, their
 * effect lives on in the projections. One row, id = 1; absent until the
 * first compaction or snapshot install.
 */
export const snapshotMeta = sqliteTable("snapshot_meta", {
  id: integer("id").primaryKey(),
  index: integer("idx").notNull(),
  term: integer("term").notNull(),
  /** JSON of the membership as of `index` (the last config entry at or before it). */
  membership: text("membership").notNull(),
  /**
   * Index of the config entry `membership` came from (the core needs it to
   * know whether that change is committed). NULL in points recorded before
   * this column existed: the core then takes it to be `index`.
   */
  configIndex: integer("config_index"),
});

/**
 * Whose data this is: one row, id = 1, written before the first log entry.
 * A data directory belongs to one server of one cluster; a replica refuses
 * to start on another server's data, and peers of another cluster are
 * refused (their logs share no history with ours).
 */
export const replicaIdentity = sqliteTable("replica_identity", {
  id: integer("id").primaryKey(),
  serverId: integer("server_id").notNull(),
  /** Set when the cluster is founded, or learned from the leader when joining; "" until then. */
  clusterId: text("cluster_id").notNull(),
});
