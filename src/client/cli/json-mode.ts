/**
 * Scripted mode (`--json`): commands from stdin, one per line, run in order;
 * exactly one JSON object per line on stdout for each result, error and live
 * event. No prompts, no colour. Ends with exit code 0 at end of input, once
 * the command in flight has finished.
 *
 *   {"ok":true,"command":"send","result":{"id":7,"sentAtMs":...}}
 *   {"ok":false,"command":"send","code":"NOT_FOUND","error":"Recipient does not exist: bob"}
 *   {"event":"message","message":{"id":8,"sender":"bob",...}}
 *   {"event":"notice","text":"live messages interrupted (...)"}
 *   {"event":"resumed","missedCount":2,"downMs":17200,"attempts":11}   (live again; the 2 messages follow)
 *   {"event":"live"}   (the live stream is registered: no new message is missed from here)
 */
import type { TlsMaterial } from "../../rpc/tls.ts";
import { createInterface } from "node:readline";
import { describeError, runCommand } from "./commands.ts";
import { CommandLineError, parseCommandLine, type Command } from "./parse.ts";
import { Session } from "./session.ts";

export interface JsonModeOptions {
  /** Replicas to try; the client finds the leader among them and follows it. */
  addresses: string[];
  /** The CA to verify the replicas against (TLS); absent: plain text. */
  tls?: TlsMaterial | null;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

export async function runJsonMode(options: JsonModeOptions): Promise<number> {
  const output = options.output ?? process.stdout;
  const emit = (object: object) => output.write(`${JSON.stringify(object)}\n`);
  const session = new Session(
    options.addresses,
    {
      message: (message) => emit({ event: "message", message }),
      notice: (text) => emit({ event: "notice", text }),
      live: () => emit({ event: "live" }),
      resumed: (resumption) => emit({ event: "resumed", ...resumption }),
    },
    options.tls,
  );
  // One async iterator for all input: lines are neither lost nor reordered.
  const lines = createInterface({ input: options.input ?? process.stdin, terminal: false, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const quit = await handleLine(line, session, emit);
      if (quit) break;
    }
  } finally {
    lines.close();
    await session.close();
  }
  return 0;
}

/** Runs one line and emits its one result or error; true when it was `quit`. */
async function handleLine(line: string, session: Session, emit: (object: object) => void): Promise<boolean> {
  let command: Command | null;
  try {
    command = parseCommandLine(line);
  } catch (error) {
    emitError(emit, error instanceof CommandLineError ? error.command : "", error);
    return false;
  }
  if (command === null) return false;
  try {
    const result = await runCommand(session, command);
    emit({ ok: true, command: command.name, result });
  } catch (error) {
    emitError(emit, command.name, error);
  }
  return command.name === "quit";
}

function emitError(emit: (object: object) => void, command: string, error: unknown): void {
  const { code, message } = describeError(error);
  emit({ ok: false, command, code, error: message });
}
