/** Readable one-line logs on stderr: time, level, who, message, fields. */
import { styleText } from "node:util";

export type LogLevel = "debug" | "info" | "warn" | "error";

const levelColor = { debug: "gray", info: "green", warn: "yellow", error: "red" } as const;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(name: string, minimum: LogLevel = "info"): Logger {
  const order: LogLevel[] = ["debug", "info", "warn", "error"];
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (order.indexOf(level) < order.indexOf(minimum)) return;
    const extra = fields
      ? ` ${Object.entries(fields)
          .map(([key, value]) => `${key}=${format(value)}`)
          .join(" ")}`
      : "";
    const tag = styleText(levelColor[level], level.toUpperCase().padEnd(5), { stream: process.stderr });
    process.stderr.write(`${new Date().toISOString()} ${tag} ${name}: ${message}${extra}\n`);
  };
  return {
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}

function format(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  return typeof value === "string" && !/\s/.test(value) ? value : JSON.stringify(value);
}
