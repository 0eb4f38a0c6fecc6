/**
 * What the rest of the service needs from the replicated log. The chat
 * service depends on this interface only; a single-replica node and the
 * consensus-backed node both provide it.
 */
import type { Entry } from "./raft/types.ts";

/** Applies committed entries in log order; results come back per entry. */
export interface StateMachine<Result> {
  appliedIndex(): number;
  /** Whether the membership as of the applied index (its last applied config entry) includes server `id`. */
  appliedMembershipIncludes(id: number): boolean;
  apply(entries: readonly Entry[]): Result[];
}

export interface ReplicaInfo {
  id: number;
  address: string;
}

export interface LeaderInfo {
  leaderId: number;
  leaderAddress: string;
  term: number;
  replicas: ReplicaInfo[];
  selfId: number;
}

export interface ReplicaNode<Result> {
  /**
   * Appends a command, waits until it is committed and applied, and returns
   * its result. Throws NotLeaderError on a follower, OverloadedError when
   * too many writes are waiting.
   */
  propose(payload: string): Promise<Result>;
  /** Throws NotLeaderError unless this replica can accept writes now. */
  assertLeader(): void;
  /**
   * Resolves once this leader has applied everything its predecessors
   * committed (its own first entry), so checks against its state are not
   * stale; rejects with NotLeaderError on a follower.
   */
  writeBarrier(): Promise<void>;
  /** Resolves once a read served now would be linearizable. */
  readBarrier(): Promise<void>;
  leaderInfo(): LeaderInfo;
  /** Runs `listener` whenever this replica stops being the leader; returns an unsubscribe. */
  onLeadershipLost(listener: () => void): () => void;
  close(): Promise<void>;
}
