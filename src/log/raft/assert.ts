// Programmer errors crash loudly (as tigerbeetle's TIGER_STYLE.md advises for assertions); operating conditions are results, not throws.

export class RaftInvariantError extends Error {
  override name = "RaftInvariantError";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new RaftInvariantError(message);
}
