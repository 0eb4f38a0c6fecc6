/**
 * Text helpers for the inspector's terminal output. Everything printed from
 * the database passes through `displayText`: usernames and message texts are
 * user input, and a control sequence in them must not drive the terminal.
 */

/** Characters of a message text shown in a table or a log summary. */
export const textPreviewCharsMax = 40;
/** Hex characters of a hash shown: enough to tell sessions apart, useless to an attacker. */
export const hashPrefixChars = 8;

// C0/C1 controls, line and paragraph separators, and bidi overrides (which can reorder what is shown).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const unsafeCharacters = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character shown as an escape (\n, \u001b, ...). */
export function displayText(text: string): string {
  return text.replace(unsafeCharacters, (character) => JSON.stringify(character).slice(1, -1));
}

/** At most `max` characters (code points, so no emoji is cut in half), with "…" when cut. */
export function truncate(text: string, max = textPreviewCharsMax): string {
  const characters = Array.from(text);
  return characters.length <= max ? text : `${characters.slice(0, max).join("")}…`;
}

/** A quoted, escaped, truncated preview of a message text. */
export function quotePreview(text: string): string {
  return `"${displayText(truncate(text)).replaceAll('"', '\\"')}"`;
}

export function shortHash(hash: string): string {
  return hash.length <= hashPrefixChars ? displayText(hash) : `${displayText(hash.slice(0, hashPrefixChars))}…`;
}

/** UTC, to the second: "2025-01-31 14:05:09Z". */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((header, column) => Math.max(Array.from(header).length, ...rows.map((row) => Array.from(row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + " ".repeat(widths[column]! - Array.from(cell).length)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}
