/**
 * The sequential model of one user's account and inbox that property 4
 * searches against: does the account exist, and which messages wait
 * unread. Only what the answers of Login, ReadNewMessages and the
 * "Recipient does not exist" / "Username already taken" refusals depend on.
 *
 * Messages are known by id (from an acknowledgement, an answer, a stream
 * or a replica) or not at all: an unknown SendMessage that may have been
 * applied and then removed before anything showed it. The place of an
 * unseen message among the known ones is not known, so the model is
 * nondeterministic about it (a step may have several next states): it
 * never rejects a history for want of an id.
 */
import type { Operation } from "./history-model.ts";
import { answerOf, failureCodeOf, type IndexedHistory, type OperationRecord } from "./history-index.ts";

interface KnownMessage {
  /** The SendMessage's operation index. */
  send: number;
  id: number;
  sender: string;
}

export interface InboxState {
  exists: boolean;
  /** Unread messages with known ids, oldest (smallest id) first, as ReadNewMessages takes them. */
  known: readonly KnownMessage[];
  /** The senders of unread messages nothing ever showed, sorted. */
  unseen: readonly string[];
}

/** The next states an operation allows from a state; none when the model forbids it there. */
export type InboxStep = (state: InboxState) => InboxState[];

export const initialInbox: InboxState = { exists: false, known: [], unseen: [] };

export function inboxKey(state: InboxState): string {
  const known = state.known.map((message) => message.send).join(",");
  return `${state.exists ? "+" : "-"}${known}|${state.unseen.join(",")}`;
}

function unreadCount(state: InboxState): number {
  return state.known.length + state.unseen.length;
}

const requireAccount: InboxStep = (state) => (state.exists ? [state] : []);
const requireNoAccount: InboxStep = (state) => (state.exists ? [] : [state]);

/**
 * Every way to take between `least` and `most` items from a sorted
 * multiset, as what stays (sorted too). Senders with several unseen
 * messages are taken by count, so equal choices are listed once.
 */
function takeSome(items: readonly string[], least: number, most: number): string[][] {
  const groups = new Map<string, number>();
  for (const item of items) groups.set(item, (groups.get(item) ?? 0) + 1);
  const entries = [...groups];
  const results: string[][] = [];
  const visit = (group: number, kept: string[], taken: number): void => {
    if (group === entries.length) {
      if (taken >= least) results.push(kept);
      return;
    }
    const [sender, count] = entries[group]!;
    for (let take = 0; take <= Math.min(count, most - taken); take++) {
      visit(group + 1, [...kept, ...Array<string>(count - take).fill(sender)], taken + take);
    }
  };
  visit(0, [], 0);
  return results;
}

/** Removes the known messages with these ids; ids nothing showed may each name an unseen message. */
function withoutIds(indexed: IndexedHistory, state: InboxState, ids: readonly number[]): InboxState[] {
  const known = state.known.filter((message) => !ids.includes(message.id));
  const unshownIds = ids.filter((id) => !indexed.sendById.has(id)).length;
  return takeSome(state.unseen, 0, unshownIds).map((unseen) => ({ exists: state.exists, known, unseen }));
}

/** The model's step for one operation in `user`'s partition; null when the operation does not touch it. */
export function inboxStepFor(indexed: IndexedHistory, record: OperationRecord, user: string): InboxStep | null {
  const { op } = record;
  const code = failureCodeOf(record);
  switch (op.kind) {
    case "CreateAccount":
      if (op.user !== user) return null;
      if (code === "ALREADY_EXISTS") return requireAccount;
      return code ? null : (state) => (state.exists ? [] : [{ exists: true, known: [], unseen: [] }]);
    case "Login":
      return op.user === user ? loginStep(record) : null;
    case "SendMessage":
      if (op.recipient !== user) return null;
      if (code === "NOT_FOUND") return requireNoAccount;
      return code ? null : sendStep(indexed, record, op.user);
    case "ReadNewMessages":
      if (op.user !== user || code) return null;
      return record.outcome === "ok" ? readStep(indexed, record, op.count) : unknownReadStep(op.count);
    case "MarkRead":
      if (op.user !== user || code) return null;
      return (state) => (state.exists ? withoutIds(indexed, state, op.ids) : []);
    case "DeleteMessages":
      return code || !mayTouchInbox(indexed, op.ids, user) ? null : (state) => withoutIds(indexed, state, op.ids);
    case "DeleteAccount":
      return code ? null : deleteAccountStep(indexed, op, user);
    case "Logout":
    case "ListMessages":
      return null;
  }
}

function loginStep(record: OperationRecord): InboxStep | null {
  const answer = answerOf(record, "Login");
  // An unknown login changes nothing modelled; a refusal is the same for an unknown name and a wrong password, so it tells nothing.
  if (!answer) return null;
  return (state) => (state.exists && unreadCount(state) === answer.unreadCount ? [state] : []);
}

function sendStep(indexed: IndexedHistory, record: OperationRecord, sender: string): InboxStep {
  const id = indexed.catalog.get(record)?.id ?? null;
  return (state) => {
    if (!state.exists) return [];
    if (id === null) return [{ ...state, unseen: [...state.unseen, sender].sort() }];
    const known = [...state.known, { send: record.index, id, sender }].sort((a, b) => a.id - b.id);
    return [{ ...state, known }];
  };
}

/**
 * An answered ReadNewMessages took the oldest unread, and "nothing unread"
 * is an answer too. An unseen message cannot have been among those taken
 * (the answer would have shown it): taking fewer than asked means nothing
 * unseen was waiting.
 */
function readStep(indexed: IndexedHistory, record: OperationRecord, count: number): InboxStep {
  const answer = answerOf(record, "ReadNewMessages")!;
  const answered = new Set(answer.messages.map((message) => indexed.sendsByText.get(message.text)?.index));
  const takenAll = answered.size < count;
  return (state) => {
    if (!state.exists || answered.size > count || (takenAll && state.unseen.length > 0)) return [];
    const taken = state.known.slice(0, answered.size);
    if (taken.length !== answered.size || !taken.every((message) => answered.has(message.send))) return [];
    if (takenAll && state.known.length !== answered.size) return [];
    const rest = { ...state, known: state.known.slice(answered.size) };
    return answer.unreadRemaining === unreadCount(rest) ? [rest] : [];
  };
}

/** An unknown read, if applied, took the oldest `count`: any mix of the oldest known and some unseen. */
function unknownReadStep(count: number): InboxStep {
  return (state) => {
    if (!state.exists) return [];
    const total = Math.min(count, unreadCount(state));
    const leastUnseen = Math.max(0, total - state.known.length);
    const mostUnseen = Math.min(total, state.unseen.length);
    const next: InboxState[] = [];
    for (let unseenTaken = leastUnseen; unseenTaken <= mostUnseen; unseenTaken++) {
      const known = state.known.slice(total - unseenTaken);
      for (const unseen of takeSome(state.unseen, unseenTaken, unseenTaken)) next.push({ exists: true, known, unseen });
    }
    return next;
  };
}

/**
 * A DeleteMessages touches this inbox if it names a message to the user, or
 * an id nothing showed while unseen messages to the user may wait.
 */
function mayTouchInbox(indexed: IndexedHistory, ids: readonly number[], user: string): boolean {
  return ids.some((id) => {
    const send = indexed.sendById.get(id);
    if (send) return send.op.kind === "SendMessage" && send.op.recipient === user;
    return [...indexed.catalog.values()].some((entry) => entry.id === null && entry.send.op.kind === "SendMessage" && entry.send.op.recipient === user);
  });
}

/** Deleting an account empties its inbox; deleting a sender drops its unread messages to others. */
function deleteAccountStep(indexed: IndexedHistory, op: Extract<Operation, { kind: "DeleteAccount" }>, user: string): InboxStep | null {
  const sender = op.user;
  if (sender === user) return (state) => (state.exists ? [initialInbox] : []);
  const sentToUser = [...indexed.sendsByText.values()].some((send) => send.op.kind === "SendMessage" && send.op.user === sender && send.op.recipient === user);
  if (!sentToUser) return null;
  return (state) => [
    {
      exists: state.exists,
      known: state.known.filter((message) => message.sender !== sender),
      unseen: state.unseen.filter((unseenSender) => unseenSender !== sender),
    },
  ];
}
