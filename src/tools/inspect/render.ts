/** Text rendering of the inspector's sections and reports. */
import type { LogRow, MessageSummaryRow, Section, StoredState, UserRow } from "./read.ts";
import type { ReplayReport } from "./replay.ts";
import { displayText } from "../../display-text.ts";
import { formatTable, formatTime, quotePreview, shortHash } from "./text.ts";

export function renderState(path: string, state: StoredState): string[] {
  const range = state.lastIndex < state.firstIndex ? "empty" : `${state.firstIndex}..${state.lastIndex}`;
  const lines = [`${displayText(path)}: log ${range}, term ${state.term}, commit ${state.commitIndex}, applied ${state.appliedIndex}`];
  if (state.snapshotIndex > 0) {
    lines.push(`compacted: entries up to ${state.snapshotIndex} (term ${state.snapshotTerm}) live on in the tables only`);
  }
  if (state.members.length > 0) {
    lines.push(`members: ${state.members.map((member) => `${member.id}@${displayText(member.address)} (${member.role})`).join(", ")}`);
  }
  return lines;
}

export function renderUsers(section: Section<UserRow>): string[] {
  const rows = section.rows.map((user) => [displayText(user.username), formatTime(user.createdAtMs), `#${user.createdIndex}`, String(user.unread)]);
  return titled("Users", section, formatTable(["username", "created", "entry", "unread"], rows));
}

export function renderMessages(section: Section<MessageSummaryRow>): string[] {
  const rows = section.rows.map((message) => [
    String(message.id),
    formatTime(message.sentAtMs),
    `${displayText(message.sender)} → ${displayText(message.recipient)}`,
    message.read ? "read" : "unread",
    quotePreview(message.text),
  ]);
  return titled("Messages", section, formatTable(["id", "sent", "from → to", "state", "text"], rows));
}

export function renderLog(section: Section<LogRow>): string[] {
  const rows = section.rows.map((entry) => [
    String(entry.index),
    String(entry.term),
    displayText(entry.type),
    entry.summary + (entry.checksumOk ? "" : "  !! CHECKSUM MISMATCH: torn or edited entry"),
  ]);
  return titled("Log", section, formatTable(["index", "term", "type", "summary"], rows));
}

export function renderReplay(report: ReplayReport): string[] {
  const { state } = report;
  const lines = [`replayed log entries 1..${state.appliedIndex} (the applied index) into an empty database`];
  if (state.lastIndex > state.appliedIndex) {
    lines.push(`entries ${state.appliedIndex + 1}..${state.lastIndex} are in the log but not applied yet: not replayed`);
  }
  lines.push(`stored projections:  ${shortHash(report.storedHash)}`, `rebuilt projections: ${shortHash(report.rebuiltHash)}`);
  if (report.equal) {
    lines.push("EQUAL: the stored projections are exactly what the log produces");
  } else {
    lines.push(`DIFFERENT: the stored projections do not match the log; tables that differ: ${report.differingTables.join(", ")}`);
  }
  return lines;
}

function titled<Row>(title: string, section: Section<Row>, table: string[]): string[] {
  const total = section.rows.length + section.more;
  if (total === 0) return [`${title} (none)`];
  const lines = [`${title} (${total})`, ...table.map((line) => `  ${line}`)];
  if (section.more > 0) lines.push(`  … ${section.more} more not shown (raise --limit)`);
  return lines;
}
