/**
 * The command table: what each parsed command does with a Session, and the
 * plain JSON-ready result it yields. Front ends only parse, dispatch and
 * print; no front end talks to the library directly.
 */
import { ChatClientError, type ChatMessage } from "../chat-client.ts";
import { historyCountDefault, usersPageSize } from "./constants.ts";
import { CommandLineError, commandSyntax, type Command, type CommandName } from "./parse.ts";
import type { Session } from "./session.ts";

/** Plain data, printed as JSON in JSON mode and formatted for people in the terminal. */
export type CommandResult = object;

export interface UsersPage {
  usernames: string[];
  more: boolean;
}

export interface HistoryPage {
  messages: ChatMessage[];
  more: boolean;
}

type Handler<Name extends CommandName> = (session: Session, command: Extract<Command, { name: Name }>) => Promise<CommandResult>;

const handlers: { [Name in CommandName]: Handler<Name> } = {
  register: async (session, { username, password }) => session.client.createAccount(username, password),
  login: async (session, { username, password }) => {
    const reply = await session.login(username, password);
    return { username: reply.username, unreadCount: reply.unreadCount, server: session.client.currentAddress };
  },
  users: async (session, { pattern }) => usersPage(session, pattern, ""),
  send: async (session, { recipient, text }) => session.client.sendMessage(recipient, text),
  read: async (session, { count }) => session.client.readNewMessages(count),
  history: async (session, { count }) => historyPage(session, count || historyCountDefault, 0),
  more: async (session) => morePage(session),
  delete: async (session, { ids }) => session.client.deleteMessages(ids),
  logout: async (session) => {
    const username = session.username;
    await session.endSession(() => session.client.logout());
    return { username };
  },
  "delete-account": async (session, { password }) => {
    const username = session.username;
    await session.endSession(() => session.client.deleteAccount(password));
    return { username };
  },
  resend: async (session) => {
    const resent = await session.client.resendUnsettled();
    if (!resent) throw new CommandLineError("resend", "USAGE", "no write is waiting with an unknown outcome");
    return { resent: resent.name };
  },
  help: async () => ({ commands: Object.values(commandSyntax) }),
  // The front ends stop reading on quit; there is nothing to ask the server.
  quit: async () => ({}),
};

/** Runs one command; failures are thrown as ChatClientError or CommandLineError. */
export async function runCommand(session: Session, command: Command): Promise<CommandResult> {
  // Messages shown live are marked read in the background; finish that first so `read` does not repeat them.
  await session.settled();
  const handler = handlers[command.name] as Handler<CommandName>;
  return handler(session, command);
}

async function usersPage(session: Session, pattern: string, pageToken: string): Promise<CommandResult> {
  const reply = await session.client.listAccounts(pattern, usersPageSize, pageToken);
  const more = reply.nextPageToken !== "";
  session.continuation = more ? { listing: "users", pattern, pageToken: reply.nextPageToken } : null;
  return { usernames: reply.usernames, more } satisfies UsersPage;
}

async function historyPage(session: Session, count: number, beforeId: number): Promise<CommandResult> {
  const reply = await session.client.listMessages(count, beforeId);
  const more = reply.nextBeforeId !== 0;
  session.continuation = more ? { listing: "history", count, beforeId: reply.nextBeforeId } : null;
  return { messages: reply.messages, more } satisfies HistoryPage;
}

async function morePage(session: Session): Promise<CommandResult> {
  const next = session.continuation;
  if (!next) throw new CommandLineError("more", "USAGE", "nothing more to show: run users or history first");
  if (next.listing === "users") return usersPage(session, next.pattern, next.pageToken);
  return historyPage(session, next.count, next.beforeId);
}

/** A failure as the one line a user sees: a code and the server's (or parser's) message. */
export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof ChatClientError || error instanceof CommandLineError) {
    return { code: error.code, message: error.message };
  }
  // Anything else is a bug in the client; still one line, so a session is never lost to it.
  return { code: "INTERNAL", message: error instanceof Error ? error.message : String(error) };
}
