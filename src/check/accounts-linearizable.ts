/**
 * Property 4: the answers about one user's account and inbox are
 * linearizable. The history is partitioned by user, as Porcupine partitions
 * by key: each user's partition holds the operations that read or change
 * that user's model (inbox-model.ts: does the account exist, which messages
 * wait unread), and is searched on its own. An operation may sit in several
 * partitions (DeleteAccount of a sender also drops its unread messages to
 * others). Every partition being linearizable is necessary, not sufficient,
 * for the whole history: a failure here is a real violation.
 */
import type { Finding, PropertyResult } from "./history-model.ts";
import { describeOperation, eventsOf, mayHaveHappened, precedes, type IndexedHistory, type OperationRecord } from "./history-index.ts";
import { searchLinearization, type SearchOperation } from "./linearizability.ts";
import { inboxKey, inboxStepFor, initialInbox, type InboxState, type InboxStep } from "./inbox-model.ts";

/** Search steps allowed by default for one user's partition (and for each prefix tried when narrowing a failure). */
export const accountSearchStepsMax = 200_000;

interface PartitionOperation {
  record: OperationRecord;
  step: InboxStep;
  /** An unknown operation known to have happened: it must be linearized, some time after its call. */
  happened: boolean;
}

type UnknownSendFate = "happened" | "never happened" | "undecided";

/**
 * What the rest of the history tells about an unknown send. Shown anywhere
 * (an answer, a stream, a replica): it happened. Absent from every final
 * state with nothing that could have removed it: it never happened. Pinning
 * these down keeps the search from trying each one at every later point.
 */
function unknownSendFate(indexed: IndexedHistory, send: OperationRecord): UnknownSendFate {
  if (indexed.catalog.get(send)?.id != null) return "happened";
  if (indexed.history.replicas.length === 0 || send.op.kind !== "SendMessage") return "undecided";
  const { user: sender, recipient } = send.op;
  const mayRemoveUnseen = indexed.operations.some((record) => {
    if (!mayHaveHappened(record) || precedes(record, send)) return false;
    if (record.op.kind === "DeleteAccount") return record.op.user === sender || record.op.user === recipient;
    return record.op.kind === "DeleteMessages" && record.op.ids.some((id) => !indexed.sendById.has(id));
  });
  return mayRemoveUnseen ? "undecided" : "never happened";
}

function partitionOf(indexed: IndexedHistory, user: string): PartitionOperation[] {
  return indexed.operations.flatMap((record) => {
    const step = inboxStepFor(indexed, record, user);
    if (!step) return [];
    const isUnknownSend = record.outcome === "unknown" && record.op.kind === "SendMessage";
    const fate = isUnknownSend ? unknownSendFate(indexed, record) : "undecided";
    return fate === "never happened" ? [] : [{ record, step, happened: fate === "happened" }];
  });
}

/** Operations completing after `cutSeq` were still pending then: they may or may not have taken effect. */
function searchUpTo(partition: readonly PartitionOperation[], cutSeq: number, stepBudget: number) {
  const operations: SearchOperation<InboxState>[] = partition
    .filter(({ record }) => record.invokeSeq < cutSeq)
    .map(({ record, step, happened }) => {
      const required = record.completeSeq <= cutSeq && (Number.isFinite(record.completeSeq) || happened);
      const completeSeq = required ? record.completeSeq : Infinity;
      // Steps depend only on the operation (sends differ by text): equal operations are interchangeable.
      return { invokeSeq: record.invokeSeq, completeSeq, required, step, sameAs: JSON.stringify(record.op) };
    });
  return searchLinearization(initialInbox, operations, inboxKey, stepBudget);
}

/**
 * The earliest completion after which the partition stops being
 * linearizable (a binary search over time cuts: a cut of a linearizable
 * history is linearizable). That completion's operation is the culprit.
 * Null when every cut is linearizable and only the whole is not: the
 * unknown sends that must have happened (a replica shows them) fit nowhere.
 */
function firstFailingCompletion(partition: readonly PartitionOperation[], stepBudget: number): OperationRecord | null {
  const completed = partition
    .map(({ record }) => record)
    .filter((record) => Number.isFinite(record.completeSeq))
    .sort((a, b) => a.completeSeq - b.completeSeq);
  const failsBy = (record: OperationRecord) => searchUpTo(partition, record.completeSeq, stepBudget) === "not-linearizable";
  let low = 0;
  let high = completed.length - 1;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (failsBy(completed[middle]!)) high = middle;
    else low = middle + 1;
  }
  const culprit = completed[low];
  return culprit && failsBy(culprit) ? culprit : null;
}

function usersOf(indexed: IndexedHistory): string[] {
  const users = new Set<string>();
  for (const { op } of indexed.operations) {
    users.add(op.user);
    if (op.kind === "SendMessage") users.add(op.recipient);
  }
  return [...users].sort();
}

export function checkAccountsLinearizable(indexed: IndexedHistory, stepBudget = accountSearchStepsMax): PropertyResult {
  const failures: Finding[] = [];
  const giveUps: Finding[] = [];
  for (const user of usersOf(indexed)) {
    const partition = partitionOf(indexed, user);
    const outcome = searchUpTo(partition, Infinity, stepBudget);
    if (outcome === "inconclusive") {
      giveUps.push({
        message: `inconclusive: search bound hit (${stepBudget} steps) for user ${user}'s ${partition.length} operations`,
        events: [],
      });
    }
    if (outcome === "not-linearizable") failures.push(explainFailure(user, partition, stepBudget));
  }
  if (failures.length > 0) return { verdict: "fail", findings: [...failures, ...giveUps] };
  return { verdict: giveUps.length > 0 ? "inconclusive" : "pass", findings: giveUps };
}

function explainFailure(user: string, partition: readonly PartitionOperation[], stepBudget: number): Finding {
  const culprit = firstFailingCompletion(partition, stepBudget);
  const records = partition.map(({ record }) => record);
  if (!culprit) {
    return {
      message: `user ${user}: no linearization places every send a replica shows among:${describeAll(records)}`,
      events: eventsOf(...records).sort((a, b) => a.seq - b.seq),
    };
  }
  const before = records.filter((record) => record !== culprit && record.invokeSeq < culprit.completeSeq);
  return {
    message:
      `user ${user}: no linearization explains ${describeOperation(culprit)}` +
      (before.length > 0 ? `, given the operations invoked before it completed:${describeAll(before)}` : ""),
    events: eventsOf(...before, culprit).sort((a, b) => a.seq - b.seq),
  };
}

function describeAll(records: readonly OperationRecord[]): string {
  return records.map((record) => `\n      ${describeOperation(record)}`).join("");
}
