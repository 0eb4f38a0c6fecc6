/** Other people's text on a terminal (src/display-text.ts): no control character reaches it, printable text is kept. */
import { describe, expect, test } from "bun:test";
import { displayText } from "../../src/display-text.ts";

/** Every character displayText must escape: C0, DEL, C1, line and paragraph separators, bidi overrides and isolates. */
const unsafe = [
  ...Array.from({ length: 0x20 }, (_, code) => code),
  ...Array.from({ length: 0x21 }, (_, offset) => 0x7f + offset),
  0x2028,
  0x2029,
  ...Array.from({ length: 5 }, (_, offset) => 0x202a + offset),
  ...Array.from({ length: 4 }, (_, offset) => 0x2066 + offset),
].map((code) => String.fromCharCode(code));

describe("displayText", () => {
  test.each(unsafe.map((character) => [character.charCodeAt(0).toString(16).padStart(4, "0"), character]))(
    "U+%s is shown as an escape, never as itself",
    (_code, character) => {
      const shown = displayText(`a${character}b`);
      expect(shown).not.toContain(character);
      expect(shown).toMatch(/^a\\(u[0-9a-f]{4}|[btnfr])b$/);
    },
  );

  test("an escape sequence is shown as text: ESC becomes \\u001b, the rest stays printable", () => {
    expect(displayText("\u001b[2J\u001b[Hhi\r\n")).toBe(String.raw`\u001b[2J\u001b[Hhi\r\n`);
  });

  test("printable Unicode is kept as it is", () => {
    const text = "héllo 👋 世界 مرحبا ½ — “quotes” \\ tab-free";
    expect(displayText(text)).toBe(text);
  });
});
