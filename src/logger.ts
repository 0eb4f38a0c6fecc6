/**
 * Logs on stderr, one line per event: readable text by default (time,
 * level, who, term, message, fields), or JSON lines (`--log-format json`)
 * for a log shipper. Every line of a replica carries its id and, once its
 * node runs, the current term (`setContext`). Lines below the level
 * (`--log-level`) cost one comparison. pino works under Bun too, but this
 * needs one JSON.stringify and one write per line and nothing more.
 */
import { styleText } from "node:util";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";

export const logLevels: readonly LogLevel[] = ["debug", "info", "warn", "error"];
export const logFormats: readonly LogFormat[] = ["text", "json"];

const levelColor = { debug: "gray", info: "green", warn: "yellow", error: "red" } as const;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger whose lines also carry fields read when each line is written (a replica's term). */
export interface ContextLogger extends Logger {
  setContext(context: () => Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** Lines below this level are dropped (default info). */
  level?: LogLevel;
  format?: LogFormat;
  /** Fields every line carries, fixed for the process (a replica's id). */
  fields?: Record<string, unknown>;
  /** Where lines go (default stderr); tests collect them. */
  write?: (line: string) => void;
}

export function createLogger(name: string, options: LogLevel | LoggerOptions = {}): ContextLogger {
  const {
    level = "info",
    format = "text",
    fields: fixed = {},
    write = (line: string) => process.stderr.write(line),
  } = typeof options === "string" ? { level: options } : options;
  const minimum = logLevels.indexOf(level);
  let context: () => Record<string, unknown> = () => ({});
  const line = (at: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (logLevels.indexOf(at) < minimum) return;
    const time = new Date().toISOString();
    const current = context();
    if (format === "json") {
      write(`${JSON.stringify({ time, level: at, name, ...fixed, ...current, msg: message, ...jsonFields(fields) })}\n`);
      return;
    }
    const tag = styleText(levelColor[at], at.toUpperCase().padEnd(5), { stream: process.stderr });
    const who = current.term === undefined ? name : `${name} term ${current.term}`;
    write(`${time} ${tag} ${who}: ${message}${textFields(fields)}\n`);
  };
  return {
    debug: (message, fields) => line("debug", message, fields),
    info: (message, fields) => line("info", message, fields),
    warn: (message, fields) => line("warn", message, fields),
    error: (message, fields) => line("error", message, fields),
    setContext: (source) => {
      context = source;
    },
  };
}

/** Gives `logger` the context if it takes one (a test's or the simulator's logger may not). */
export function setLogContext(logger: Logger, context: () => Record<string, unknown>): void {
  if ("setContext" in logger && typeof logger.setContext === "function") (logger as ContextLogger).setContext(context);
}

/** Checks a --log-level or --log-format value; the error names the flag and the choices. */
export function parseLogOption<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) throw new Error(`--${flag} must be one of ${choices.join(", ")}, not "${text}"`);
  return text as T;
}

function jsonFields(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = value instanceof Error ? value.message : value;
  return out;
}

function textFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return "";
  return ` ${Object.entries(fields)
    .map(([key, value]) => `${key}=${format(value)}`)
    .join(" ")}`;
}

function format(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  return typeof value === "string" && !/\s/.test(value) ? value : JSON.stringify(value);
}
