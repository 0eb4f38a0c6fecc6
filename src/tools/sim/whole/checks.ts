// Checks of a whole-replica run's history against the final projection:
// acknowledged messages are there exactly once, unknown ones at most once,
// and no rejection contradicts what was acknowledged before it was asked.

import { SimViolation } from "../state-machine.ts";
import type { HistoryEntry } from "./clients.ts";

export function checkHistory(history: readonly HistoryEntry[], stored: readonly { id: number; text: string }[]): void {
  checkMessagesKept(history, stored);
  checkNoStaleRecipientRejection(history);
}

/** Every acknowledged send is stored once, under the id it was answered with; an unknown one at most once. */
function checkMessagesKept(history: readonly HistoryEntry[], stored: readonly { id: number; text: string }[]): void {
  const byText = new Map<string, number[]>();
  for (const message of stored) byText.set(message.text, [...(byText.get(message.text) ?? []), message.id]);
  for (const entry of history) {
    if (entry.kind !== "send" || entry.outcome === "fail") continue;
    const ids = byText.get(entry.text!) ?? [];
    if (ids.length > 1) throw new SimViolation("no write applied twice", `"${entry.text}" stored as ${ids.join(", ")}`);
    if (entry.outcome === "ok" && ids[0] !== entry.id) {
      throw new SimViolation("no acknowledged write lost", `"${entry.text}" acknowledged as #${entry.id}, stored as ${ids.join(",") || "nothing"}`);
    }
  }
}

/**
 * Accounts are never deleted here, so "Recipient does not exist: X" is stale
 * once X's CreateAccount was acknowledged before the send was invoked (a
 * deposed leader answering from its own tables).
 */
function checkNoStaleRecipientRejection(history: readonly HistoryEntry[]): void {
  const created = new Map<string, number>();
  for (const entry of history) {
    if (entry.kind === "createAccount" && entry.outcome === "ok") created.set(entry.user, Math.min(created.get(entry.user) ?? Infinity, entry.completedAt));
  }
  for (const entry of history) {
    if (entry.kind !== "send" || entry.outcome !== "fail" || !entry.error?.startsWith("NOT_FOUND")) continue;
    const createdAt = created.get(entry.recipient!);
    if (createdAt !== undefined && createdAt < entry.invokedAt) {
      throw new SimViolation(
        "rejections are linearizable",
        `${entry.user}'s send to ${entry.recipient} at ${entry.invokedAt} ms was refused (${entry.error}), but that account was acknowledged at ${createdAt} ms`,
      );
    }
  }
}
