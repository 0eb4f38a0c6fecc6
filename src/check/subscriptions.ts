/**
 * Property 5: a subscriber sees no gap and no duplicate, across all the
 * streams it opened (failovers, reopens).
 *
 * The rule, per subscriber (one process, one user):
 * - Order: delivered ids strictly increase over the subscriber's whole life;
 *   an id equal to an earlier one is a duplicate, a smaller one a reordering.
 *   Every delivered message is addressed to the subscriber's user.
 * - No gap: let `start` be where its first stream began (its `after_id`, or
 *   its `stream-position` when `after_id` was 0: every later id is promised)
 *   and `last` its last delivered id. Every message to the user that is
 *   known to be committed (an acknowledged id, or an id any answer, stream
 *   or replica showed) with start < id < last was delivered, unless an
 *   operation that may have happened could have deleted it before the
 *   stream reached it (a DeleteMessages naming it, or a DeleteAccount of its
 *   sender or recipient not finished before the send began).
 * Reopens are not checked on their own: a reopen from the wrong `after_id`
 * shows up as a gap or a duplicate by these rules. Messages after `last`
 * are not required: the run may end before they arrive.
 */
import type { Finding, HistoryEvent, PropertyResult } from "./history-model.ts";
import { describeOperation, eventsOf, MalformedHistoryError, possibleRemovers, resultOf, type IndexedHistory } from "./history-index.ts";

type SubscriptionEvent = Extract<HistoryEvent, { type: "subscribe" | "deliver" }>;
type DeliverEvent = Extract<HistoryEvent, { type: "deliver" }>;

export function checkSubscribers(indexed: IndexedHistory): PropertyResult {
  const bySubscriber = new Map<string, SubscriptionEvent[]>();
  for (const event of indexed.subscriptionEvents) {
    bySubscriber.set(event.process, [...(bySubscriber.get(event.process) ?? []), event]);
  }
  const findings = [...bySubscriber.values()].flatMap((events) => [...orderFindings(events), ...gapFindings(indexed, events)]);
  return resultOf(findings);
}

function deliveries(events: readonly SubscriptionEvent[]): DeliverEvent[] {
  return events.filter((event): event is DeliverEvent => event.type === "deliver");
}

function orderFindings(events: readonly SubscriptionEvent[]): Finding[] {
  const findings: Finding[] = [];
  let previous: DeliverEvent | null = null;
  for (const delivery of deliveries(events)) {
    const { process, user, message } = delivery;
    if (message.recipient !== user) {
      const text = `subscriber ${process} of ${user} was delivered message ${message.id} addressed to ${message.recipient}`;
      findings.push({ message: text, events: [delivery] });
    }
    if (previous && message.id <= previous.message.id) {
      const what = message.id === previous.message.id ? "a duplicate of" : "out of order after";
      findings.push({
        message:
          `subscriber ${process} of ${user} was delivered message ${message.id} at ${delivery.seq}, ` +
          `${what} message ${previous.message.id} at ${previous.seq}`,
        events: [previous, delivery],
      });
    }
    previous = delivery;
  }
  return findings;
}

function gapFindings(indexed: IndexedHistory, events: readonly SubscriptionEvent[]): Finding[] {
  const first = events[0]!;
  if (first.type !== "subscribe") {
    throw new MalformedHistoryError(`subscriber ${first.process} was delivered a message at ${first.seq} before subscribing`);
  }
  const delivered = deliveries(events);
  if (delivered.length === 0) return [];
  const start = first.afterId > 0 ? first.afterId : first.position;
  const last = delivered[delivered.length - 1]!.message.id;
  const deliveredIds = new Set(delivered.map((delivery) => delivery.message.id));
  const findings: Finding[] = [];
  for (const [id, send] of indexed.sendById) {
    if (send.op.kind !== "SendMessage" || send.op.recipient !== first.user) continue;
    if (id <= start || id >= last || deliveredIds.has(id) || possibleRemovers(indexed, send, id).length > 0) continue;
    const around = [delivered.findLast((delivery) => delivery.message.id < id), delivered.find((delivery) => delivery.message.id > id)];
    findings.push({
      message:
        `subscriber ${first.process} of ${first.user} started after ${start} and was delivered up to ${last}, ` +
        `but never message ${id} of ${describeOperation(send)}`,
      events: [first, ...eventsOf(send), ...around.filter((event) => event !== undefined)].sort((a, b) => a.seq - b.seq),
    });
  }
  return findings;
}
