/**
 * Log entries as stored: the consensus core's Entry with a checksum. The
 * log is opaque to everything but the state machine.
 */
import type { Entry } from "./raft/types.ts";

export interface StoredLogEntry extends Entry {
  checksum: number;
}

/**
 * CRC32 over index, term, type and data. The bytes hashed must never change:
 * databases written before hold checksums of exactly this layout.
 */
export function entryChecksum(entry: Entry): number {
  return Bun.hash.crc32(`${entry.index}\u0000${entry.term}\u0000${entry.type}\u0000${entry.data}`);
}

export class CorruptLogError extends Error {
  constructor(index: number, reason: string) {
    super(`log entry ${index} is corrupt: ${reason}`);
    this.name = "CorruptLogError";
  }
}

/** Throws CorruptLogError unless the stored checksum matches the content. */
export function verifyEntry(entry: StoredLogEntry): Entry {
  if (entryChecksum(entry) !== entry.checksum) throw new CorruptLogError(entry.index, "checksum mismatch");
  return { index: entry.index, term: entry.term, type: entry.type, data: entry.data };
}
