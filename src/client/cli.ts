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
import { loadClientReplicas, loadClientTlsPaths } from "../config.ts";
import { type TlsMaterial, tlsFromFlags } from "../rpc/tls.ts";
import { answerVersion } from "../tools/version.ts";
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
  --tls-ca FILE       verify the replicas' TLS certificates against this CA: TLS on
                      (default: tls_ca of config_client.json; none: plain text)
  -h, --help          show this help
  --version           print the version

Commands:
${usageText()}

Examples:
  bun run client -- --server 127.0.0.1:50051
  printf 'login alice secret-pass\\nsend bob hello there\\n' | bun run client -- --json`;

interface CliOptions {
  servers: string[];
  json: boolean;
  help: boolean;
  version: boolean;
  tls: TlsMaterial | null;
}

export function parseCliOptions(args: string[]): CliOptions {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: "string" },
      json: { type: "boolean", default: false },
      "tls-ca": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help || values.version) return { servers: [], json: values.json, help: values.help, version: values.version, tls: null };
  const servers = values.server ? values.server.split(",") : loadClientReplicas();
  if (servers.length === 0) throw new Error("no --server given and config_client.json lists no replicas");
  for (const server of servers) {
    if (!/^[^\s:]+:[0-9]{1,5}$/.test(server)) throw new Error(`--server must be HOST:PORT, not "${server}"`);
  }
  const tls = tlsFromFlags(values, loadClientTlsPaths(), "optional", "config_client.json");
  return { servers, json: values.json, help: false, version: false, tls };
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
  if (answerVersion(options.version)) return 0;
  const front = { addresses: options.servers, tls: options.tls };
  return options.json ? runJsonMode(front) : runInteractive(front);
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
