/**
 * One-line descriptions of log entries for people. Secrets stay out:
 * password hashes are never shown, token hashes only as a short prefix, and
 * session nonces never (one of the parts a token is derived from).
 */
import type { Entry } from "../../log/raft/types.ts";
import type { ChatOperation, OperationEnvelope } from "../../projections/operations.ts";
import { displayText } from "../../display-text.ts";
import { quotePreview, shortHash } from "./text.ts";

/** Message ids listed in a summary before "…". */
const idsShownMax = 5;

export interface EntryDescription {
  /** The chat operation's name, or null for a non-command entry or an unreadable payload. */
  operation: string | null;
  summary: string;
}

export function describeEntry({ type, data }: Pick<Entry, "type" | "data">): EntryDescription {
  if (type === "config") return { operation: null, summary: describeMembership(data) };
  if (type !== "command") return { operation: null, summary: data === "" ? "" : `${data.length} bytes` };
  const envelope = parseEnvelope(data);
  if (!envelope) return { operation: null, summary: "(payload is not an operation)" };
  const op = envelope.op;
  const client = envelope.clientId === undefined ? "" : `  [client ${shortHash(envelope.clientId)} #${envelope.seq}]`;
  return { operation: displayText(op.type), summary: describeOperation(op) + client };
}

/** A config entry: the whole membership it sets. */
function describeMembership(payload: string): string {
  try {
    const { voters, learners } = JSON.parse(payload) as { voters: { id: number }[]; learners: { id: number }[] };
    return `membership: voters ${voters.map((voter) => voter.id).join(",") || "none"}; learners ${learners.map((learner) => learner.id).join(",") || "none"}`;
  } catch {
    return "(config entry is not a membership)";
  }
}

function parseEnvelope(payload: string): OperationEnvelope | null {
  try {
    const envelope = JSON.parse(payload) as OperationEnvelope;
    return typeof envelope?.atMs === "number" && typeof envelope.op?.type === "string" ? envelope : null;
  } catch {
    return null;
  }
}

function describeOperation(op: ChatOperation): string {
  const user = displayText(String(op.username));
  switch (op.type) {
    case "CreateAccount":
      return `CreateAccount ${user}`;
    case "Login":
      return `Login ${user} (account #${op.accountIndex}, token ${shortHash(String(op.tokenHash))})`;
    case "Logout":
      return `Logout ${user} (token ${shortHash(String(op.tokenHash))})`;
    case "SendMessage":
      return `SendMessage ${user} → ${displayText(String(op.recipient))} ${quotePreview(String(op.text))}`;
    case "MarkRead":
      return `MarkRead ${user} ${describeIds(op.ids)}`;
    case "ReadNew":
      return `ReadNew ${user} up to ${Number(op.count)}`;
    case "DeleteMessages":
      return `DeleteMessages ${user} ${describeIds(op.ids)}`;
    case "DeleteAccount":
      return `DeleteAccount ${user}`;
    default:
      // A newer program's operation: name it, show nothing else.
      return displayText(String((op as { type: unknown }).type));
  }
}

function describeIds(ids: unknown): string {
  if (!Array.isArray(ids)) return "ids ?";
  const shown = ids.slice(0, idsShownMax).map((id) => displayText(String(id)));
  return `ids ${shown.join(",")}${ids.length > idsShownMax ? `,… (${ids.length})` : ""}`;
}
