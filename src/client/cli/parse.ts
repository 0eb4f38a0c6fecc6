/**
 * Parsing of one command line into a typed command. The same grammar serves
 * the interactive terminal and the scripted JSON mode. Words are separated
 * by whitespace. The last argument of `send` (the text) and of `register`,
 * `login` and `delete-account` (the password) is the rest of the line, so a
 * message keeps its inner spacing and a password may contain spaces, with no
 * quoting. (Leading and trailing spaces are trimmed.)
 */
import { deleteIdsMax, historyCountMax, readCountLimit } from "./constants.ts";

export type Command =
  | { name: "register"; username: string; password: string }
  | { name: "login"; username: string; password: string }
  | { name: "users"; pattern: string }
  | { name: "send"; recipient: string; text: string }
  /** count 0 lets the server choose its default. */
  | { name: "read"; count: number }
  | { name: "history"; count: number }
  | { name: "more" }
  | { name: "delete"; ids: number[] }
  | { name: "logout" }
  | { name: "delete-account"; password: string }
  | { name: "resend" }
  | { name: "help" }
  | { name: "quit" };

export type CommandName = Command["name"];

/** A line that does not parse: `code` is UNKNOWN_COMMAND or USAGE. */
export class CommandLineError extends Error {
  constructor(
    readonly command: string,
    readonly code: "UNKNOWN_COMMAND" | "USAGE",
    message: string,
  ) {
    super(message);
    this.name = "CommandLineError";
  }
}

/** Usage and one-line summary of every command, in the order `help` lists them. */
export const commandSyntax: Record<CommandName, { usage: string; summary: string }> = {
  register: { usage: "register <user> <password>", summary: "create an account" },
  login: { usage: "login <user> <password>", summary: "log in; new messages then appear as they arrive" },
  users: { usage: "users [pattern]", summary: "list accounts; * matches any run of characters, ? one" },
  send: { usage: "send <user> <text...>", summary: "send the rest of the line to a user" },
  read: { usage: "read [n]", summary: "show the n oldest unread messages and mark them read" },
  history: { usage: "history [n]", summary: "show your n newest messages, sent and received, with ids" },
  more: { usage: "more", summary: "next page of the last `users` or `history`" },
  delete: { usage: "delete <id> [id...]", summary: "delete messages by id (see `history`)" },
  logout: { usage: "logout", summary: "end this session" },
  "delete-account": { usage: "delete-account <password>", summary: "delete your account, confirming with its password" },
  resend: { usage: "resend", summary: "send again the last write whose outcome is unknown, with its request id: it lands once" },
  help: { usage: "help", summary: "show this list" },
  quit: { usage: "quit", summary: "leave the client (also: exit, Ctrl-D)" },
};

const aliases: Record<string, CommandName> = { exit: "quit", "?": "help" };

function isCommandName(word: string): word is CommandName {
  return Object.hasOwn(commandSyntax, word);
}

/** The typed command on `line`; null for a blank line or a `#` comment. Throws CommandLineError. */
export function parseCommandLine(line: string): Command | null {
  const words = line
    .trim()
    .split(/\s+/)
    .filter((word) => word.length > 0);
  if (words.length === 0 || words[0]!.startsWith("#")) return null;
  const word = words[0]!.toLowerCase();
  const name = aliases[word] ?? word;
  if (!isCommandName(name)) {
    throw new CommandLineError(words[0]!, "UNKNOWN_COMMAND", `unknown command "${words[0]}"; type help for the list`);
  }
  return buildCommand(name, words.slice(1), line);
}

function buildCommand(name: CommandName, args: string[], line: string): Command {
  const usage = (detail: string): never => {
    throw new CommandLineError(name, "USAGE", `${detail}; usage: ${commandSyntax[name].usage}`);
  };
  const arity = (min: number, max: number) => {
    if (args.length < min) usage(args.length === 0 ? "missing arguments" : "too few arguments");
    if (args.length > max) usage("too many arguments");
  };
  switch (name) {
    case "register":
    case "login":
      if (args.length < 2) usage(args.length === 0 ? "missing user and password" : "missing password");
      return { name, username: args[0]!, password: restAfterWords(line, 2) };
    case "users":
      arity(0, 1);
      return { name, pattern: args[0] ?? "" };
    case "send":
      if (args.length < 2) usage(args.length === 0 ? "missing recipient and text" : "missing text");
      return { name, recipient: args[0]!, text: restAfterWords(line, 2) };
    case "read":
      arity(0, 1);
      return { name, count: args[0] === undefined ? 0 : parseCount(args[0], readCountLimit, usage) };
    case "history":
      arity(0, 1);
      return { name, count: args[0] === undefined ? 0 : parseCount(args[0], historyCountMax, usage) };
    case "delete":
      arity(1, deleteIdsMax);
      return { name, ids: args.map((arg) => parseId(arg, usage)) };
    case "delete-account":
      arity(1, Infinity);
      return { name, password: restAfterWords(line, 1) };
    case "more":
    case "resend":
    case "logout":
    case "help":
    case "quit":
      arity(0, 0);
      return { name };
  }
}

/** What follows the first `count` words, inner whitespace kept, outer trimmed. */
export function restAfterWords(line: string, count: number): string {
  const prefix = new RegExp(`^\\s*(?:\\S+\\s+){${count}}`);
  return line.replace(prefix, "").trim();
}

function parseCount(text: string, max: number, usage: (detail: string) => never): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    usage(`n must be a whole number from 1 to ${max}, not "${text}"`);
  }
  return Number(text);
}

function parseId(text: string, usage: (detail: string) => never): number {
  // Ids beyond 2^53 cannot be represented exactly: refuse them rather than delete a neighbour.
  const cleaned = text.replace(/^#/, "");
  if (!/^[0-9]+$/.test(cleaned) || !Number.isSafeInteger(Number(cleaned)) || Number(cleaned) < 1) {
    usage(`message ids are positive whole numbers, not "${text}"`);
  }
  return Number(cleaned);
}
