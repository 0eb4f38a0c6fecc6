/**
 * Failures as sentences for people, shared by the terminal and the web
 * client: the service's refusals with a capital and a full stop, and a
 * call that found no leader in time said plainly, with what it means for a
 * write (it may or may not have landed), never as raw gRPC text. Scripts
 * read the status code instead (the CLI's --json mode keeps the service's
 * own words).
 */
import { ChatClientError, failoverDeadlineMsDefault } from "./chat-client.ts";

/** After the library's own retries, these mean that no leader answered in time. */
export const noLeaderCodes: ReadonlySet<string> = new Set(["UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED"]);

export interface FailureTextOptions {
  /** The call changes state, so one that got no answer may or may not have taken effect. */
  isWrite: boolean;
  /** How to check whether a write landed, in this client's words ("`history` shows whether it did"). */
  howToCheck?: string;
}

/** The sentence for a failed call of the client library; null for anything that is not a ChatClientError (a bug: log it). */
export function failureSentence(error: unknown, options: FailureTextOptions): string | null {
  if (!(error instanceof ChatClientError)) return null;
  if (!noLeaderCodes.has(error.code)) return sentence(error.message);
  const seconds = Math.round(failoverDeadlineMsDefault / 1000);
  const outcome = options.isWrite
    ? `It may or may not have taken effect: ${options.howToCheck ?? "look"} before you try again.`
    : "Please try again in a moment.";
  return `No leader of the cluster answered within ${seconds} s. ${outcome}`;
}

/** Why a live stream broke, for a notice: the words of the service, or that the replica went away. */
export function interruptionReason(error?: ChatClientError): string {
  if (!error) return "the replica closed the stream";
  if (noLeaderCodes.has(error.code)) return "the replica it came from stopped answering";
  return sentence(error.message).replace(/\.$/, "");
}

/** "password must be at least 8 characters" → "Password must be at least 8 characters." */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "The request failed.";
  const capital = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
