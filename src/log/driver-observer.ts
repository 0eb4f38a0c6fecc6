/**
 * What the driver tells an observer as it runs (metrics, health): counts
 * and durations only, never a decision. Declared by the log so the driver
 * depends on no metrics library; src/ops wires an implementation. Each call
 * passes numbers it already has, so an observer costs a few additions per
 * Ready, never an allocation per write.
 */
import type { NodeId, Role } from "./raft/types.ts";

export interface DriverObserver {
  /** Writes handed to the consensus core in one batch (`refused` of them turned away: not leader, too far ahead). */
  proposed(count: number, refused: number): void;
  /** One durable write of the log: `entries` appended (0 for a term or vote alone) in `seconds`, fsync included. */
  persisted(entries: number, seconds: number): void;
  /** Committed entries applied to the state machine, through `appliedIndex`. */
  applied(entries: number, appliedIndex: number): void;
  /** The role or the known leader changed, in `term`. */
  roleChanged(role: Role, leaderId: NodeId, term: number): void;
  /** One clock tick ran, `lateSeconds` after it was due (a stalled event loop shows here). */
  ticked(lateSeconds: number): void;
  /** A snapshot transfer ended: sent to a follower, or received and installed. */
  snapshotTransferred(direction: "sent" | "received", ok: boolean): void;
}
