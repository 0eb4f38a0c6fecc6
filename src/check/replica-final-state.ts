/**
 * A replica's tables as the history checker reads them (its accounts, its
 * messages and its projection hash), for the whole-replica simulation's
 * in-memory databases and the chaos run's stopped replicas alike.
 */
import type { Database } from "bun:sqlite";
import { projectionHash } from "../projections/hash.ts";
import type { ReplicaFinalState } from "./history.ts";

/** Reads `db` (inside the caller's read transaction, if it needs one snapshot of the tables). */
export function replicaFinalState(replica: string, db: Database): ReplicaFinalState {
  const accounts = (db.query("SELECT username FROM accounts").all() as { username: string }[]).map((row) => row.username);
  const rows = db.query("SELECT id, sender, recipient, text, read FROM messages").all() as {
    id: number;
    sender: string;
    recipient: string;
    text: string;
    read: number;
  }[];
  const messages = rows.map((row) => ({ ...row, read: row.read === 1, deleted: false }));
  return { replica, accounts, messages, projectionHash: projectionHash(db) };
}
