/**
 * What the driver needs of the state machine's snapshots, declared by the
 * log so that it depends on no implementation: src/projections/snapshot.ts
 * provides these shapes (structurally) and src/replica.ts wires them.
 */
import type { AppendResponseMessage, SnapshotMeta } from "./raft/types.ts";

/** A consistent view of the state at its applied index, read for a peer. */
export interface OutgoingSnapshot {
  readonly header: SnapshotMeta;
}

/** A snapshot being received, staged until it is complete and verified. */
export interface IncomingSnapshot {
  readonly header: SnapshotMeta;
  /** Drops what was staged; safe to call more than once. */
  abort(): void;
}

/** Who a snapshot transfer is from and to, in which term of the sender. */
export interface SnapshotEnvelope {
  from: number;
  to: number;
  term: number;
}

/** How the node reads, stages, installs and ships snapshots of the state machine. */
export interface SnapshotPort<Outgoing extends OutgoingSnapshot, Incoming extends IncomingSnapshot> {
  /** A consistent view of the state at its applied index. */
  open(): Outgoing;
  /** A staging area for a snapshot being received. */
  stage(header: SnapshotMeta): Incoming;
  /** Swaps a verified staged snapshot in, with the log reset, atomically. */
  install(staging: Incoming): void;
  /** Streams a snapshot to a peer and closes it; resolves with the peer's answer, or null on failure. */
  send(envelope: SnapshotEnvelope, snapshot: Outgoing): Promise<AppendResponseMessage | null>;
}
