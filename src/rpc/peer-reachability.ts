/**
 * What an operator wants to hear about peers, from the calls this replica
 * makes anyway: a peer that stopped answering (once, not per call), the
 * same peer answering again and for how long it was gone, and whether this
 * replica still reaches a majority of the cluster (quorum lost, regained).
 * A leader calls every peer each heartbeat, so it notices within one; a
 * follower calls peers only when it campaigns.
 */
import * as grpc from "@grpc/grpc-js";
import type { NodeId } from "../log/raft/types.ts";
import type { Logger } from "../logger.ts";

/** Failures that mean "not there" (down, unreachable, too slow), rather than a refusal. */
const unreachableCodes = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

export class PeerReachability {
  /** Peers that stopped answering, with when (Date.now()). Empty almost always: the answer path checks only its size. */
  private readonly down = new Map<NodeId, number>();
  private quorum = true;

  constructor(
    private readonly logger: Logger | undefined,
    /** The peers this replica knows now (the membership less itself). */
    private readonly peers: () => ReadonlyMap<NodeId, string>,
  ) {}

  failed(id: NodeId, error: grpc.ServiceError): void {
    if (!unreachableCodes.has(error.code) || this.down.has(id)) return;
    this.down.set(id, Date.now());
    this.logger?.warn("peer unreachable", { peer: id, address: this.peers().get(id), reason: error.details });
    this.checkQuorum();
  }

  /** A peer answered: cheap unless it was down. */
  answered(id: NodeId): void {
    if (this.down.size === 0) return;
    const since = this.down.get(id);
    if (since === undefined) return;
    this.down.delete(id);
    this.logger?.info("peer reachable again", { peer: id, address: this.peers().get(id), downMs: Date.now() - since });
    this.checkQuorum();
  }

  /** The membership changed: a peer no longer in it is no longer missed. */
  forgetAllBut(peers: ReadonlyMap<NodeId, string>): void {
    for (const id of this.down.keys()) if (!peers.has(id)) this.down.delete(id);
    this.checkQuorum();
  }

  private checkQuorum(): void {
    const members = this.peers().size + 1;
    const reached = members - this.down.size;
    const majority = Math.floor(members / 2) + 1;
    const quorum = reached >= majority;
    if (quorum === this.quorum) return;
    this.quorum = quorum;
    const down = [...this.down.keys()].join(",");
    if (quorum) this.logger?.info("quorum regained", { reaches: reached, of: members });
    else
      this.logger?.warn("quorum lost: this replica reaches fewer than a majority of the cluster, so nothing commits through it", {
        reaches: reached,
        of: members,
        unreachable: down,
      });
  }
}
