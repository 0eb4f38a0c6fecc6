/** Operating conditions of the replicated log, mapped to gRPC statuses in src/rpc. */

/** This replica cannot accept writes; `leaderAddress` is where to go, if known. */
export class NotLeaderError extends Error {
  constructor(readonly leaderAddress: string | null) {
    super(leaderAddress ? `not the leader; the leader is ${leaderAddress}` : "not the leader; no leader is known yet");
    this.name = "NotLeaderError";
  }
}

/** Too many writes are waiting; the client should back off and retry. */
export class OverloadedError extends Error {
  constructor(what: string) {
    super(`replica overloaded: ${what}`);
    this.name = "OverloadedError";
  }
}

/** A membership change the core refused; says which rule it broke. */
export class MembershipChangeError extends Error {
  constructor(
    /** `holder`: the member that already has `address` (reason "addressInUse"). */
    readonly change: { kind: string; id: number; address?: string; holder?: number },
    readonly reason: string,
  ) {
    const explanation: Record<string, string> = {
      ownTermNotCommitted: "the new leader has not committed an entry of its term yet; retry shortly",
      changeInProgress: "another membership change is still in progress; retry shortly",
      invalidChange:
        change.kind === "remove"
          ? `server ${change.id} is not in the cluster, or is its last voter`
          : change.kind === "promote"
            ? `server ${change.id} is not a learner`
            : `server ${change.id} is already in the cluster`,
      idInUse: `server id ${change.id} is already in the cluster with another address`,
      addressInUse: `address ${change.address} already belongs to server ${change.holder}; remove server ${change.holder} first, or give the new server another address`,
      notVoter: `server ${change.id} is not a voter`,
      self: "already the leader",
    };
    super(explanation[reason] ?? `membership change refused: ${reason}`);
    this.name = "MembershipChangeError";
  }
}
