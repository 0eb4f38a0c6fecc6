/**
 * `bun run inspect <db>`: reads a replica's database without changing it
 * (read-only, no migrations; safe while the replica runs), shows users,
 * messages and the operation log, and checks that the stored projections
 * are exactly what replaying the log produces. Parts live in ./inspect/.
 */
import type { Database } from "bun:sqlite";
import { parseArgs } from "node:util";
import { CorruptLogError } from "../log/entry.ts";
import { DatabaseRefusedError } from "../storage/database.ts";
import { openDatabaseReadOnly } from "./inspect/open.ts";
import { readLog, readMessages, readStoredState, readUsers } from "./inspect/read.ts";
import { renderLog, renderMessages, renderReplay, renderState, renderUsers } from "./inspect/render.ts";
import { rebuildAt, replayAndCompare } from "./inspect/replay.ts";
import { answerVersion } from "./version.ts";

export const rowsPerSectionDefault = 50;
export const rowsPerSectionMax = 100_000;

/** 0: shown, or replay equal. 1: replay differs or the log is corrupt. 2: bad usage or a refused file. */
const exitOk = 0;
const exitDifferent = 1;
const exitRefused = 2;

const usage = `Usage: bun run inspect <database> [options]

Shows a replica's users, messages and operation log, and checks that the
stored chat tables equal a replay of the log. Opens the file read-only:
safe while the replica runs, and it never migrates or changes the file.

Options:
  --users          show only the users section (combinable with the next two)
  --messages       show only the messages section
  --log            show only the log section
  --limit N        rows per section (default ${rowsPerSectionDefault}); says how many more exist
  --at N           users and messages as of log entry N, rebuilt from the log
                   (with --log, the log up to N)
  --replay         rebuild the projections from the log in memory and compare
                   them with the stored ones; names the tables that differ
  --json           machine-readable output
  -h, --help       show this help
  --version        print the version

Exit status: 0 shown (or --replay equal), 1 --replay found a difference or a
corrupt log entry, 2 bad usage or a file that is missing, not SQLite, or not
a chat replica's database.`;

type SectionName = "users" | "messages" | "log";

interface Options {
  path: string;
  sections: SectionName[];
  limit: number;
  at: number | null;
  replay: boolean;
  json: boolean;
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options | "help" | "version" {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      users: { type: "boolean", default: false },
      messages: { type: "boolean", default: false },
      log: { type: "boolean", default: false },
      limit: { type: "string" },
      at: { type: "string" },
      replay: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return "help";
  if (values.version) return "version";
  if (positionals.length !== 1) throw new UsageError("give exactly one database file");
  if (values.replay && values.at !== undefined) throw new UsageError("--replay and --at cannot be combined");
  const chosen = (["users", "messages", "log"] as const).filter((name) => values[name]);
  return {
    path: positionals[0]!,
    sections: chosen.length > 0 ? chosen : ["users", "messages", "log"],
    limit: values.limit === undefined ? rowsPerSectionDefault : parseCount("limit", values.limit, 1, rowsPerSectionMax),
    at: values.at === undefined ? null : parseCount("at", values.at, 0, Number.MAX_SAFE_INTEGER),
    replay: values.replay,
    json: values.json,
  };
}

function parseCount(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

function runReplay(db: Database, options: Options): number {
  const state = readStoredState(db);
  if (state.snapshotIndex > 0) {
    throw new UsageError(
      `the log was compacted up to entry ${state.snapshotIndex}: its state before that lives only in the tables, ` +
        "so a replay from empty is impossible (inspect a replica that has not compacted, or compare projection hashes across replicas)",
    );
  }
  const report = replayAndCompare(db);
  print(options, report, () => renderReplay(report));
  return report.equal ? exitOk : exitDifferent;
}

/** The sections asked for, from the stored tables or (with --at) from a rebuild. */
function runShow(db: Database, options: Options): number {
  const state = readStoredState(db);
  if (options.at !== null && options.at > state.lastIndex) {
    throw new UsageError(`--at ${options.at} is past the end of the log (last entry ${state.lastIndex})`);
  }
  if (options.at !== null && state.snapshotIndex > 0) {
    throw new UsageError(`--at needs the whole log, and this one was compacted up to entry ${state.snapshotIndex}`);
  }
  // Chat tables come from a rebuild with --at; the log is always the stored one.
  const tables = options.at === null ? db : rebuildAt(db, options.at);
  try {
    const wanted = new Set(options.sections);
    const data = {
      state,
      at: options.at,
      users: wanted.has("users") ? readUsers(tables, options.limit) : undefined,
      messages: wanted.has("messages") ? readMessages(tables, options.limit) : undefined,
      log: wanted.has("log") ? readLog(db, options.limit, options.at ?? undefined) : undefined,
    };
    print(options, data, () => {
      const lines = renderState(options.path, state);
      if (options.at !== null) lines.push(...atNote(options.at, state.appliedIndex));
      if (data.users) lines.push("", ...renderUsers(data.users));
      if (data.messages) lines.push("", ...renderMessages(data.messages));
      if (data.log) lines.push("", ...renderLog(data.log));
      return lines;
    });
    return exitOk;
  } finally {
    if (tables !== db) tables.close();
  }
}

function atNote(at: number, appliedIndex: number): string[] {
  const lines = [`as of log entry ${at} (rebuilt from the log in memory)`];
  if (at > appliedIndex) lines.push(`note: entries after ${appliedIndex} are not applied yet and may not be committed`);
  return lines;
}

function print(options: Options, data: unknown, text: () => string[]): void {
  console.log(options.json ? JSON.stringify(data, null, 2) : text().join("\n"));
}

function main(argv: string[]): number {
  let options: Options | "help" | "version";
  try {
    options = parseOptions(argv);
  } catch (error) {
    console.error(`inspect: ${(error as Error).message}\n\n${usage}`);
    return exitRefused;
  }
  if (options === "help") {
    console.log(usage);
    return exitOk;
  }
  if (options === "version") {
    answerVersion(true);
    return exitOk;
  }
  let db: Database;
  try {
    db = openDatabaseReadOnly(options.path);
  } catch (error) {
    if (!(error instanceof DatabaseRefusedError)) throw error;
    console.error(`inspect: ${error.message}`);
    return exitRefused;
  }
  try {
    // Each run is one read transaction inside: a running replica cannot skew what is shown.
    return options.replay ? runReplay(db, options) : db.transaction(() => runShow(db, options))();
  } catch (error) {
    if (error instanceof UsageError) return failWith(error, exitRefused);
    if (error instanceof CorruptLogError) return failWith(error, exitDifferent);
    throw error;
  } finally {
    db.close();
  }
}

function failWith(error: Error, code: number): number {
  console.error(`inspect: ${error.message}`);
  return code;
}

process.exitCode = main(process.argv.slice(2));
