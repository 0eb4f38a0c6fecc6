/**
 * The terms of the log entries this process appended, kept as runs (the
 * first index of each term; terms only grow along a log), so the hot term
 * lookups (a leader's prevTerm for every Append, a follower's check of it)
 * need no SQLite query. Only the tail written since `knownFrom` is covered;
 * older indexes, and any index after a reset, fall back to the table.
 */
export class TermRuns {
  private starts: number[] = [];
  private terms: number[] = [];

  /** `knownFrom`: the first index this cache will see appended. */
  constructor(private knownFrom: number) {}

  /** An entry was appended at `index` (the next after the log's last). */
  appended(index: number, term: number): void {
    if (index < this.knownFrom) return;
    if (this.terms.length === 0 || this.terms[this.terms.length - 1] !== term) {
      this.starts.push(index);
      this.terms.push(term);
    }
  }

  /** Entries from `from` on were deleted (a conflicting suffix). */
  truncatedFrom(from: number): void {
    if (from <= this.knownFrom) {
      this.forget(from);
      return;
    }
    while (this.starts.length > 0 && this.starts[this.starts.length - 1]! >= from) {
      this.starts.pop();
      this.terms.pop();
    }
  }

  /** Nothing known any more; entries from `knownFrom` on will be covered again as they are appended. */
  forget(knownFrom: number): void {
    this.knownFrom = knownFrom;
    this.starts = [];
    this.terms = [];
  }

  /** The term at `index`, or undefined when it is not covered (the caller asks the table). */
  term(index: number): number | undefined {
    if (index < this.knownFrom) return undefined;
    let low = 0;
    let high = this.starts.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.starts[middle]! <= index) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found < 0 ? undefined : this.terms[found];
  }
}
