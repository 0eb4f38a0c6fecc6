/**
 * `bun run client`: the chat client for people (an interactive terminal)
 * and for scripts (`--json`). This file only reads flags and picks a front
 * end; the pieces live in ./cli/:
 *   parse.ts      one command line -> a typed command
 *   commands.ts   the command table: a command run against a Session
 *   session.ts    the library client, the live feed, what `more` continues
 *   live-feed.ts  the followed Subscribe stream, MarkRead of shown messages, notices
 *   terminal.ts   the interactive front end (node:readline)
 *   json-mode.ts  the scripted front end (JSON lines)
 *   format.ts     results and messages as text for people
 */
import { parseArgs } from "node:util";
import { loadClientReplicas } from "../config.ts";
import { exitGraceMs } from "./cli/constants.ts";
import { usageText } from "./cli/format.ts";
import { runJsonMode } from "./cli/json-mode.ts";
import { runInteractive } from "./cli/terminal.ts";

const usage = `Usage: bun run client -- [options]

A chat client. Type commands at the prompt; with --json, read them from
stdin, one per line, and print one JSON object per line for every result,
error and incoming message.

Options:
  --server LIST       replicas to try, HOST:PORT[,HOST:PORT...] (default: config_client.json);
                      the client finds the leader among them and follows it through failovers
  --json              scripted mode: commands on stdin, JSON lines on stdout
  -h, --help          show this help

Commands:
${usageText()}

Examples:
  bun run client -- --server 127.0.0.1:50051
  printf 'login alice secret-pass\\nsend bob hello there\\n' | bun run client -- --json`;

interface CliOptions {
  servers: string[];
  json: boolean;
  help: boolean;
}

export function parseCliOptions(args: string[]): CliOptions {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return { servers: [], json: values.json, help: true };
  const servers = values.server ? values.server.split(",") : loadClientReplicas();
  if (servers.length === 0) throw new Error("no --server given and config_client.json lists no replicas");
  for (const server of servers) {
    if (!/^[^\s:]+:[0-9]{1,5}$/.test(server)) throw new Error(`--server must be HOST:PORT, not "${server}"`);
  }
  return { servers, json: values.json, help: false };
}

async function main(): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCliOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`client: ${(error as Error).message}\nTry --help.`);
    return 2;
  }
  if (options.help) {
    console.log(usage);
    return 0;
  }
  return options.json ? runJsonMode({ addresses: options.servers }) : runInteractive({ addresses: options.servers });
}

if (import.meta.main) {
  main().then(
    (code) => {
      process.exitCode = code;
      // Everything is closed by now; a lingering gRPC handle must not keep a finished client alive.
      setTimeout(() => process.exit(code), exitGraceMs).unref();
    },
    (error: Error) => {
      console.error(`client: ${error.message}`);
      process.exit(1);
    },
  );
}
