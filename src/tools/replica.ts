/**
 * `bun run replica`: starts one chat replica. Flags keep the seed's names.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { developmentSecret, loadReplicaConfig, projectRoot } from "../config.ts";
import { createLogger } from "../logger.ts";
import { startReplica } from "../replica.ts";

const usage = `Usage: bun run replica -- [options]

Starts one chat replica, serving the client API over gRPC.

Options:
  --server_id N          this replica's id (default 1)
  --server_host HOST     address to listen on (default 127.0.0.1)
  --server_port PORT     port to listen on (default 50051; 0 picks a free one)
  --initial_leader BOOL  true bootstraps a new cluster (default true)
  --join BOOL            join a running cluster (not available yet: one replica only)
  --data_dir DIR         where the database lives (default <config data_dir>/replica-<id>)
  --config FILE          config.json to read (default ./config.json)
  -h, --help             show this help

Environment:
  CHAT_CLUSTER_SECRET    overrides cluster_secret from config.json

Stops cleanly on SIGTERM or Ctrl-C. Every acknowledged write is on disk.`;

function parseBoolean(name: string, text: string): boolean {
  if (text === "true") return true;
  if (text === "false") return false;
  throw new Error(`--${name} must be true or false, not "${text}"`);
}

function parseInteger(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || value < min || value > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server_id: { type: "string", default: "1" },
      server_host: { type: "string", default: "127.0.0.1" },
      server_port: { type: "string", default: "50051" },
      initial_leader: { type: "string", default: "true" },
      join: { type: "string", default: "false" },
      data_dir: { type: "string" },
      config: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const serverId = parseInteger("server_id", values.server_id, 1, 1_000_000);
  const port = parseInteger("server_port", values.server_port, 0, 65535);
  parseBoolean("initial_leader", values.initial_leader);
  if (parseBoolean("join", values.join)) {
    throw new Error("--join true needs cluster membership, which this version does not have yet; start without it");
  }
  const config = loadReplicaConfig(values.config ?? join(projectRoot, "config.json"));
  const logger = createLogger(`replica-${serverId}`);
  if (config.clusterSecret === developmentSecret) {
    logger.warn("using the development cluster secret from config.json; set CHAT_CLUSTER_SECRET in production");
  }
  const replica = await startReplica({
    serverId,
    host: values.server_host,
    port,
    dataDir: values.data_dir ?? join(config.dataDir, `replica-${serverId}`),
    clusterSecret: config.clusterSecret,
    passwordHashing: config.passwordHashing,
    logger,
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    await replica.stop();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error: Error) => {
  console.error(`replica: ${error.message}`);
  process.exit(1);
});
