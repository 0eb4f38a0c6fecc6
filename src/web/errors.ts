/**
 * The one place where a failure becomes what a person reads: the client
 * library's errors (gRPC status names with the service's message) and the
 * gateway's own, each as a sentence, an HTTP status, and the request field
 * it is about so the page can show it next to that field. Nothing else
 * reaches the page: no stack, no raw status text.
 */
import { ChatClientError, failoverDeadlineMsDefault } from "../client/chat-client.ts";
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

/** After the library's own retries, these mean that no leader answered in time. */
const noLeaderCodes = new Set(["UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED"]);

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
  if (!(error instanceof ChatClientError)) return null;
  const status = httpStatusOfCode[error.code] ?? 500;
  if (noLeaderCodes.has(error.code)) return { status, error: { code: error.code, message: noLeaderSentence(isWrite) } };
  const field = hints.find(([, mentions]) => mentions.test(error.message))?.[0];
  return { status, error: { code: error.code, message: sentence(error.message), ...fieldOf(field) } };
}

/** What the page shows for a failure the gateway did not expect (logged, with its stack, on the gateway's side only). */
export const unexpectedError: Described = {
  status: 500,
  error: { code: "INTERNAL", message: "The gateway failed unexpectedly; its log says why. Please try again." },
};

function noLeaderSentence(isWrite: boolean): string {
  const seconds = Math.round(failoverDeadlineMsDefault / 1000);
  const outcome = isWrite ? "It may or may not have taken effect: look before you try again." : "Please try again in a moment.";
  return `No leader of the cluster answered within ${seconds} s. ${outcome}`;
}

function fieldOf(field: string | undefined): { field?: string } {
  return field ? { field } : {};
}

/** "password must be at least 8 characters" → "Password must be at least 8 characters." */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "The request failed.";
  const capital = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
