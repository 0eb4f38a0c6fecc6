/**
 * Whose state a data directory holds, and how a replica's state begins.
 *
 * A data directory belongs to one server of one cluster (as etcd's member
 * and cluster ids do): the server id and the cluster id are written in the
 * database before its first log entry, a start with another server id is
 * refused, and so is a start that would turn a member's data into a new
 * cluster unless the operator says so (`--force-new-cluster`).
 *
 * A new cluster's log begins with its voters as a config entry at index 1
 * (src/log/raft/membership.ts, bootstrapEntry), so membership always comes
 * from the log: a joiner restarted in the middle of its catch-up knows it is
 * not (yet) a member and waits, instead of electing itself alone.
 */
import type { Database } from "bun:sqlite";
import { createHash, randomBytes } from "node:crypto";
import type { LogStore } from "./log-store.ts";
import type { Member, Membership } from "./membership.ts";
import { bootstrapEntry, bootstrapIndex, bootstrapTerm } from "./raft/membership.ts";
import type { Logger } from "../logger.ts";
import { wallClock } from "../wall-clock.ts";

export interface ReplicaIdentity {
  serverId: number;
  /** "" while a joining server has not yet heard it from the cluster. */
  clusterId: string;
}

/** How this start wants the replica's state to begin, from its flags. */
export type StartIntent =
  /** Found a new cluster with these voters if the data directory is empty, else restart as before. */
  | { kind: "found"; voters: Member[] }
  /** Join a running cluster (a new server, or one restarted with the command that first started it). */
  | { kind: "join" }
  /** --force-new-cluster: make this server the only voter of a new cluster, keeping its data. */
  | { kind: "forceNewCluster"; self: Member }
  /** --restore: the data directory holds a backup (state without identity): make it a new cluster of this server alone. */
  | { kind: "restore"; self: Member }
  /** A server that is no founder (not in config_master.json) and does not join: it must have state already. */
  | { kind: "restart" };

/** The data directory cannot be used as asked; the message says why and what to do instead. */
export class IdentityRefusedError extends Error {
  override name = "IdentityRefusedError";
}

export function readIdentity(db: Database): ReplicaIdentity | null {
  const row = db.query("SELECT server_id AS serverId, cluster_id AS clusterId FROM replica_identity WHERE id = 1").get() as ReplicaIdentity | null;
  return row ?? null;
}

export function saveIdentity(db: Database, identity: ReplicaIdentity): void {
  db.run(
    "INSERT INTO replica_identity (id, server_id, cluster_id) VALUES (1, ?, ?) " +
      "ON CONFLICT(id) DO UPDATE SET server_id = excluded.server_id, cluster_id = excluded.cluster_id",
    [identity.serverId, identity.clusterId],
  );
}

/**
 * The id of a cluster founded with these voters: a digest of its first
 * entry, so every founding member computes the same one without talking.
 */
export function clusterIdOf(voters: readonly Member[]): string {
  return createHash("sha256").update(bootstrapEntry(voters).data).digest("hex").slice(0, 16);
}

/**
 * Checks the data directory against this start's server id and intent, and
 * writes what a first start writes. Returns the identity to run with.
 * Throws IdentityRefusedError, changing nothing, when the start is refused.
 */
export function prepareState(db: Database, log: LogStore, serverId: number, intent: StartIntent): ReplicaIdentity {
  const identity = readIdentity(db);
  const hasState = log.lastIndex() > 0 || log.snapshot().index > 0;
  if (identity && identity.serverId !== serverId) {
    throw new IdentityRefusedError(
      `this data belongs to server ${identity.serverId}, not ${serverId}: give --server_id ${identity.serverId} or another --data_dir`,
    );
  }
  if (intent.kind === "restore") {
    // A backup (admin backup) holds state and no identity: it belongs to no server until restored.
    if (identity || !hasState) throw new IdentityRefusedError("this file is not a backup written by `admin backup` (it has no state, or belongs to a server)");
    return forceNewCluster(db, log, serverId, intent.self);
  }
  if (!identity && hasState) {
    throw new IdentityRefusedError(
      "this data has a log but no recorded server identity (written by an older version): move it away and --join the cluster again",
    );
  }
  if (intent.kind === "forceNewCluster") return hasState ? forceNewCluster(db, log, serverId, intent.self) : found(db, log, serverId, [intent.self]);
  if (identity && hasState) {
    if (intent.kind === "found" && intent.voters.length === 1) refuseStandaloneOnMember(log, serverId, identity);
    return identity;
  }
  if (intent.kind === "restart") {
    throw new IdentityRefusedError(`server ${serverId} has no state to restart from and is not a founding voter: --join a running cluster, or --standalone`);
  }
  if (intent.kind === "join") {
    const joining = identity ?? { serverId, clusterId: "" };
    if (!identity) saveIdentity(db, joining);
    return joining;
  }
  if (identity && identity.clusterId !== clusterIdOf(intent.voters)) {
    // A server that joined (or was forced into) another cluster and lost nothing yet: never found a new one with its data.
    throw new IdentityRefusedError(`server ${serverId} belongs to cluster ${identity.clusterId || "(joining)"}: restart it with --join true`);
  }
  return found(db, log, serverId, intent.voters);
}

/** Writes the identity and the first entry (the voters, committed: every founder has the same one) in one fsynced transaction. */
function found(db: Database, log: LogStore, serverId: number, voters: Member[]): ReplicaIdentity {
  const identity = { serverId, clusterId: clusterIdOf(voters) };
  log.durably(() => {
    saveIdentity(db, identity);
    log.appendInTransaction([bootstrapEntry(voters)], { term: bootstrapTerm, vote: 0, commit: bootstrapIndex });
  });
  return identity;
}

/** `--standalone` on a member's data would make a second cluster out of it, diverging from the first. */
function refuseStandaloneOnMember(log: LogStore, serverId: number, identity: ReplicaIdentity): void {
  const membership = latestMembership(log);
  const alone = membership !== null && membership.learners.length === 0 && membership.voters.length === 1 && membership.voters[0]!.id === serverId;
  if (alone) return;
  const voters = membership?.voters.map((voter) => voter.id).join(",") ?? "unknown";
  throw new IdentityRefusedError(
    `this data belongs to server ${serverId} of cluster ${identity.clusterId} (voters ${voters}); ` +
      "--standalone would make a second cluster of it whose writes the first never sees. " +
      "Start it without --standalone to rejoin its cluster, or add --force-new-cluster to make it a new cluster of one on purpose",
  );
}

/**
 * Makes this server the only voter of a new cluster, keeping its data (as
 * etcd's --force-new-cluster): a config entry naming only itself is appended
 * in a term above any it has seen, and a new cluster id is recorded, so the
 * old cluster's members refuse its messages and it refuses theirs. Entries
 * it holds that its old cluster never committed are committed by its first
 * leadership: the operator chose this data as the truth.
 */
function forceNewCluster(db: Database, log: LogStore, serverId: number, self: Member): ReplicaIdentity {
  const identity = { serverId, clusterId: randomBytes(8).toString("hex") };
  const hardState = log.hardState();
  const term = Math.max(hardState.term, log.term(log.lastIndex()) ?? 0, bootstrapTerm) + 1;
  const config = { voters: [{ id: self.id, address: self.address }], learners: [] };
  log.durably(() => {
    saveIdentity(db, identity);
    const entry = { index: log.lastIndex() + 1, term, type: "config" as const, data: JSON.stringify(config) };
    log.appendInTransaction([entry], { term, vote: 0, commit: hardState.commit });
  });
  return identity;
}

function latestMembership(log: LogStore): Membership | null {
  return log.membershipAt()?.membership ?? null;
}

/** A peer call from another cluster is logged this often at most, per peer. */
export const foreignClusterReportEveryMs = 10_000;

/**
 * The cluster id this replica runs with, for the peer calls it sends and
 * the ones it accepts. A joining server learns it from the leader's answer.
 */
export class ClusterIdentity {
  private readonly lastReport = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private identity: ReplicaIdentity,
    private readonly logger: Logger,
  ) {}

  get clusterId(): string {
    return this.identity.clusterId;
  }

  /** The cluster id from a JoinCluster answer; a server that has one already keeps it. */
  adopt(clusterId: string): void {
    if (this.identity.clusterId !== "" || clusterId === "") return;
    this.identity = { ...this.identity, clusterId };
    saveIdentity(this.db, this.identity);
    this.logger.info("joined cluster", { clusterId });
  }

  /**
   * Whether a peer call presenting `theirs` comes from this cluster. A
   * server that does not know its cluster yet (joining, nothing received)
   * has nothing to protect and accepts the leader that is adding it.
   */
  accepts(theirs: string | undefined): boolean {
    return this.identity.clusterId === "" || theirs === this.identity.clusterId;
  }

  /** Says, once in a while per peer, that a server of another cluster is talking to us (or we to it). */
  reportForeign(peer: string, theirs: string): void {
    const now = wallClock.now();
    if (now - (this.lastReport.get(peer) ?? 0) < foreignClusterReportEveryMs) return;
    this.lastReport.set(peer, now);
    this.logger.warn("refused a server of another cluster: it shares no log with this one", { peer, theirs, ours: this.identity.clusterId });
  }
}
