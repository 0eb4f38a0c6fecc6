/** A log entry as stored and shipped: opaque to everything but the state machine. */
export interface LogEntry {
  index: number;
  term: number;
  type: string;
  payload: string;
}

export interface StoredLogEntry extends LogEntry {
  checksum: number;
}

export function entryChecksum(entry: LogEntry): number {
  return Bun.hash.crc32(`${entry.index}\u0000${entry.term}\u0000${entry.type}\u0000${entry.payload}`);
}

export class CorruptLogError extends Error {
  constructor(index: number, reason: string) {
    super(`log entry ${index} is corrupt: ${reason}`);
    this.name = "CorruptLogError";
  }
}

/** Throws CorruptLogError unless the stored checksum matches the content. */
export function verifyEntry(entry: StoredLogEntry): LogEntry {
  if (entryChecksum(entry) !== entry.checksum) throw new CorruptLogError(entry.index, "checksum mismatch");
  return { index: entry.index, term: entry.term, type: entry.type, payload: entry.payload };
}
