/**
 * The interactive terminal client as a person uses it, on a pretend
 * terminal (raw keys in, screen text out): a command that waits for the
 * cluster says so and Ctrl-C stops the wait; passwords are asked for
 * without echo; errors read as sentences; history reads oldest first, like
 * `read`, with times that name their zone; the prompt shows the replica in
 * use.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import { passwordWanted, runInteractive } from "../src/client/cli/terminal.ts";
import { formatTime } from "../src/client/cli/format.ts";
import { freePort } from "../src/tools/processes/free-port.ts";
import { startTestReplica, waitFor, type TestReplica } from "./support/replica.ts";
import { inProcessReplicaMs } from "./support/timeouts.ts";

const password = "correct horse battery";
let replica: TestReplica | null = null;

afterEach(async () => {
  await replica?.destroy();
  replica = null;
});

/** A terminal: keys typed into `input`, everything drawn kept in `screen()`. */
function pretendTerminal(addresses: string[]) {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
  let drawn = "";
  output.on("data", (chunk: Buffer) => (drawn += chunk.toString()));
  const done = runInteractive({ addresses, input, output });
  // Escape sequences (cursor moves, colours) are not what a person reads.
  const escapeSequence = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, "g");
  const screen = () => drawn.replace(escapeSequence, "");
  return {
    type: (keys: string) => input.write(keys),
    screen,
    until: (text: string | RegExp) =>
      waitFor(() => (typeof text === "string" ? screen().includes(text) : text.test(screen())), inProcessReplicaMs, `the screen to show ${text}\n${screen()}`),
    quit: async () => {
      input.write("quit\r");
      await done;
    },
  };
}

describe("the terminal client", () => {
  test(
    "a command waiting for the cluster says so, and Ctrl-C stops the wait without ending the client",
    async () => {
      const nobody = `127.0.0.1:${await freePort()}`;
      const terminal = pretendTerminal([nobody]);
      terminal.type("login alice\r");
      await terminal.until("password for alice: ");
      terminal.type(`${password}\r`);
      await terminal.until("waiting for the cluster… (Ctrl-C stops waiting)");
      terminal.type("\x03");
      await terminal.until("stopped waiting. The login was sent and the client keeps trying it");
      await terminal.until(`guest@${nobody}> `);
      expect(terminal.screen()).not.toContain(password);
      await terminal.quit();
    },
    inProcessReplicaMs,
  );

  test(
    "asks for passwords without echo, speaks in sentences, and shows history oldest first with the time zone",
    async () => {
      replica = await startTestReplica();
      const terminal = pretendTerminal([replica.replica.address]);
      terminal.type("register carol\r");
      await terminal.until("password for carol: ");
      terminal.type(`${password}\r`);
      await terminal.until("account carol created");
      terminal.type("login carol\r");
      terminal.type(`${password}\r`);
      await terminal.until("logged in as carol");
      await terminal.until(`carol@${replica.replica.address}> `);
      terminal.type("send nobody-here hi\r");
      await terminal.until("error: Recipient does not exist: nobody-here.");
      terminal.type("send carol first\r");
      await terminal.until("sent #");
      terminal.type("send carol second\r");
      await terminal.until(/sent #\d+[\s\S]*sent #\d+/);
      terminal.type("history\r");
      const history = () => terminal.screen().slice(terminal.screen().lastIndexOf("> history"));
      await waitFor(() => history().includes("carol -> carol: second"), inProcessReplicaMs, "history");
      expect(history().indexOf("carol -> carol: first")).toBeLessThan(history().indexOf("carol -> carol: second"));
      expect(history()).toMatch(/#\d+ \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC([+-]\d{2}:\d{2})? carol -> carol: first/);
      // Typed ahead of its prompt or not, the password never shows.
      expect(terminal.screen()).not.toContain(password);
      await terminal.quit();
    },
    inProcessReplicaMs,
  );

  test("knows which lines lack a password, and names the zone of every time", () => {
    expect(passwordWanted("login alice")).toBe(" for alice");
    expect(passwordWanted("  register bob ")).toBe(" for bob");
    expect(passwordWanted("login alice secret-pass")).toBeNull();
    expect(passwordWanted("delete-account")).toBe(" (to confirm deleting the account)");
    expect(passwordWanted("send alice hi")).toBeNull();
    expect(formatTime(Date.UTC(2025, 0, 31, 10, 31))).toMatch(/^2025-01-3[01] \d{2}:\d{2} UTC([+-]\d{2}:\d{2})?$/);
  });
});
