/**
 * fast-check generators of operation logs, for property tests of the
 * projections. A log is generated as abstract steps ("alice logs in with a
 * stale account index", "retry an earlier write") and then materialized
 * into log entries. The small universe of usernames makes collisions
 * common: duplicate accounts, sends to missing users, deletes of other
 * users' messages, delete-account then re-create, retried (client id, seq).
 *
 * Materializing keeps a rough model of accounts and sessions only to pick
 * plausible arguments (a valid token, the current account index) often;
 * the model is a guide for coverage, never an oracle: tests compare the
 * projections with themselves, so a wrong guess only costs coverage.
 */
import fc from "fast-check";
import type { Entry } from "../../src/log/raft/types.ts";
import { bootstrapEntry } from "../../src/log/raft/membership.ts";
import type { ChatOperation, OperationEnvelope } from "../../src/projections/operations.ts";

export const usernames = ["alice", "bob", "carol"] as const;
export const clientIds = ["client-aaaaaaaaaaaaaaaa", "client-bbbbbbbbbbbbbbbb"] as const;
const texts = ["hi", "hello there", "héllo 🌍", "", "x".repeat(300), "line\nbreak \u001b[31mred"];
const startMs = 1_700_000_000_000;
/** Short beside the clock's steps (up to a minute), so some sessions in a log end by idleness. */
const sessionIdleMs = 120_000;

type Username = (typeof usernames)[number];
/** Which session token a step presents. */
type TokenChoice = { kind: "own" } | { kind: "any"; pick: number } | { kind: "bogus" };
/**
 * Which message ids a step names: one the model thinks the user sent or
 * received, any SendMessage index (maybe rejected or since deleted), or an
 * id that never existed.
 */
type IdChoice = { kind: "mine"; pick: number } | { kind: "sent"; pick: number } | { kind: "missing" };

export type Step =
  | { kind: "noop"; newTerm: boolean }
  | { kind: "create"; user: Username }
  | { kind: "login"; user: Username; staleAccount: boolean }
  | { kind: "logout"; user: Username; token: TokenChoice }
  | { kind: "send"; user: Username; token: TokenChoice; recipient: string; text: string }
  | { kind: "markRead"; user: Username; token: TokenChoice; ids: IdChoice[] }
  | { kind: "readNew"; user: Username; token: TokenChoice; count: number }
  | { kind: "deleteMessages"; user: Username; token: TokenChoice; ids: IdChoice[] }
  | { kind: "deleteAccount"; user: Username; token: TokenChoice }
  | { kind: "retry"; back: number };

/** How the writer identified itself, and the leader's clock advance before the write. */
export interface StepWithMeta {
  step: Step;
  client: number | null;
  advanceMs: number;
}

const user = fc.constantFrom(...usernames);
const token: fc.Arbitrary<TokenChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: "own" as const }) },
  { weight: 2, arbitrary: fc.nat(20).map((pick) => ({ kind: "any" as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: "bogus" as const }) },
);
const idChoice: fc.Arbitrary<IdChoice> = fc.oneof(
  { weight: 12, arbitrary: fc.nat(50).map((pick) => ({ kind: "mine" as const, pick })) },
  { weight: 2, arbitrary: fc.nat(50).map((pick) => ({ kind: "sent" as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: "missing" as const }) },
);
const ids = fc.array(idChoice, { minLength: 1, maxLength: 3 });

export const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("noop" as const), newTerm: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("create" as const), user }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("login" as const), user, staleAccount: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("logout" as const), user, token }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("send" as const),
      user,
      token,
      // "dave" never has an account: a send to a missing user.
      recipient: fc.constantFrom<string>(...usernames, "dave"),
      text: fc.constantFrom(...texts),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("markRead" as const), user, token, ids }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("readNew" as const), user, token, count: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("deleteMessages" as const), user, token, ids }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteAccount" as const), user, token }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("retry" as const), back: fc.nat(30) }) },
);

export const stepWithMetaArbitrary: fc.Arbitrary<StepWithMeta> = fc.record({
  step: stepArbitrary,
  // null: a write without (client id, seq), which is never deduplicated.
  client: fc.option(fc.nat(clientIds.length - 1), { freq: 4 }),
  // Mostly forward, sometimes backwards: a new leader's clock may be behind.
  advanceMs: fc.integer({ min: -2_000, max: 60_000 }),
});

/**
 * A random log of up to `stepsMax` steps. A step that presents its user's
 * own token when the user has no session first logs them in (creating the
 * account if need be), so about three entries per step at most.
 */
export function logArbitrary(stepsMax = 40): fc.Arbitrary<Entry[]> {
  // "medium": lengths spread up to stepsMax (the default "small" keeps logs near 10).
  return fc.array(stepWithMetaArbitrary, { maxLength: stepsMax, size: "medium" }).map(materialize);
}

/** Running state of materialization (see the header: a guide, not an oracle). */
interface Model {
  index: number;
  term: number;
  atMs: number;
  seqs: number[];
  accountIndex: Map<string, number>;
  sessions: Map<string, string>;
  lastToken: Map<string, string>;
  issuedTokens: string[];
  sentIds: number[];
  /** Messages the model believes exist. */
  messages: { id: number; sender: string; recipient: string }[];
  identified: OperationEnvelope[];
}

/** Every log begins with the founding voters (src/log/identity.ts); the generated operations follow. */
export const foundingEntry: Entry = bootstrapEntry([{ id: 1, address: "127.0.0.1:1" }]);

export function materialize(steps: readonly StepWithMeta[]): Entry[] {
  const model: Model = {
    index: foundingEntry.index,
    term: 1,
    atMs: startMs,
    seqs: clientIds.map(() => 0),
    accountIndex: new Map(),
    sessions: new Map(),
    lastToken: new Map(),
    issuedTokens: [],
    sentIds: [],
    messages: [],
    identified: [],
  };
  const entries: Entry[] = [foundingEntry];
  for (const { step, client, advanceMs } of steps) {
    model.atMs = Math.max(0, model.atMs + advanceMs);
    if ("token" in step && step.token.kind === "own") entries.push(...ensureSession(model, step.user));
    entries.push(materializeStep(model, step, client));
  }
  return entries;
}

/** CreateAccount and Login entries, as needed for `username` to hold a live session (per the model). */
function ensureSession(model: Model, username: string): Entry[] {
  const token = model.lastToken.get(username);
  if (token !== undefined && model.sessions.get(token) === username) return [];
  const entries: Entry[] = [];
  if (!model.accountIndex.has(username)) entries.push(materializeStep(model, { kind: "create", user: username as Username }, null));
  entries.push(materializeStep(model, { kind: "login", user: username as Username, staleAccount: false }, null));
  return entries;
}

function materializeStep(model: Model, step: Step, client: number | null): Entry {
  model.index += 1;
  if (step.kind === "noop") {
    // Raft appends a no-op at the start of each term.
    if (step.newTerm) model.term += 1;
    return { index: model.index, term: model.term, type: "noop", data: "" };
  }
  if (step.kind === "retry") return retryEntry(model, step.back);
  const op = operationFor(model, step);
  const envelope: OperationEnvelope = { atMs: model.atMs, op };
  if (client !== null) {
    model.seqs[client]! += 1;
    envelope.clientId = clientIds[client];
    envelope.seq = model.seqs[client];
    model.identified.push(envelope);
  }
  updateModel(model, op);
  return commandEntry(model, envelope);
}

/** The same (client id, seq) and operation again, stamped later: a retry after a failover. */
function retryEntry(model: Model, back: number): Entry {
  if (model.identified.length === 0) return { index: model.index, term: model.term, type: "noop", data: "" };
  const original = model.identified[Math.max(0, model.identified.length - 1 - back)]!;
  return commandEntry(model, { ...original, atMs: model.atMs });
}

function commandEntry(model: Model, envelope: OperationEnvelope): Entry {
  return { index: model.index, term: model.term, type: "command", data: JSON.stringify(envelope) };
}

function operationFor(model: Model, step: Exclude<Step, { kind: "noop" | "retry" }>): ChatOperation {
  const username = step.user;
  switch (step.kind) {
    case "create":
      return { type: "CreateAccount", username, passwordHash: `$argon2id$v=19$fake$${username}${model.index}` };
    case "login":
      return loginFor(model, username, step.staleAccount);
    case "logout":
      return { type: "Logout", username, tokenHash: tokenFor(model, username, step.token) };
    case "send": {
      const tokenHash = tokenFor(model, username, step.token);
      return { type: "SendMessage", username, tokenHash, recipient: step.recipient, text: step.text };
    }
    case "markRead":
      return {
        type: "MarkRead",
        username,
        tokenHash: tokenFor(model, username, step.token),
        ids: idsFor(model, username, step.ids),
      };
    case "readNew":
      return { type: "ReadNew", username, tokenHash: tokenFor(model, username, step.token), count: step.count };
    case "deleteMessages": {
      const tokenHash = tokenFor(model, username, step.token);
      return { type: "DeleteMessages", username, tokenHash, ids: idsFor(model, username, step.ids) };
    }
    case "deleteAccount":
      return { type: "DeleteAccount", username, tokenHash: tokenFor(model, username, step.token) };
  }
}

function loginFor(model: Model, username: string, staleAccount: boolean): ChatOperation {
  const current = model.accountIndex.get(username) ?? 0;
  // Token hashes are unique per login, as in production (a hash of 32 random bytes).
  const tokenHash = new Bun.CryptoHasher("sha256").update(`token ${model.index}`).digest("hex");
  model.issuedTokens.push(tokenHash);
  model.lastToken.set(username, tokenHash);
  return {
    type: "Login",
    username,
    accountIndex: staleAccount ? Math.max(0, current - 1) : current,
    tokenHash,
    sessionNonce: `nonce-${model.index}`,
    sessionIdleMs,
  };
}

function tokenFor(model: Model, username: string, choice: TokenChoice): string {
  const bogus = "f".repeat(64);
  if (choice.kind === "bogus") return bogus;
  if (choice.kind === "own") return model.lastToken.get(username) ?? bogus;
  if (model.issuedTokens.length === 0) return bogus;
  return model.issuedTokens[choice.pick % model.issuedTokens.length]!;
}

function idsFor(model: Model, username: string, choices: readonly IdChoice[]): number[] {
  const mine = model.messages.filter((message) => message.recipient === username || message.sender === username);
  return choices.map((choice) => {
    if (choice.kind === "mine" && mine.length > 0) return mine[choice.pick % mine.length]!.id;
    if (choice.kind === "sent" && model.sentIds.length > 0) return model.sentIds[choice.pick % model.sentIds.length]!;
    // An index past the end of the log can never be a message id.
    return model.index + 1000;
  });
}

function updateModel(model: Model, op: ChatOperation): void {
  switch (op.type) {
    case "CreateAccount":
      if (!model.accountIndex.has(op.username)) model.accountIndex.set(op.username, model.index);
      return;
    case "Login":
      if (model.accountIndex.get(op.username) === op.accountIndex) model.sessions.set(op.tokenHash, op.username);
      return;
    case "Logout":
      model.sessions.delete(op.tokenHash);
      return;
    case "SendMessage":
      model.sentIds.push(model.index);
      if (model.sessions.get(op.tokenHash) === op.username && model.accountIndex.has(op.recipient)) {
        model.messages.push({ id: model.index, sender: op.username, recipient: op.recipient });
      }
      return;
    case "DeleteMessages":
      // Roughly: the real rule rejects the whole request if one id is not the caller's.
      model.messages = model.messages.filter((message) => !op.ids.includes(message.id));
      return;
    case "DeleteAccount":
      if (model.sessions.get(op.tokenHash) !== op.username) return;
      model.accountIndex.delete(op.username);
      for (const [tokenHash, owner] of model.sessions) if (owner === op.username) model.sessions.delete(tokenHash);
      model.messages = model.messages.filter((message) => message.recipient !== op.username);
      return;
    default:
      return;
  }
}
