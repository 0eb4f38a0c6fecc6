/** Words and times as the page shows them: local time with its zone, durations in seconds. */
import type { LiveState, WireMessage } from "../protocol.ts";

// dateStyle and timeStyle cannot be combined with timeZoneName, so the parts are named one by one.
const timeFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
});
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" });

/** "12 Mar 2026, 10:31 CET": the sender's moment, in this browser's zone, which it names. */
export function formatTime(ms: number): string {
  return timeFormat.format(new Date(ms));
}

export function formatClock(ms: number): string {
  return clockFormat.format(new Date(ms));
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** "#12 · alice → bob · 12 Mar 2026, 10:31 CET" */
export function messageMeta(message: WireMessage): string {
  return `#${message.id} · ${message.sender} → ${message.recipient} · ${formatTime(message.sentAtMs)}`;
}

export function liveText(live: LiveState): string {
  switch (live.state) {
    case "off":
      return "";
    case "connecting":
      return "Live messages: connecting…";
    case "live":
      return live.resumed
        ? `Live messages are back after ${seconds(live.resumed.downMs)}; ${plural(live.resumed.missedCount, "message")} arrived meanwhile.`
        : "Live messages: on.";
    case "interrupted":
      return "Live messages interrupted: waiting for the cluster… Nothing is lost; they arrive once it answers.";
    case "ended":
      return live.reason;
  }
}
