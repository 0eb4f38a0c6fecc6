/**
 * The interactive terminal client. One readline interface owns the screen:
 * commands run one at a time in the order typed, and a live message is
 * printed above the prompt, which is then redrawn with whatever the user
 * had typed so far.
 */
import { clearLine, createInterface, cursorTo, type Interface } from "node:readline";
import { displayText } from "../../display-text.ts";
import type { ChatMessage } from "../chat-client.ts";
import { describeError, runCommand } from "./commands.ts";
import { interactiveHistoryLines } from "./constants.ts";
import { coloured, formatMessage, formatResult, plain, type Paint } from "./format.ts";
import { resumedText } from "./live-feed.ts";
import { parseCommandLine, type Command } from "./parse.ts";
import { Session } from "./session.ts";

export interface TerminalOptions {
  /** Replicas to try; the client finds the leader among them and follows it. */
  addresses: string[];
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream & { isTTY?: boolean };
}

export async function runInteractive(options: TerminalOptions): Promise<number> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const terminal = Boolean(output.isTTY && (input as { isTTY?: boolean }).isTTY);
  const paint: Paint = terminal && !process.env.NO_COLOR ? coloured : plain;
  const rl = createInterface({ input, output, terminal, historySize: interactiveHistoryLines });
  const screen = new Screen(rl, output, terminal);
  const session = new Session(options.addresses, {
    message: (message) => screen.printAbove(formatLive(message, paint)),
    // A notice quotes server errors and addresses: shown through displayText like every server text (format.ts).
    notice: (text) => screen.printAbove(paint("yellow", `! ${displayText(text)}`)),
    resumed: (resumption) => screen.printAbove(paint("yellow", `! ${resumedText(resumption)}`)),
  });
  screen.print(`chat client, replicas ${options.addresses.join(", ")}. Type help for commands, quit to leave.`);
  rl.on("SIGINT", () => (rl.line.length > 0 ? screen.clearInput() : rl.close()));
  try {
    screen.prompt(promptText(session, paint));
    for await (const line of rl) {
      if (!(await handleLine(line, session, screen, paint))) break;
      screen.prompt(promptText(session, paint));
    }
  } finally {
    rl.close();
    await session.close();
  }
  return 0;
}

/** Runs one typed line; false means the user asked to quit. */
async function handleLine(line: string, session: Session, screen: Screen, paint: Paint): Promise<boolean> {
  let command: Command | null;
  try {
    command = parseCommandLine(line);
  } catch (error) {
    screen.print(errorLine(error, paint));
    return true;
  }
  if (command === null) return true;
  if (command.name === "login" || command.name === "register" || command.name === "delete-account") {
    screen.forgetLastLine(); // it holds a password
  }
  if (command.name === "quit") return false;
  screen.busy = true;
  try {
    const result = await runCommand(session, command);
    for (const text of formatResult(command.name, result, paint, session.username)) screen.print(text);
  } catch (error) {
    screen.print(errorLine(error, paint));
  } finally {
    screen.busy = false;
  }
  return true;
}

function errorLine(error: unknown, paint: Paint): string {
  const { code, message } = describeError(error);
  return `${paint("red", "error")} ${displayText(code)}: ${displayText(message)}`;
}

function formatLive(message: ChatMessage, paint: Paint): string {
  return `${paint("cyan", "new")} ${formatMessage(message, paint)}`;
}

/** `alice@127.0.0.1:50051> `: who is logged in, and which replica answers. */
function promptText(session: Session, paint: Paint): string {
  const who = session.username ? displayText(session.username) : "guest";
  return `${paint("green", who)}@${displayText(session.client.currentAddress)}> `;
}

/** The screen's two kinds of output: replies in turn, and live lines that must not clobber typing. */
class Screen {
  /** True while a command runs: no prompt is on screen then, so none is redrawn. */
  busy = false;
  /** Input ended (Ctrl-D, end of a pipe); lines already read still run, but readline refuses prompts. */
  private closed = false;

  constructor(
    private readonly rl: Interface,
    private readonly output: NodeJS.WritableStream,
    private readonly terminal: boolean,
  ) {
    rl.on("close", () => (this.closed = true));
  }

  print(text: string): void {
    this.output.write(`${text}\n`);
  }

  prompt(text: string): void {
    if (this.closed) return;
    this.rl.setPrompt(text);
    this.rl.prompt();
  }

  /** Erases the prompt line, prints `text`, then redraws the prompt with the user's unfinished input. */
  printAbove(text: string): void {
    if (!this.terminal || this.busy || this.closed) {
      this.print(text);
      return;
    }
    clearLine(this.output, 0);
    cursorTo(this.output, 0);
    this.print(text);
    this.rl.prompt(true);
  }

  clearInput(): void {
    if (this.closed) return;
    // Ctrl-E then Ctrl-U: to the end of the line, then delete back to its start.
    this.rl.write(null, { ctrl: true, name: "e" });
    this.rl.write(null, { ctrl: true, name: "u" });
  }

  forgetLastLine(): void {
    const history = (this.rl as unknown as { history?: string[] }).history;
    history?.shift();
  }
}
