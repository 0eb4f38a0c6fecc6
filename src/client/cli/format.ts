/**
 * Turns command results and live messages into lines for people. Colour is
 * a parameter, not a global, so piped output and tests get plain text.
 * Whatever came from the server (names, texts, addresses) is shown through
 * displayText (src/display-text.ts): a message must not drive the terminal.
 */
import { styleText } from "node:util";
import { displayText } from "../../display-text.ts";
import type { ChatMessage } from "../chat-client.ts";
import type { HistoryPage, UsersPage } from "./commands.ts";
import { commandSyntax, type CommandName } from "./parse.ts";

type Style = Parameters<typeof styleText>[0];
export type Paint = (style: Style, text: string) => string;

export const plain: Paint = (_style, text) => text;
export const coloured: Paint = (style, text) => styleText(style, text);

/** Local time to the minute, with its zone: `2025-01-31 10:31 UTC+01:00` (two users in two zones can tell the same moment). */
export function formatTime(sentAtMs: number): string {
  const at = new Date(sentAtMs);
  const pad = (value: number) => String(value).padStart(2, "0");
  const offsetMinutes = -at.getTimezoneOffset();
  const sign = offsetMinutes < 0 ? "-" : "+";
  const zone = offsetMinutes === 0 ? "UTC" : `UTC${sign}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())} ${zone}`;
}

/** `#12 2025-01-31 10:31 alice -> bob: hi`, with an unread marker for received, unread messages. */
export function formatMessage(message: ChatMessage, paint: Paint, viewer: string | null = null): string {
  const unread = message.recipient === viewer && !message.read ? paint("yellow", " (unread)") : "";
  const who = `${paint("bold", displayText(message.sender))} -> ${displayText(message.recipient)}`;
  return `${paint("dim", `#${message.id} ${formatTime(message.sentAtMs)}`)} ${who}: ${displayText(message.text)}${unread}`;
}

export function usageText(): string {
  const width = Math.max(...Object.values(commandSyntax).map((syntax) => syntax.usage.length));
  return Object.values(commandSyntax)
    .map((syntax) => `  ${syntax.usage.padEnd(width)}  ${syntax.summary}`)
    .join("\n");
}

/** The lines that report `result` of `command` in the terminal. */
export function formatResult(command: CommandName, result: object, paint: Paint, viewer: string | null): string[] {
  const value = result as Record<string, unknown>;
  const username = value.username ? displayText(String(value.username)) : "";
  switch (command) {
    case "register":
      return [`account ${username} created; now: login ${username}`];
    case "login":
      return formatLogin(value, paint);
    case "users":
      return formatUsers(result as UsersPage);
    case "send":
      return [`sent #${value.id}`];
    case "read":
      return formatRead(result as { messages: ChatMessage[]; unreadRemaining: number }, paint, viewer);
    case "history":
      return formatHistory(result as HistoryPage, paint, viewer);
    case "more":
      return "usernames" in value ? formatUsers(result as UsersPage) : formatHistory(result as HistoryPage, paint, viewer);
    case "delete":
      return [`deleted ${value.deleted} message${value.deleted === 1 ? "" : "s"}`];
    case "logout":
      return [username ? `logged out ${username}` : "logged out"];
    case "delete-account":
      return [username ? `account ${username} deleted` : "account deleted"];
    case "resend":
      return [`${displayText(String(value.resent))} resent with its request id: it has now taken effect, once`];
    case "help":
      return ["Commands:", usageText()];
    case "quit":
      return [];
  }
}

function formatLogin(value: Record<string, unknown>, paint: Paint): string[] {
  const unread = Number(value.unreadCount);
  const hint = unread > 0 ? paint("yellow", `${unread} unread (type read)`) : "no unread messages";
  return [`logged in as ${displayText(String(value.username))} on ${displayText(String(value.server))}; ${hint}; new messages appear as they arrive`];
}

function formatUsers(page: UsersPage): string[] {
  if (page.usernames.length === 0) return ["no matching accounts"];
  return [page.usernames.map(displayText).join("  "), ...(page.more ? ["(more: type more)"] : [])];
}

function formatRead(reply: { messages: ChatMessage[]; unreadRemaining: number }, paint: Paint, viewer: string | null): string[] {
  const lines = reply.messages.map((message) => formatMessage(message, paint, viewer));
  if (lines.length === 0) lines.push("no unread messages");
  if (reply.unreadRemaining > 0) lines.push(`${reply.unreadRemaining} more unread (type read)`);
  return lines;
}

/**
 * Oldest first, as `read` and live messages are: a page holds the newest
 * messages not shown yet, and `more` brings the ones before them.
 */
function formatHistory(page: HistoryPage, paint: Paint, viewer: string | null): string[] {
  if (page.messages.length === 0) return ["no messages"];
  const lines = [...page.messages].reverse().map((message) => formatMessage(message, paint, viewer));
  return page.more ? ["(older messages: type more)", ...lines] : lines;
}
