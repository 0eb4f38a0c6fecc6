/**
 * Properties 1-3, read off the final states and the acknowledged ids: no
 * acknowledged write lost, none applied twice (or at all after a definite
 * failure), and message ids that follow real-time order.
 */
import type { FinalMessage, Finding, PropertyResult, ReplicaFinalState } from "./history-model.ts";
import {
  answerOf,
  describeOperation,
  eventsOf,
  mayHaveHappened,
  possibleRemovers,
  precedes,
  resultOf,
  type IndexedHistory,
  type OperationRecord,
} from "./history-index.ts";

function liveMessages(replica: ReplicaFinalState): FinalMessage[] {
  return replica.messages.filter((message) => !message.deleted);
}

/** Each replica's live messages by id, built once: looking them up per send made the check quadratic in a long run. */
function liveMessagesById(indexed: IndexedHistory): Map<ReplicaFinalState, Map<number, FinalMessage>> {
  return new Map(indexed.history.replicas.map((replica) => [replica, new Map(liveMessages(replica).map((message) => [message.id, message]))]));
}

export function checkNoAcknowledgedWriteLost(indexed: IndexedHistory): PropertyResult {
  const findings: Finding[] = [];
  const live = liveMessagesById(indexed);
  for (const record of indexed.operations) {
    if (record.op.kind === "SendMessage") findings.push(...lostMessages(indexed, live, record));
    if (record.op.kind === "CreateAccount") findings.push(...lostAccounts(indexed, record));
  }
  return resultOf(findings);
}

function lostMessages(indexed: IndexedHistory, live: Map<ReplicaFinalState, Map<number, FinalMessage>>, send: OperationRecord): Finding[] {
  const answer = answerOf(send, "SendMessage");
  if (!answer || send.op.kind !== "SendMessage") return [];
  const { text, user: sender, recipient } = send.op;
  const findings: Finding[] = [];
  for (const replica of indexed.history.replicas) {
    const stored = live.get(replica)!.get(answer.id);
    if (stored && (stored.text !== text || stored.sender !== sender || stored.recipient !== recipient)) {
      findings.push({
        message: `replica ${replica.replica} holds ${JSON.stringify(stored.text)} under id ${answer.id}, ` + `acknowledged for ${describeOperation(send)}`,
        events: eventsOf(send),
      });
    } else if (!stored && possibleRemovers(indexed, send, answer.id).length === 0) {
      findings.push({
        message: `replica ${replica.replica} lacks message ${answer.id} of ${describeOperation(send)}, and no delete explains it`,
        events: eventsOf(send),
      });
    }
  }
  return findings;
}

function lostAccounts(indexed: IndexedHistory, create: OperationRecord): Finding[] {
  if (create.outcome !== "ok") return [];
  const user = create.op.user;
  const deletedLater = indexed.operations.some(
    (record) => record.op.kind === "DeleteAccount" && record.op.user === user && mayHaveHappened(record) && !precedes(record, create),
  );
  if (deletedLater) return [];
  return indexed.history.replicas
    .filter((replica) => !replica.accounts.includes(user))
    .map((replica) => ({
      message: `replica ${replica.replica} lacks account ${user} of ${describeOperation(create)}, and no DeleteAccount explains it`,
      events: eventsOf(create),
    }));
}

export function checkAppliedAtMostOnce(indexed: IndexedHistory): PropertyResult {
  const findings: Finding[] = [];
  for (const replica of indexed.history.replicas) {
    const byText = new Map<string, FinalMessage[]>();
    for (const message of liveMessages(replica)) byText.set(message.text, [...(byText.get(message.text) ?? []), message]);
    for (const [text, copies] of byText) findings.push(...misapplied(indexed, replica, text, copies));
  }
  return resultOf(findings);
}

function misapplied(indexed: IndexedHistory, replica: ReplicaFinalState, text: string, copies: FinalMessage[]): Finding[] {
  const send = indexed.sendsByText.get(text);
  const where = `replica ${replica.replica}`;
  const ids = copies.map((message) => message.id).join(", ");
  if (send?.op.kind !== "SendMessage") {
    return [{ message: `${where} holds ${JSON.stringify(text)} (ids ${ids}) that no SendMessage sent`, events: [] }];
  }
  const findings: Finding[] = [];
  if (copies.length > 1) {
    const message = `${where} applied ${describeOperation(send)} ${copies.length} times: ids ${ids}`;
    findings.push({ message, events: eventsOf(send) });
  }
  if (send.outcome === "fail") {
    const message = `${where} applied ${describeOperation(send)} as id ${ids} although it failed`;
    findings.push({ message, events: eventsOf(send) });
  }
  const { user: sender, recipient } = send.op;
  if (copies.some((message) => message.sender !== sender || message.recipient !== recipient)) {
    const message = `${where} holds ${describeOperation(send)} with another sender or recipient`;
    findings.push({ message, events: eventsOf(send) });
  }
  return findings;
}

/**
 * Raft appends a write only after every write acknowledged before it was
 * committed, and ids are log indexes: a send invoked after another was
 * acknowledged gets a larger id, whoever sent either. Per-sender order is
 * the special case of one sender.
 */
export function checkSendOrderFollowsRealTime(indexed: IndexedHistory): PropertyResult {
  type Acked = { record: OperationRecord; id: number };
  const acked: Acked[] = indexed.operations.flatMap((record) => {
    const answer = answerOf(record, "SendMessage");
    return answer ? [{ record, id: answer.id }] : [];
  });
  const points = [
    ...acked.map((send) => ({ seq: send.record.invokeSeq, send, isInvoke: true })),
    ...acked.map((send) => ({ seq: send.record.completeSeq, send, isInvoke: false })),
  ].sort((a, b) => a.seq - b.seq);
  const findings: Finding[] = [];
  const latestBefore = new Map<Acked, Acked>();
  let latest: Acked | null = null;
  for (const { send, isInvoke } of points) {
    if (isInvoke) {
      if (latest) latestBefore.set(send, latest);
      continue;
    }
    const earlier = latestBefore.get(send);
    if (earlier && earlier.id >= send.id) {
      findings.push({
        message: `${describeOperation(send.record)} was invoked after ${describeOperation(earlier.record)} was acknowledged, yet got a smaller or equal id`,
        events: eventsOf(earlier.record, send.record),
      });
    }
    if (!latest || send.id > latest.id) latest = send;
  }
  return resultOf(findings);
}
