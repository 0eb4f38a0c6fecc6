/**
 * The history checker: given a recorded history of client operations and
 * the replicas' final states, it checks the chat service's semantics, in
 * the spirit of Jepsen's Knossos and Porcupine. Pure: no I/O, clock or
 * randomness, so the simulator and real-process tests can share it.
 *
 * What lives where (all in src/check/):
 * - history-model.ts   the recorded history and the verdicts (JSON-serialisable)
 * - history-index.ts   pairing invokes with completions; which send made which id
 * - durability.ts      1 no acknowledged write lost, 2 applied at most once,
 *                      3 ids follow real-time order
 * - linearizability.ts Wing & Gong search with memoization (generic)
 * - inbox-model.ts     the sequential model of one user's account and inbox
 * - accounts-linearizable.ts  4 per-user partitions searched against that model
 * - subscriptions.ts   5 subscribers see no gap and no duplicate
 * - convergence.ts     6 replicas converge
 * docs/history-checker.md states each property precisely.
 */
import type { CheckResult, History, OperationKind, PropertyName, PropertyResult, Verdict } from "./history-model.ts";
import { indexHistory, type Outcome } from "./history-index.ts";
import { checkAppliedAtMostOnce, checkNoAcknowledgedWriteLost, checkSendOrderFollowsRealTime } from "./durability.ts";
import { checkAccountsLinearizable } from "./accounts-linearizable.ts";
import { checkSubscribers } from "./subscriptions.ts";
import { checkReplicasConverge } from "./convergence.ts";

export type * from "./history-model.ts";
export { definiteFailureCodes } from "./history-model.ts";
export { MalformedHistoryError } from "./history-index.ts";
export { accountSearchStepsMax } from "./accounts-linearizable.ts";

export interface CheckOptions {
  /** Search steps per user before property 4 says "inconclusive"; accountSearchStepsMax by default. */
  accountSearchSteps?: number;
}

/** Checks every property. Throws MalformedHistoryError if the history breaks the recording rules. */
export function checkHistory(history: History, options: CheckOptions = {}): CheckResult {
  const indexed = indexHistory(history);
  const properties: Record<PropertyName, PropertyResult> = {
    noAcknowledgedWriteLost: checkNoAcknowledgedWriteLost(indexed),
    appliedAtMostOnce: checkAppliedAtMostOnce(indexed),
    sendOrderFollowsRealTime: checkSendOrderFollowsRealTime(indexed),
    accountsLinearizable: checkAccountsLinearizable(indexed, options.accountSearchSteps),
    subscribersSeeNoGapNoDuplicate: checkSubscribers(indexed),
    replicasConverge: checkReplicasConverge(history.replicas),
  };
  return { verdict: overallVerdict(Object.values(properties).map((result) => result.verdict)), properties };
}

function overallVerdict(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes("fail")) return "fail";
  return verdicts.includes("inconclusive") ? "inconclusive" : "pass";
}

/** A readable report: operations by kind and outcome, then each property's verdict and findings. */
export function summarizeCheck(history: History, result: CheckResult): string {
  const counts = new Map<OperationKind, Record<Outcome, number>>();
  for (const record of indexHistory(history).operations) {
    const row = counts.get(record.op.kind) ?? { ok: 0, fail: 0, unknown: 0 };
    row[record.outcome]++;
    counts.set(record.op.kind, row);
  }
  const deliveries = history.events.filter((event) => event.type === "deliver").length;
  const subscribes = history.events.filter((event) => event.type === "subscribe").length;
  const lines = ["operations (ok / fail / unknown):"];
  for (const [kind, row] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${kind.padEnd(16)} ${row.ok} / ${row.fail} / ${row.unknown}`);
  }
  lines.push(`  streams opened ${subscribes}, messages delivered ${deliveries}`, `verdict: ${result.verdict}`);
  for (const [name, property] of Object.entries(result.properties)) {
    lines.push(`  ${name}: ${property.verdict}`);
    for (const finding of property.findings) lines.push(`    - ${finding.message}`);
  }
  return lines.join("\n");
}
