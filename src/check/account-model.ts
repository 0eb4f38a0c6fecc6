/**
 * Property 4: the answers about one user's account and inbox are
 * linearizable. The history is partitioned by user, as Porcupine partitions
 * by key: each user's partition holds the operations that read or change
 * that user's model (does the account exist, which messages wait unread),
 * and is searched on its own. An operation may sit in several partitions
 * (DeleteAccount of a sender also drops its unread messages to others).
 * Every partition being linearizable is necessary, not sufficient, for the
 * whole history: a failure here is a real violation.
 */
import type { Finding, Operation, PropertyResult } from "./history-model.ts";
import {
  answerOf,
  describeOperation,
  eventsOf,
  failureCodeOf,
  type IndexedHistory,
  type OperationRecord,
} from "./history-index.ts";
import { searchLinearization, type SearchOperation } from "./linearizability.ts";

/** Search steps allowed by default for one user's partition (and for each prefix tried when narrowing a failure). */
export const accountSearchStepsMax = 200_000;

interface InboxMessage {
  /** The SendMessage's operation index: a small key that is known even when the id is not. */
  send: number;
  /** Null when nothing ever showed the id: ordered after every known id. */
  id: number | null;
  sender: string;
}

interface AccountState {
  exists: boolean;
  /** Oldest first, as ReadNewMessages takes them. */
  unread: readonly InboxMessage[];
}

const noAccount: AccountState = { exists: false, unread: [] };

function stateKey(state: AccountState): string {
  return `${state.exists ? "+" : "-"}${state.unread.map((message) => message.send).join(",")}`;
}

function orderOf(message: InboxMessage): number {
  return message.id ?? Infinity;
}

function withMessage(state: AccountState, message: InboxMessage): AccountState | null {
  if (!state.exists) return null;
  const unread = [...state.unread, message].sort((a, b) => orderOf(a) - orderOf(b) || a.send - b.send);
  return { exists: true, unread };
}

function without(state: AccountState, gone: (message: InboxMessage) => boolean): AccountState {
  return { exists: state.exists, unread: state.unread.filter((message) => !gone(message)) };
}

type Step = (state: AccountState) => AccountState | null;

const requireAccount: Step = (state) => (state.exists ? state : null);
const requireNoAccount: Step = (state) => (state.exists ? null : state);

/** The model's step for one operation in `user`'s partition; null when the operation does not touch it. */
function stepFor(indexed: IndexedHistory, record: OperationRecord, user: string): Step | null {
  const { op } = record;
  const code = failureCodeOf(record);
  switch (op.kind) {
    case "CreateAccount":
      if (op.user !== user) return null;
      if (code === "ALREADY_EXISTS") return requireAccount;
      return code ? null : (state) => (state.exists ? null : { exists: true, unread: [] });
    case "Login":
      return op.user === user ? loginStep(record, code) : null;
    case "SendMessage":
      if (op.recipient !== user) return null;
      if (code === "NOT_FOUND") return requireNoAccount;
      return code ? null : (state) => withMessage(state, { send: record.index, id: idOf(indexed, record), sender: op.user });
    case "ReadNewMessages":
      return op.user === user && !code ? readStep(indexed, record, op.count) : null;
    case "MarkRead":
      if (op.user !== user || code) return null;
      return (state) => (state.exists ? without(state, (message) => op.ids.includes(message.id ?? -1)) : null);
    case "DeleteMessages":
      if (code || !op.ids.some((id) => recipientOf(indexed, id) === user)) return null;
      return (state) => without(state, (message) => op.ids.includes(message.id ?? -1));
    case "DeleteAccount":
      return code ? null : deleteAccountStep(indexed, op, user);
    case "Logout":
    case "ListMessages":
      return null;
  }
}

function loginStep(record: OperationRecord, code: string | null): Step | null {
  if (code === "NOT_FOUND") return requireNoAccount;
  const answer = answerOf(record, "Login");
  // An unknown login changes nothing modelled; other refusals depend on passwords and sessions.
  if (!answer) return null;
  return (state) => (state.exists && state.unread.length === answer.unreadCount ? state : null);
}

/** ReadNewMessages takes the oldest unread; "nothing unread" is an answer too, and must be true when given. */
function readStep(indexed: IndexedHistory, record: OperationRecord, count: number): Step {
  const answer = answerOf(record, "ReadNewMessages");
  return (state) => {
    if (!state.exists) return null;
    const taken = state.unread.slice(0, Math.min(count, state.unread.length));
    const rest = { exists: true, unread: state.unread.slice(taken.length) };
    if (!answer) return rest;
    const answered = new Set(answer.messages.map((message) => indexed.sendsByText.get(message.text)?.index));
    const sameMessages = answered.size === taken.length && taken.every((message) => answered.has(message.send));
    return sameMessages && answer.unreadRemaining === rest.unread.length ? rest : null;
  };
}

/** Deleting an account empties its inbox; deleting a sender drops its unread messages to others. */
function deleteAccountStep(indexed: IndexedHistory, op: Extract<Operation, { kind: "DeleteAccount" }>, user: string): Step | null {
  if (op.user === user) return (state) => (state.exists ? noAccount : null);
  const sentToUser = [...indexed.sendsByText.values()].some(
    (send) => send.op.kind === "SendMessage" && send.op.user === op.user && send.op.recipient === user,
  );
  return sentToUser ? (state) => without(state, (message) => message.sender === op.user) : null;
}

function idOf(indexed: IndexedHistory, send: OperationRecord): number | null {
  return indexed.catalog.get(send)?.id ?? null;
}

function recipientOf(indexed: IndexedHistory, id: number): string | null {
  const send = indexed.sendById.get(id);
  return send?.op.kind === "SendMessage" ? send.op.recipient : null;
}

interface PartitionOperation {
  record: OperationRecord;
  step: Step;
}

function partitionOf(indexed: IndexedHistory, user: string): PartitionOperation[] {
  return indexed.operations.flatMap((record) => {
    const step = stepFor(indexed, record, user);
    return step ? [{ record, step }] : [];
  });
}

/** Operations completing after `cutSeq` were still pending then: they may or may not have taken effect. */
function searchUpTo(partition: readonly PartitionOperation[], cutSeq: number, stepBudget: number) {
  const operations: SearchOperation<AccountState>[] = partition
    .filter(({ record }) => record.invokeSeq < cutSeq)
    .map(({ record, step }) => {
      const required = record.completeSeq <= cutSeq;
      return { invokeSeq: record.invokeSeq, completeSeq: required ? record.completeSeq : Infinity, required, step };
    });
  return searchLinearization(noAccount, operations, stateKey, stepBudget);
}

/**
 * The earliest completion after which the partition stops being
 * linearizable (a binary search over time cuts: a cut of a linearizable
 * history is linearizable). That completion's operation is the culprit.
 */
function firstFailingCompletion(partition: readonly PartitionOperation[], stepBudget: number): OperationRecord {
  const completed = partition
    .map(({ record }) => record)
    .filter((record) => record.completeSeq !== Infinity)
    .sort((a, b) => a.completeSeq - b.completeSeq);
  let low = 0;
  let high = completed.length - 1;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (searchUpTo(partition, completed[middle]!.completeSeq, stepBudget) === "not-linearizable") high = middle;
    else low = middle + 1;
  }
  return completed[low]!;
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
  const before = partition
    .map(({ record }) => record)
    .filter((record) => record !== culprit && record.invokeSeq < culprit.completeSeq);
  const context = before.map((record) => `\n      ${describeOperation(record)}`).join("");
  return {
    message:
      `user ${user}: no linearization explains ${describeOperation(culprit)}` +
      (before.length > 0 ? `, given the operations invoked before it completed:${context}` : ""),
    events: eventsOf(...before, culprit).sort((a, b) => a.seq - b.seq),
  };
}
