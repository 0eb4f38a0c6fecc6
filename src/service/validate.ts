/**
 * Validation at the edge: every request field is checked against the named
 * limits before anything is decided or appended. Each check throws a
 * ChatError with INVALID_ARGUMENT (or RESOURCE_EXHAUSTED for sizes).
 */
import * as limits from "../limits.ts";
import { ChatError } from "../projections/operations.ts";

const utf8 = new TextEncoder();

function invalid(message: string): never {
  throw new ChatError("INVALID_ARGUMENT", message);
}

export function validateUsername(username: string, what = "username"): string {
  if (username.length < limits.usernameLengthMin || username.length > limits.usernameLengthMax) {
    invalid(`${what} must be ${limits.usernameLengthMin} to ${limits.usernameLengthMax} characters`);
  }
  if (!limits.usernamePattern.test(username)) invalid(`${what} may contain only letters, digits, '_', '.' and '-'`);
  return username;
}

/** A new password (CreateAccount). Lengths count UTF-8 bytes, as argon2 hashes them. */
export function validatePassword(password: string): string {
  const bytes = utf8.encode(password).length;
  if (bytes < limits.passwordBytesMin) invalid(`password must be at least ${limits.passwordBytesMin} bytes (UTF-8)`);
  return checkPasswordBytesMax(bytes, password);
}

/**
 * A password to check against a stored hash (Login, DeleteAccount): not
 * empty, and under the same upper bound as a new one, so no request makes
 * the replica hash more than a new password would.
 */
export function validateGivenPassword(password: string, whenEmpty: string): string {
  if (password.length === 0) invalid(whenEmpty);
  return checkPasswordBytesMax(utf8.encode(password).length, password);
}

function checkPasswordBytesMax(bytes: number, password: string): string {
  if (bytes > limits.passwordBytesMax) invalid(`password must be at most ${limits.passwordBytesMax} bytes (UTF-8)`);
  return password;
}

export function validateSessionSecret(secret: string): string {
  const { sessionSecretLengthMin: min, sessionSecretLengthMax: max } = limits;
  if (secret.length < min || secret.length > max || !limits.sessionSecretPattern.test(secret)) {
    invalid(`session_secret must be ${min} to ${max} characters [A-Za-z0-9_-], random, and the same on a retry of the login`);
  }
  return secret;
}

export function validateMessageText(text: string): string {
  if (text.trim().length === 0) invalid("message text is empty");
  const bytes = utf8.encode(text).length;
  if (bytes > limits.messageTextBytesMax) {
    throw new ChatError("RESOURCE_EXHAUSTED", `message text is ${bytes} bytes; the limit is ${limits.messageTextBytesMax}`);
  }
  return text;
}

/** A `*` / `?` wildcard pattern over the username alphabet, as an SQLite GLOB. */
export function validateAccountPattern(pattern: string): string {
  if (pattern === "") return "*";
  if (pattern.length > limits.accountPatternLengthMax) {
    invalid(`pattern must be at most ${limits.accountPatternLengthMax} characters`);
  }
  // The username alphabet has no GLOB metacharacters besides the wildcards.
  if (!/^[A-Za-z0-9_.*?-]+$/.test(pattern)) invalid("pattern may contain only username characters, '*' and '?'");
  return pattern;
}

export function validatePageSize(pageSize: number, defaultSize: number, maxSize: number): number {
  if (pageSize === 0) return defaultSize;
  if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > maxSize) {
    invalid(`page size must be between 1 and ${maxSize}`);
  }
  return pageSize;
}

export function validateCount(count: number): number {
  if (count === 0) return limits.readCountDefault;
  if (!Number.isInteger(count) || count < 0 || count > limits.readCountMax) {
    invalid(`count must be between 1 and ${limits.readCountMax}`);
  }
  return count;
}

export function validateIds(ids: readonly number[]): number[] {
  if (ids.length === 0) invalid("no message ids given");
  if (ids.length > limits.idsPerRequestMax) invalid(`at most ${limits.idsPerRequestMax} ids per request`);
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id <= 0) invalid(`invalid message id: ${id}`);
  }
  return [...new Set(ids)];
}

export function validateMessageId(id: number, what: string): number {
  if (!Number.isSafeInteger(id) || id < 0) invalid(`invalid ${what}: ${id}`);
  return id;
}

export interface ClientRequestId {
  clientId: string;
  seq: number;
}

/** client-id and client-seq metadata: both or neither. */
export function validateClientRequestId(clientId?: string, seqText?: string): ClientRequestId | undefined {
  if (clientId === undefined && seqText === undefined) return undefined;
  if (clientId === undefined || seqText === undefined) invalid("client-id and client-seq must be sent together");
  if (clientId.length < limits.clientIdLengthMin || clientId.length > limits.clientIdLengthMax || !limits.clientIdPattern.test(clientId)) {
    invalid(`client-id must be ${limits.clientIdLengthMin} to ${limits.clientIdLengthMax} characters [A-Za-z0-9_-]`);
  }
  const seq = Number(seqText);
  if (!/^[0-9]+$/.test(seqText) || !Number.isSafeInteger(seq) || seq < 1) {
    invalid("client-seq must be a positive integer");
  }
  return { clientId, seq };
}
