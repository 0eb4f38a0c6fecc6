/** A child's output stream, split into lines as they arrive. */

/** Calls `onLine` for each complete line of `stream`, then for a last unterminated one. */
export async function forEachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let partial = "";
  for await (const chunk of stream) {
    partial += decoder.decode(chunk, { stream: true });
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const line of lines) onLine(line);
  }
  partial += decoder.decode();
  if (partial.length > 0) onLine(partial);
}

/**
 * Reads a stream to its end, line by line, so that the child never blocks
 * on a full pipe; keeps the lines unless told not to (a long-running
 * cluster in a terminal only prints them).
 */
export class LineCollector {
  readonly lines: string[] = [];
  /** Resolves once the stream has ended and every line has been seen. */
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>, options: { keep?: boolean; onLine?: (line: string) => void } = {}) {
    const keep = options.keep ?? true;
    this.done = forEachLine(stream, (line) => {
      if (keep) this.lines.push(line);
      options.onLine?.(line);
    });
  }

  text(): string {
    return this.lines.join("\n");
  }
}
