/**
 * `bun run web`: the browser client's gateway (src/web/gateway.ts). Serves
 * the page on 127.0.0.1 by default and talks to the cluster through the
 * client library, one library session per browser session.
 */
import { parseArgs } from "node:util";
import { loadClientReplicas, loadClientTlsPaths, loadReplicaConfig } from "../config.ts";
import { createLogger } from "../logger.ts";
import { type TlsMaterial, tlsFlagOptions, tlsFlagsUsage, tlsFromFlags } from "../rpc/tls.ts";
import { answerVersion } from "./version.ts";
import { startGateway } from "../web/gateway.ts";

/** A port a newcomer can remember, clear of the replicas' 5005x. */
export const webPortDefault = 8080;

const usage = `Usage: bun run web -- [--host HOST] [--port PORT] [--server HOST:PORT,...] [--public-status] [--origin URL,...]

Serves the browser client: open the address it prints.

Options:
  --host HOST       address to listen on (default 127.0.0.1: this machine only)
  --port PORT       port to listen on (default ${webPortDefault}; 0 picks a free one)
  --server LIST     replicas to start from (default: config_client.json); the leader and the rest are discovered
  --public-status   show the cluster view from GetLeaderInfo only, without the cluster secret
                    (by default the gateway uses the secret, from CHAT_CLUSTER_SECRET or config.json,
                    for the admin status: commit index and how far each replica is behind)
  --origin LIST     origins allowed besides the gateway's own (a reverse proxy's), e.g. https://chat.example
${tlsFlagsUsage("a client certificate signed by the CA, for the admin status under mutual TLS")}
                    (the CA defaults to tls_ca of config_client.json; cert and key have no default)
  -h, --help        show this help
  --version         print the version`;

interface WebOptions {
  hostname: string;
  port: number;
  addresses: string[];
  publicStatus: boolean;
  extraOrigins: string[];
  tls: TlsMaterial | null;
}

function parseOptions(args: string[]): WebOptions | "help" | "version" {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: String(webPortDefault) },
      server: { type: "string" },
      "public-status": { type: "boolean", default: false },
      origin: { type: "string", default: "" },
      ...tlsFlagOptions,
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", default: false },
    },
  });
  if (values.help) return "help";
  if (values.version) return "version";
  const port = Number(values.port);
  if (!/^[0-9]+$/.test(values.port) || port > 65535) throw new Error(`--port must be a port number (0-65535), not "${values.port}"`);
  const list = (text: string) =>
    text
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  const addresses = values.server ? list(values.server) : loadClientReplicas();
  if (addresses.length === 0) throw new Error("--server names no replica");
  const tls = tlsFromFlags(values, loadClientTlsPaths(), "optional", "config_client.json");
  return { hostname: values.host, port, addresses, publicStatus: values["public-status"], extraOrigins: list(values.origin), tls };
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  if (options === "help") {
    console.log(usage);
    return;
  }
  if (options === "version") {
    answerVersion(true);
    return;
  }
  const logger = createLogger("web");
  const clusterSecret = options.publicStatus ? null : loadReplicaConfig().clusterSecret;
  const gateway = startGateway({ ...options, clusterSecret, logger });
  // Tests and scripts read this line for the address (with --port 0).
  console.log(`web client at ${gateway.url.href} (replicas: ${options.addresses.join(", ")})`);
  if (options.hostname !== "127.0.0.1" && options.hostname !== "localhost") {
    logger.warn("listening beyond this machine: the page and its API travel unencrypted; put a TLS proxy in front (and name it with --origin)");
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: logging sessions out and stopping`);
    await gateway.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

try {
  main();
} catch (error) {
  console.error(`web: ${(error as Error).message}\n\n${usage}`);
  process.exit(2);
}
