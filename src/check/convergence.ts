/**
 * Property 6: the replicas converge. When every replica gives its
 * projection hash the hashes must be equal; otherwise the final states the
 * checker was given (accounts, live messages) are compared instead.
 */
import type { Finding, PropertyResult, ReplicaFinalState } from "./history-model.ts";
import { resultOf } from "./history-index.ts";

function canonicalState(replica: ReplicaFinalState): string {
  const accounts = [...replica.accounts].sort();
  const messages = replica.messages
    .filter((message) => !message.deleted)
    .map(({ id, sender, recipient, text, read }) => ({ id, sender, recipient, text, read }))
    .sort((a, b) => a.id - b.id);
  return JSON.stringify({ accounts, messages });
}

export function checkReplicasConverge(replicas: readonly ReplicaFinalState[]): PropertyResult {
  const everyHash = replicas.every((replica) => replica.projectionHash !== undefined);
  const what = everyHash ? "projection hash" : "final state";
  const fingerprint = (replica: ReplicaFinalState) => (everyHash ? replica.projectionHash! : canonicalState(replica));
  const [reference, ...others] = replicas;
  const findings: Finding[] = others
    .filter((replica) => fingerprint(replica) !== fingerprint(reference!))
    .map((replica) => ({
      message:
        `replica ${replica.replica}'s ${what} differs from replica ${reference!.replica}'s` +
        (everyHash ? ` (${replica.projectionHash} vs ${reference!.projectionHash})` : ""),
      events: [],
    }));
  return resultOf(findings);
}
