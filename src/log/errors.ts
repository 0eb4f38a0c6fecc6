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
