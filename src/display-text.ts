/**
 * Untrusted text on a terminal. Usernames, message texts and server
 * replies are input from other people; a control character in them must
 * not drive the terminal (ESC [2J clears the screen, a carriage return
 * overwrites the line, a C1 CSI starts a sequence on terminals that honour
 * 8-bit controls, bidi overrides reorder what is shown). Every program
 * that prints such text (the terminal client, the inspector) passes it
 * through `displayText`.
 */

// C0/C1 controls (ESC among them, so no escape sequence survives), DEL, line
// and paragraph separators, and bidi overrides and isolates (Unicode TR #9).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const unsafeCharacters = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The short escapes JavaScript and JSON share; every other unsafe character is shown as \uXXXX. */
const shortEscapes: Readonly<Record<string, string>> = { "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r" };

/**
 * `text` with every control character shown as an escape (\n, \u001b, ...);
 * printable Unicode is kept. Not JSON.stringify: it escapes only C0, and
 * passes DEL, C1, the separators and bidi controls through as they are.
 */
export function displayText(text: string): string {
  return text.replace(unsafeCharacters, (character) => shortEscapes[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
