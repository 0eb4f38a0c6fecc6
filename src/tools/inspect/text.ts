/**
 * Text helpers for the inspector's terminal output. Everything printed from
 * the database passes through `displayText` (src/display-text.ts): usernames
 * and message texts are user input, and a control sequence in them must not
 * drive the terminal.
 */
import { displayText } from "../../display-text.ts";

/** Characters of a message text shown in a table or a log summary. */
export const textPreviewCharsMax = 40;
/** Hex characters of a hash shown: enough to tell sessions apart, useless to an attacker. */
export const hashPrefixChars = 8;

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
