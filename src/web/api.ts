/**
 * The HTTP API the page calls: POST /api/<name> with one JSON object,
 * answered with one JSON object (see protocol.ts). Each handler reads and
 * type-checks its fields, calls the session's client library, and returns
 * only what the page may see (never the session token). The service
 * validates the values themselves (src/service/validate.ts), so its rules
 * live in one place; the gateway only checks shapes.
 */
import { GatewayError, type FieldHints } from "./errors.ts";
import type { BrowserSession } from "./browser-session.ts";
import { toWire } from "./browser-session.ts";
import type { Api, ApiName } from "./protocol.ts";

type Body = Record<string, unknown>;

interface Handler<Name extends ApiName> {
  /** Changes state: a request that got no answer may or may not have taken effect. */
  write: boolean;
  /** Needs someone logged in in this browser session. */
  loggedIn: boolean;
  /** Which field a service error is about, by the words of its message. */
  hints: FieldHints;
  run(session: BrowserSession, body: Body): Promise<Api[Name]["reply"]>;
}

const credentialHints: FieldHints = [
  ["password", /password/i],
  ["username", /user/i],
];

export const handlers: { [Name in ApiName]: Handler<Name> } = {
  hello: { write: false, loggedIn: false, hints: [], run: async (session) => session.state() },
  register: {
    write: true,
    loggedIn: false,
    hints: credentialHints,
    run: async (session, body) => {
      const reply = await session.client.createAccount(text(body, "username"), text(body, "password"));
      return { username: reply.username };
    },
  },
  login: {
    write: true,
    loggedIn: false,
    hints: credentialHints,
    run: (session, body) => session.login(text(body, "username"), text(body, "password")),
  },
  logout: { write: true, loggedIn: true, hints: [], run: (session) => session.end((client) => client.logout()) },
  accounts: {
    write: false,
    loggedIn: true,
    hints: [
      ["pattern", /pattern/i],
      ["pageSize", /page size/i],
    ],
    run: async (session, body) => {
      const reply = await session.client.listAccounts(text(body, "pattern"), integer(body, "pageSize"), text(body, "pageToken"));
      return { usernames: reply.usernames, nextPageToken: reply.nextPageToken };
    },
  },
  send: {
    write: true,
    loggedIn: true,
    hints: [
      ["recipient", /recipient|user/i],
      ["text", /text/i],
    ],
    run: async (session, body) => ({ message: await session.send(text(body, "recipient"), text(body, "text")) }),
  },
  "read-new": {
    write: true,
    loggedIn: true,
    hints: [["count", /count/i]],
    run: async (session, body) => {
      const reply = await session.client.readNewMessages(integer(body, "count"));
      return { messages: reply.messages.map(toWire), unreadRemaining: Number(reply.unreadRemaining) };
    },
  },
  "mark-read": {
    write: true,
    loggedIn: true,
    hints: [["ids", /id/i]],
    run: async (session, body) => ({ marked: (await session.client.markRead(ids(body))).marked }),
  },
  history: {
    write: false,
    loggedIn: true,
    hints: [["pageSize", /page size/i]],
    run: async (session, body) => {
      const reply = await session.client.listMessages(integer(body, "pageSize"), integer(body, "beforeId"));
      return { messages: reply.messages.map(toWire), nextBeforeId: Number(reply.nextBeforeId) };
    },
  },
  "delete-messages": {
    write: true,
    loggedIn: true,
    hints: [["ids", /id|message/i]],
    run: async (session, body) => ({ deleted: (await session.client.deleteMessages(ids(body))).deleted }),
  },
  "delete-account": {
    write: true,
    loggedIn: true,
    hints: [["password", /password/i]],
    run: (session, body) => {
      const password = text(body, "password");
      return session.end((client) => client.deleteAccount(password));
    },
  },
};

export function isApiName(name: string): name is ApiName {
  return Object.hasOwn(handlers, name);
}

function text(body: Body, field: string): string {
  const value = body[field] ?? "";
  if (typeof value !== "string") throw new GatewayError("BAD_REQUEST", 400, `${field} must be text`, field);
  return value;
}

function integer(body: Body, field: string): number {
  const value = body[field] ?? 0;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new GatewayError("BAD_REQUEST", 400, `${field} must be a whole number, 0 or more`, field);
  }
  return value;
}

function ids(body: Body): number[] {
  const value = body.ids;
  if (!Array.isArray(value) || !value.every((id) => typeof id === "number" && Number.isSafeInteger(id))) {
    throw new GatewayError("BAD_REQUEST", 400, "ids must be a list of message ids", "ids");
  }
  return value as number[];
}
