/**
 * `bun run replica`: starts one chat replica. Flags keep the seed's names.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { developmentSecret, loadInstances, loadReplicaConfig, projectRoot, raftTiming } from "../config.ts";
import { stageTimings } from "../log/stage-timings.ts";
import { createLogger, logFormats, logLevels, parseLogOption } from "../logger.ts";
import { startReplica } from "../replica.ts";
import { tlsFlagOptions, tlsFlagsUsage, tlsFromFlags } from "../rpc/tls.ts";
import { addressInUseError, assertDataDirWritable, isAddressInUse } from "../startup-checks.ts";
import { answerVersion } from "./version.ts";

const usage = `Usage: bun run replica -- [options]

Starts one chat replica, serving the client API over gRPC.

Options:
  --server_id N          this replica's id (default 1)
  --server_host HOST     address to listen on (default: this id's host in config_master.json)
  --server_port PORT     port to listen on (default: this id's port in config_master.json;
                         0 picks a free one)
  --initial_leader BOOL  true: campaign at once when the log is empty, bootstrapping a new
                         cluster; false: wait for a leader (default false)
  --standalone           a cluster of this one replica (ignores config_master.json); refused on
                         the data of a member of a larger cluster
  --force-new-cluster    make this replica the only voter of a new cluster, keeping its data
                         (recovery after losing a majority for good; the old members refuse it)
  --restore FILE         start a new cluster of this replica alone from a backup written by
                         \`admin backup\`, in an empty data directory; the other servers then
                         join it with --join true --peers THIS_HOST:PORT
  --join BOOL            join a running cluster: find its leader through --peers (default: the
                         instances of config_master.json), become a learner, catch up from a
                         snapshot and the log, then a voter. Restart a joined server with the
                         same command: it asks again, and the leader answers a member at once
  --peers LIST           host:port,... of servers of the running cluster, for --join
  --data_dir DIR         where the database lives (default <config data_dir>/replica-<id>)
  --session_idle_ms MS   a session unused (no write through it) for longer than this ends
                         (default: session_idle_ms in config.json, else seven days)
  --metrics-port PORT    serve Prometheus metrics at http://HOST:PORT/metrics (default:
                         metrics_port in config.json, else none; 0 picks a free port)
  --config FILE          config.json to read (default ./config.json)
  --config_master FILE   the cluster's instances (default ./config_master.json)
${tlsFlagsUsage("this replica's certificate: served to clients, presented to peers (mutual TLS)")}
                         TLS needs all three; without them the replica serves plain text
  --log-format FORMAT    text (default: readable lines) or json (one JSON object per line);
                         every line carries the replica's id and term
  --log-level LEVEL      debug, info (default), warn or error
  -h, --help             show this help
  --version              print the version

Environment:
  CHAT_CLUSTER_SECRET    overrides cluster_secret from config.json; the development secret
                         shipped there is refused unless --server_host is a loopback address

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

/**
 * This replica's entry in config_master.json and the other founding voters.
 * A server that is not there (it joined at runtime) restarts from its state.
 */
function membership(serverId: number, standalone: boolean, configMaster?: string) {
  if (standalone) return { self: undefined, peers: [], restartOnly: false };
  const file = configMaster ?? join(projectRoot, "config_master.json");
  const instances = loadInstances(file);
  const self = instances.find((instance) => instance.id === serverId);
  if (!self) return { self: undefined, peers: [], restartOnly: true };
  const peers = instances.filter((instance) => instance.id !== serverId).map((instance) => ({ id: instance.id, address: `${instance.host}:${instance.port}` }));
  return { self, peers, restartOnly: false };
}

/** Servers to ask for the leader when joining; this server's own entry, if config_master.json has one. */
function joinSeeds(serverId: number, peersFlag: string | undefined, configMaster?: string) {
  const instances = peersFlag ? [] : loadInstances(configMaster ?? join(projectRoot, "config_master.json"));
  const self = instances.find((instance) => instance.id === serverId);
  const seeds = peersFlag
    ? peersFlag.split(",")
    : instances.filter((instance) => instance.id !== serverId).map((instance) => `${instance.host}:${instance.port}`);
  if (seeds.length === 0) throw new Error("--join needs servers to ask: give --peers host:port,...");
  return { self, peers: [], seeds, restartOnly: false };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server_id: { type: "string", default: "1" },
      server_host: { type: "string" },
      server_port: { type: "string" },
      initial_leader: { type: "string", default: "false" },
      standalone: { type: "boolean", default: false },
      "force-new-cluster": { type: "boolean", default: false },
      restore: { type: "string" },
      join: { type: "string", default: "false" },
      peers: { type: "string" },
      data_dir: { type: "string" },
      session_idle_ms: { type: "string" },
      "metrics-port": { type: "string" },
      config: { type: "string" },
      config_master: { type: "string" },
      ...tlsFlagOptions,
      "log-format": { type: "string", default: "text" },
      "log-level": { type: "string", default: "info" },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  if (answerVersion(values.version)) return;
  const serverId = parseInteger("server_id", values.server_id, 1, 1_000_000);
  const initialLeader = parseBoolean("initial_leader", values.initial_leader);
  const joining = parseBoolean("join", values.join);
  const configFile = values.config ?? join(projectRoot, "config.json");
  const config = loadReplicaConfig(configFile);
  const tls = tlsFromFlags(values, config.tls, "required", configFile);
  const sessionIdleMs =
    values.session_idle_ms === undefined ? config.sessionIdleMs : parseInteger("session_idle_ms", values.session_idle_ms, 1, Number.MAX_SAFE_INTEGER);
  const metricsPort = values["metrics-port"] === undefined ? config.metricsPort : parseInteger("metrics-port", values["metrics-port"], 0, 65535);
  const forceNewCluster = values["force-new-cluster"];
  if (forceNewCluster && joining) throw new Error("--force-new-cluster and --join contradict each other: choose one");
  const restoreFrom = values.restore;
  if (restoreFrom !== undefined && (joining || forceNewCluster)) {
    throw new Error("--restore starts a new cluster from a backup: it goes with neither --join nor --force-new-cluster");
  }
  const { self, peers, seeds, restartOnly } = joining
    ? joinSeeds(serverId, values.peers, values.config_master)
    : { ...membership(serverId, values.standalone || forceNewCluster, values.config_master), seeds: undefined };
  if (joining && values.server_port === undefined && !self) throw new Error("--join needs --server_port (or an entry in config_master.json)");
  const host = values.server_host ?? self?.host ?? "127.0.0.1";
  const port = values.server_port === undefined ? (self?.port ?? 50051) : parseInteger("server_port", values.server_port, 0, 65535);
  const dataDir = values.data_dir ?? join(config.dataDir, `replica-${serverId}`);
  assertDataDirWritable(dataDir, values.data_dir ? "--data_dir" : `${configFile} data_dir (the replica uses <data_dir>/replica-${serverId})`);
  const portSource =
    values.server_port !== undefined || !self
      ? "--server_port"
      : `${values.config_master ?? "config_master.json"} "instances" (id ${serverId}) host and port, or --server_host and --server_port`;
  const logger = createLogger(`replica-${serverId}`, {
    level: parseLogOption("log-level", values["log-level"], logLevels),
    format: parseLogOption("log-format", values["log-format"], logFormats),
    fields: { replica: serverId },
  });
  if (config.clusterSecret === developmentSecret) {
    logger.warn("using the development cluster secret from config.json (accepted on loopback addresses only); set CHAT_CLUSTER_SECRET in production");
  }
  let shutdown = async (_reason: string) => {};
  const replica = await startReplica({
    serverId,
    host,
    port,
    dataDir,
    // A restored server founds a cluster alone (its own entry in config_master.json gives only its host and port).
    peers: restoreFrom === undefined ? peers : [],
    joinSeeds: seeds,
    forceNewCluster,
    restoreFrom,
    restartOnly,
    timing: raftTiming(config),
    compaction: { entriesMax: config.snapshotAfterEntries, tailEntries: config.snapshotTailEntries },
    peerCallTimeoutMs: config.rpcTimeoutMs,
    initialLeader,
    clusterSecret: config.clusterSecret,
    passwordHashing: config.passwordHashing,
    sessionIdleMs,
    tls,
    metricsPort,
    logger,
    onRemoved: () => void shutdown("removed from the cluster"),
  }).catch((error: Error) => {
    throw isAddressInUse(error) ? addressInUseError(`${host}:${port}`, portSource) : error;
  });
  let stopping = false;
  shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { reason });
    await replica.stop();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  stageTimings.installDump(); // CHAT_STAGE_TIMINGS=1 only (the bench's profile)
}

main().catch((error: Error) => {
  console.error(`replica: ${error.message}`);
  process.exit(1);
});
