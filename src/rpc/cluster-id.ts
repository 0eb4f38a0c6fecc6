/**
 * The cluster id on Raft calls between replicas: sent as metadata beside the
 * peer key, so a server of another cluster (one forced into a new
 * cluster, or pointed at the wrong peers) is refused before its message
 * reaches the log, and the refusal says so on both sides.
 */
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";

export const clusterIdKey = "cluster-id";

/** What the gate needs of the replica's identity (src/log/identity.ts). */
export interface ClusterMembershipCheck {
  readonly clusterId: string;
  accepts(theirs: string | undefined): boolean;
  reportForeign(peer: string, theirs: string): void;
}

export function presentedClusterId(metadata: Metadata): string | undefined {
  const value = metadata.get(clusterIdKey)[0];
  return value === undefined ? undefined : String(value);
}

/** Answers FAILED_PRECONDITION, naming our cluster, to a call from another cluster (and returns true). */
export function refusedFromForeignCluster(
  identity: ClusterMembershipCheck,
  call: { metadata: Metadata; getPeer(): string },
  callback: (error: Partial<ServiceError>) => void,
): boolean {
  const theirs = presentedClusterId(call.metadata);
  if (identity.accepts(theirs)) return false;
  identity.reportForeign(call.getPeer(), theirs ?? "(none)");
  const trailer = new Metadata();
  trailer.set(clusterIdKey, identity.clusterId);
  callback({ code: status.FAILED_PRECONDITION, details: `this server belongs to cluster ${identity.clusterId}, not ${theirs ?? "(none)"}`, metadata: trailer });
  return true;
}

/** The cluster id a refusal named, if the call was refused as coming from another cluster. */
export function foreignClusterOf(error: ServiceError): string | undefined {
  if (error.code !== status.FAILED_PRECONDITION) return undefined;
  return presentedClusterId(error.metadata ?? new Metadata());
}

/** What a Raft call between replicas must present besides the peer key (which src/rpc/key-gate.ts checked): our cluster id. */
export interface PeerGate {
  identity: ClusterMembershipCheck;
}

/** The check of every Raft call (Election, ReplicateOperation, InstallSnapshot, TimeoutNow) once its key passed the gate. */
export function refusedPeerCall(gate: PeerGate, call: { metadata: Metadata; getPeer(): string }, callback: (error: Partial<ServiceError>) => void): boolean {
  return refusedFromForeignCluster(gate.identity, call, callback);
}
