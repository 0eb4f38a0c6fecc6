/**
 * A linearizability search over one sequential model: Wing & Gong's
 * depth-first search (1993) with Lowe's memoization of (linearized set,
 * state), as Porcupine implements it, here for a model that may be
 * nondeterministic (a step may lead to several states). Operations sit in
 * a doubly linked list of call and return entries in time order; the calls
 * before the first remaining return are the candidates to linearize next;
 * the search linearizes one the model allows from a (set, state) pair not
 * seen before, and backtracks when no candidate is left.
 *
 * Required operations (completed ones, and unknown ones known to have
 * happened) must all be linearized. Optional ones (unknown outcome) have
 * no return entry: they may be linearized any time after their call, or
 * never.
 */

export interface SearchOperation<S> {
  invokeSeq: number;
  /** Infinity when the operation may take effect at any time after its call. */
  completeSeq: number;
  required: boolean;
  /**
   * Optional operations with the same value do the same thing: once both
   * are called, either can stand in for the other, so only one is tried.
   */
  sameAs?: string;
  /** The states this operation may lead to: none if the model forbids it here, several if the model does not decide. */
  step(state: S): S[];
}

export type SearchOutcome = "linearizable" | "not-linearizable" | "inconclusive";

interface Entry {
  operation: number;
  isCall: boolean;
  /** The call's return entry, if it has one. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

function buildEntries<S>(operations: readonly SearchOperation<S>[]): Entry {
  const points: { seq: number; entry: Entry }[] = [];
  operations.forEach((operation, index) => {
    const call: Entry = { operation: index, isCall: true, match: null, prev: null, next: null };
    points.push({ seq: operation.invokeSeq, entry: call });
    if (operation.required) {
      call.match = { operation: index, isCall: false, match: null, prev: null, next: null };
      points.push({ seq: operation.completeSeq, entry: call.match });
    }
  });
  // Not a subtraction: two returns at Infinity would compare as NaN.
  points.sort((a, b) => (a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1));
  const head: Entry = { operation: -1, isCall: false, match: null, prev: null, next: null };
  let last = head;
  for (const { entry } of points) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
}

function unlink(entry: Entry): void {
  entry.prev!.next = entry.next;
  if (entry.next) entry.next.prev = entry.prev;
}

/** Undoes unlink; valid because lifts are undone in the reverse order. */
function relink(entry: Entry): void {
  entry.prev!.next = entry;
  if (entry.next) entry.next.prev = entry;
}

function lift(call: Entry): void {
  unlink(call);
  if (call.match) unlink(call.match);
}

function unlift(call: Entry): void {
  if (call.match) relink(call.match);
  relink(call);
}

/**
 * The set of linearized operations, as a memo key that stays short: the
 * operations are numbered in call order and a search linearizes mostly in
 * that order, so the key is the length of the linearized prefix plus the
 * few linearized beyond it.
 */
class LinearizedSet {
  private readonly members: Uint8Array;
  private prefix = 0;
  private readonly beyond = new Set<number>();

  constructor(size: number) {
    this.members = new Uint8Array(size);
  }

  add(operation: number): void {
    this.members[operation] = 1;
    this.beyond.add(operation);
    while (this.members[this.prefix] === 1) this.beyond.delete(this.prefix++);
  }

  remove(operation: number): void {
    this.members[operation] = 0;
    this.beyond.delete(operation);
    for (; this.prefix > operation; this.prefix--) if (this.members[this.prefix - 1] === 1) this.beyond.add(this.prefix - 1);
  }

  key(): string {
    return `${this.prefix}:${[...this.beyond].sort((a, b) => a - b).join(",")}`;
  }
}

/**
 * The calls that may be linearized next: those before the first return
 * still in the list, one of each group of optional operations that do the
 * same thing. Required ones are tried first, so that a history with many
 * unknown operations is first tried without them.
 */
function candidates<S>(head: Entry, operations: readonly SearchOperation<S>[]): Entry[] {
  const required: Entry[] = [];
  const optional = new Map<string | number, Entry>();
  for (let entry = head.next; entry?.isCall; entry = entry.next) {
    const operation = operations[entry.operation]!;
    if (operation.required) required.push(entry);
    else if (!optional.has(operation.sameAs ?? entry.operation)) optional.set(operation.sameAs ?? entry.operation, entry);
  }
  return [...required, ...optional.values()];
}

interface Frame<S> {
  state: S;
  calls: Entry[];
  /** The candidate being tried (or to try next). */
  tried: number;
}

/**
 * Searches for a linearization, giving up with "inconclusive" after
 * `stepBudget` steps (one step: one candidate tried or one backtrack).
 */
export function searchLinearization<S>(
  initial: S,
  operations: readonly SearchOperation<S>[],
  stateKey: (state: S) => string,
  stepBudget: number,
): SearchOutcome {
  const head = buildEntries(operations);
  const linearized = new LinearizedSet(operations.length);
  const seen = new Set<string>();
  const path: Frame<S>[] = [{ state: initial, calls: candidates(head, operations), tried: 0 }];
  let requiredLeft = operations.filter((operation) => operation.required).length;
  let steps = 0;
  while (requiredLeft > 0) {
    if (++steps > stepBudget) return "inconclusive";
    const frame = path[path.length - 1]!;
    const call = frame.calls[frame.tried];
    if (!call) {
      // Every candidate failed here: undo the choice that led here and try that call's other next states.
      path.pop();
      const parent = path[path.length - 1];
      if (!parent) return "not-linearizable";
      const undone = parent.calls[parent.tried]!;
      linearized.remove(undone.operation);
      unlift(undone);
      if (operations[undone.operation]!.required) requiredLeft++;
      continue;
    }
    const operation = operations[call.operation]!;
    linearized.add(call.operation);
    const prefix = `${linearized.key()}|`;
    const currentKey = stateKey(frame.state);
    const after = operation.step(frame.state).find((next) => {
      const nextKey = stateKey(next);
      // An unknown operation that changes nothing is better left for later (or never).
      return !seen.has(prefix + nextKey) && (operation.required || nextKey !== currentKey);
    });
    if (after === undefined) {
      linearized.remove(call.operation);
      frame.tried++;
      continue;
    }
    seen.add(prefix + stateKey(after));
    lift(call);
    if (operation.required) requiredLeft--;
    path.push({ state: after, calls: candidates(head, operations), tried: 0 });
  }
  return "linearizable";
}
