/**
 * The interactive terminal client. One readline interface owns the screen:
 * commands run one at a time in the order typed, and a live message is
 * printed above the prompt, which is then redrawn (with the replica in use
 * now) and with whatever the user had typed so far. A command that waits
 * for the cluster says so after a second; Ctrl-C then stops waiting (a
 * write already sent may still land, and the client says so when it does).
 * `login <user>`, `register <user>` and `delete-account` typed without a
 * password ask for it without echo.
 */
import type { TlsMaterial } from "../../rpc/tls.ts";
import { clearLine, createInterface, cursorTo, type Interface } from "node:readline";
import { displayText } from "../../display-text.ts";
import type { ChatMessage } from "../chat-client.ts";
import { failureSentence, sentence } from "../failure-text.ts";
import { describeError, runCommand, type CommandResult } from "./commands.ts";
import { interactiveHistoryLines, waitingNoticeMs } from "./constants.ts";
import { coloured, formatMessage, formatResult, plain, type Paint } from "./format.ts";
import { resumedText } from "./live-feed.ts";
import { CommandLineError, parseCommandLine, type Command, type CommandName } from "./parse.ts";
import { Session } from "./session.ts";

export interface TerminalOptions {
  /** Replicas to try; the client finds the leader among them and follows it. */
  addresses: string[];
  /** The CA to verify the replicas against (TLS); absent: plain text. */
  tls?: TlsMaterial | null;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Commands that change state: one that got no answer may or may not have taken effect. */
const writeCommands: ReadonlySet<CommandName> = new Set(["register", "login", "send", "read", "delete", "logout", "delete-account"]);

export async function runInteractive(options: TerminalOptions): Promise<number> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const terminal = Boolean(output.isTTY && (input as { isTTY?: boolean }).isTTY);
  const paint: Paint = terminal && !process.env.NO_COLOR ? coloured : plain;
  const rl = createInterface({ input, output, terminal, historySize: interactiveHistoryLines });
  const screen = new Screen(rl, output, terminal);
  const session = new Session(
    options.addresses,
    {
      message: (message) => screen.printAbove(formatLive(message, paint)),
      // A notice quotes server errors and addresses: shown through displayText like every server text (format.ts).
      notice: (text) => screen.printAbove(paint("yellow", `! ${displayText(text)}`)),
      resumed: (resumption) => screen.printAbove(paint("yellow", `! ${resumedText(resumption)}`)),
    },
    options.tls,
  );
  screen.promptText = () => promptText(session, paint);
  screen.print(`chat client, replicas ${options.addresses.join(", ")}. Type help for commands, quit to leave.`);
  screen.print("login <user> (or register <user>) asks for the password without showing it.");
  rl.on("SIGINT", () => {
    if (screen.interrupt()) return;
    if (rl.line.length > 0) screen.clearInput();
    else rl.close();
  });
  const lines = rl[Symbol.asyncIterator]();
  try {
    screen.prompt();
    for (;;) {
      let line = await screen.nextLine(lines);
      if (line === null) break;
      const asking = passwordWanted(line);
      if (asking) {
        const password = await screen.readHidden(lines, `password${asking}: `);
        if (password === null) break;
        line = `${line.trim()} ${password}`;
      }
      if (!(await handleLine(line, session, screen, paint))) break;
      screen.prompt();
    }
  } finally {
    rl.close();
    await session.close();
  }
  return 0;
}

/** ` for alice` when `line` is login/register with a user but no password, or delete-account alone; else null. */
export function passwordWanted(line: string): string | null {
  const words = line.trim().split(/\s+/);
  const command = words[0]?.toLowerCase();
  if ((command === "login" || command === "register") && words.length === 2) return ` for ${words[1]}`;
  if (command === "delete-account" && words.length === 1) return " (to confirm deleting the account)";
  return null;
}

/** Runs one typed line; false means the user asked to quit. */
async function handleLine(line: string, session: Session, screen: Screen, paint: Paint): Promise<boolean> {
  let command: Command | null;
  try {
    command = parseCommandLine(line);
  } catch (error) {
    screen.print(errorLine(error, null, paint));
    return true;
  }
  if (command === null) return true;
  if (command.name === "login" || command.name === "register" || command.name === "delete-account") {
    screen.forgetLastLine(); // it may hold a password
  }
  if (command.name === "quit") return false;
  const { name } = command;
  const running = runCommand(session, command);
  const outcome = await screen.whileBusy(running, () => screen.print(paint("yellow", "waiting for the cluster… (Ctrl-C stops waiting)")));
  if (outcome === "interrupted") {
    screen.print(paint("yellow", stoppedWaitingText(name)));
    // The library keeps trying with the same request id; say how it ended when it does.
    running.then(
      (result) => screen.printAbove(paint("yellow", `(the ${name} you stopped waiting for finished after all)`), ...resultLines(name, result, session, paint)),
      (error) => screen.printAbove(paint("yellow", `(the ${name} you stopped waiting for failed after all)`), errorLine(error, name, paint)),
    );
    return true;
  }
  if ("error" in outcome) screen.print(errorLine(outcome.error, name, paint));
  else for (const text of resultLines(name, outcome.result, session, paint)) screen.print(text);
  return true;
}

function resultLines(name: CommandName, result: CommandResult, session: Session, paint: Paint): string[] {
  return formatResult(name, result, paint, session.username);
}

function stoppedWaitingText(name: CommandName): string {
  if (!writeCommands.has(name)) return "stopped waiting.";
  return `stopped waiting. The ${name} was sent and the client keeps trying it (with the same request id, so it lands at most once); you will see how it ends.`;
}

/** One line for people: a sentence, never raw gRPC text. */
function errorLine(error: unknown, command: CommandName | null, paint: Paint): string {
  // `resend` sends it again with its request id, so it lands once whatever happened to the first try.
  const howToCheck = "type `resend` to send it again safely (it lands once), or look";
  const text =
    failureSentence(error, { isWrite: command !== null && writeCommands.has(command), howToCheck }) ??
    (error instanceof CommandLineError ? sentence(error.message) : sentence(describeError(error).message));
  return `${paint("red", "error:")} ${displayText(text)}`;
}

function formatLive(message: ChatMessage, paint: Paint): string {
  return `${paint("cyan", "new")} ${formatMessage(message, paint)}`;
}

/** `alice@127.0.0.1:50051> `: who is logged in, and which replica answers. */
function promptText(session: Session, paint: Paint): string {
  const who = session.username ? displayText(session.username) : "guest";
  return `${paint("green", who)}@${displayText(session.client.currentAddress)}> `;
}

type Outcome = { result: CommandResult } | { error: unknown } | "interrupted";

/** The screen's two kinds of output: replies in turn, and live lines that must not clobber typing. */
class Screen {
  /** The prompt as it should read now (the replica in use may have changed since it was drawn). */
  promptText: () => string = () => "> ";
  /** True while a command runs: no prompt is on screen then, so none is redrawn. */
  private busy = false;
  /** Input ended (Ctrl-D, end of a pipe); lines already read still run, but readline refuses prompts. */
  private closed = false;
  /** While reading a password: nothing typed is echoed. */
  private muted = false;
  private onInterrupt: (() => void) | null = null;

  constructor(
    private readonly rl: Interface,
    private readonly output: NodeJS.WritableStream,
    private readonly terminal: boolean,
  ) {
    rl.on("close", () => (this.closed = true));
    // Mute as soon as a line that wants a password is entered, before the keys typed after it are echoed.
    rl.on("line", (line: string) => {
      if (passwordWanted(line)) this.muted = true;
    });
    // readline echoes through this method; while muted it shows nothing.
    const echoing = rl as unknown as { _writeToOutput(text: string): void };
    const echo = echoing._writeToOutput.bind(rl);
    echoing._writeToOutput = (text) => {
      if (!this.muted) echo(text);
    };
  }

  print(text: string): void {
    this.output.write(`${text}\n`);
  }

  prompt(): void {
    if (this.closed) return;
    this.rl.setPrompt(this.promptText());
    this.rl.prompt();
  }

  async nextLine(lines: AsyncIterator<string>): Promise<string | null> {
    const next = await lines.next();
    return next.done ? null : next.value;
  }

  /** Asks with `label` and reads the next line without echoing it (nor keeping it in the history); null at end of input. */
  async readHidden(lines: AsyncIterator<string>, label: string): Promise<string | null> {
    if (!this.closed) this.output.write(label);
    this.muted = true;
    try {
      const line = await this.nextLine(lines);
      if (line !== null) this.forgetLastLine();
      return line;
    } finally {
      this.muted = false;
      if (this.terminal) this.output.write("\n");
    }
  }

  /**
   * Waits for `running`; after waitingNoticeMs calls `onSlow` once. Ctrl-C
   * meanwhile stops the wait ("interrupted"), not the call.
   */
  async whileBusy(running: Promise<CommandResult>, onSlow: () => void): Promise<Outcome> {
    const interrupted = Promise.withResolvers<"interrupted">();
    this.busy = true;
    this.onInterrupt = () => interrupted.resolve("interrupted");
    const slow = setTimeout(onSlow, waitingNoticeMs);
    try {
      return await Promise.race([
        running.then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        ),
        interrupted.promise,
      ]);
    } finally {
      clearTimeout(slow);
      this.busy = false;
      this.onInterrupt = null;
    }
  }

  /** Ctrl-C: stops waiting for a running command; false when none runs. */
  interrupt(): boolean {
    if (!this.onInterrupt) return false;
    this.onInterrupt();
    return true;
  }

  /** Erases the prompt line, prints `texts`, then redraws the prompt (as it reads now) with the user's unfinished input. */
  printAbove(...texts: string[]): void {
    if (!this.terminal || this.busy || this.closed || this.muted) {
      for (const text of texts) this.print(text);
      return;
    }
    clearLine(this.output, 0);
    cursorTo(this.output, 0);
    for (const text of texts) this.print(text);
    this.rl.setPrompt(this.promptText());
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
