/**
 * The one place where a failure becomes what the page reads: the client
 * library's errors (as sentences from src/client/failure-text.ts, which the
 * terminal client shares) and the gateway's own, each with an HTTP status
 * and the request field it is about, so the page can show it next to that
 * field. Nothing else reaches the page: no stack, no raw status text.
 */
import { ChatClientError } from "../client/chat-client.ts";
import { failureSentence, noLeaderCodes, sentence } from "../client/failure-text.ts";
import type { ApiError } from "./protocol.ts";

/** A refusal decided by the gateway itself (bad JSON, not logged in, full). */
export class GatewayError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "GatewayError";
  }
}

const httpStatusOfCode: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 503,
  CANCELLED: 503,
};

/** Which request field a service message is about: the first field whose words it mentions. */
export type FieldHints = readonly (readonly [field: string, mentions: RegExp])[];

export interface Described {
  status: number;
  error: ApiError;
}

/**
 * `isWrite`: the request changes state, so a request that got no answer may
 * or may not have taken effect, and the sentence says so.
 */
export function describeError(error: unknown, hints: FieldHints, isWrite: boolean): Described | null {
  if (error instanceof GatewayError) {
    return { status: error.status, error: { code: error.code, message: sentence(error.message), ...fieldOf(error.field) } };
  }
  const message = failureSentence(error, { isWrite });
  if (!(error instanceof ChatClientError) || message === null) return null;
  const status = httpStatusOfCode[error.code] ?? 500;
  const field = noLeaderCodes.has(error.code) ? undefined : hints.find(([, mentions]) => mentions.test(error.message))?.[0];
  return { status, error: { code: error.code, message, ...fieldOf(field) } };
}

/** What the page shows for a failure the gateway did not expect (logged, with its stack, on the gateway's side only). */
export const unexpectedError: Described = {
  status: 500,
  error: { code: "INTERNAL", message: "The gateway failed unexpectedly; its log says why. Please try again." },
};

function fieldOf(field: string | undefined): { field?: string } {
  return field ? { field } : {};
}
