/**
 * A linearizability search over one sequential model: Wing & Gong's
 * depth-first search (1993) with Lowe's memoization of (linearized set,
 * state), as Porcupine implements it, here for a model that may be
 * nondeterministic (a step may lead to several states). Operations sit in
 * a doubly linked list of call and return entries in time order; the
 * search linearizes a call whose predecessors allow it, and backtracks when
 * it meets the return of an operation it has not linearized yet.
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
  /** The states this operation may lead to from `state`: none if the model forbids it there, several if it does not decide. */
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
 * Searches for a linearization, giving up with "inconclusive" after
 * `stepBudget` steps (one step: one call tried or one backtrack).
 */
export function searchLinearization<S>(
  initial: S,
  operations: readonly SearchOperation<S>[],
  stateKey: (state: S) => string,
  stepBudget: number,
): SearchOutcome {
  const head = buildEntries(operations);
  const linearized = operations.map(() => "0");
  const seen = new Set<string>();
  const stack: { call: Entry; before: S }[] = [];
  let requiredLeft = operations.filter((operation) => operation.required).length;
  let state = initial;
  let entry = head.next;
  let steps = 0;
  while (requiredLeft > 0) {
    if (++steps > stepBudget) return "inconclusive";
    if (entry && entry.isCall) {
      const operation = operations[entry.operation]!;
      linearized[entry.operation] = "1";
      const prefix = `${linearized.join("")}|`;
      const after = operation.step(state).find((next) => !seen.has(prefix + stateKey(next)));
      if (after !== undefined) {
        seen.add(prefix + stateKey(after));
        stack.push({ call: entry, before: state });
        state = after;
        lift(entry);
        if (operation.required) requiredLeft--;
        entry = head.next;
        continue;
      }
      linearized[entry.operation] = "0";
      entry = entry.next;
      continue;
    }
    // A return whose call is not linearized (or the end of the list): undo the last choice,
    // then try that call's other next states (the ones tried are remembered as seen).
    const top = stack.pop();
    if (!top) return "not-linearizable";
    linearized[top.call.operation] = "0";
    if (operations[top.call.operation]!.required) requiredLeft++;
    unlift(top.call);
    state = top.before;
    entry = top.call;
  }
  return "linearizable";
}
