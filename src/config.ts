/**
 * config.json (defaults and timing), config_master.json (the initial
 * instances) and config_client.json (a client's fallback addresses).
 * Files are read once at start; a missing or malformed file, an unknown
 * (misspelled) key, or duplicate servers are errors that name the file,
 * the field and what to do.
 */
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { type AskedKeys, trackKeys, unknownKeyProblems } from "./config-keys.ts";
import { sessionIdleMsDefault } from "./limits.ts";
import type { RaftTiming } from "./log/driver-clock.ts";
import type { TlsPaths } from "./rpc/tls.ts";

export const projectRoot = resolve(import.meta.dir, "..");

export interface ReplicaConfig {
  dataDir: string;
  clusterSecret: string;
  heartbeatMs: number;
  /** A follower campaigns after a silence of [1, 2) times this, plus an offset that grows with its id's rank. */
  electionTimeoutMs: number;
  rpcTimeoutMs: number;
  /** Compact the log once it holds this many entries past the last compaction point... */
  snapshotAfterEntries: number;
  /** ...keeping this many entries before the applied index for followers slightly behind. */
  snapshotTailEntries: number;
  passwordHashing: { memoryCost: number; timeCost: number };
  /** How long a session may go unused before it ends (stamped into each Login by the leader). */
  sessionIdleMs: number;
  /** tls_cert, tls_key, tls_ca (src/rpc/tls.ts), resolved like data_dir; all absent: plain text. */
  tls: TlsPaths;
  /** Port of the Prometheus metrics endpoint on the replica's host; undefined (the default) serves none. */
  metricsPort?: number;
}

export interface Instance {
  id: number;
  host: string;
  port: number;
}

/** The secret that ships in config.json: a replica warns when it is used, and refuses it off loopback. */
export const developmentSecret = "dev-only-cluster-secret-change-me";

export class ConfigError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "ConfigError";
  }
}

/** Each file read by readJson: its parsed contents and the keys its loader has asked for. */
const askedKeys = new WeakMap<object, { raw: unknown; asked: AskedKeys }>();

/** The file's JSON object, noting the keys its loader reads so that `refuseUnknownKeys` can name the others. */
function readJson(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new ConfigError(path, "file not found");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError(path, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError(path, "must hold one JSON object ({ ... })");
  const asked: AskedKeys = new Set();
  const json = trackKeys(raw as Record<string, unknown>, asked);
  askedKeys.set(json, { raw, asked });
  return json;
}

/** Call once the loader has read every key it knows: any other key in the file is a mistake. */
function refuseUnknownKeys(path: string, json: Record<string, unknown>): void {
  const { raw, asked } = askedKeys.get(json)!;
  const problems = unknownKeyProblems(raw, asked);
  if (problems.length > 0) throw new ConfigError(path, problems.join("; "));
}

function field<T>(file: string, object: Record<string, unknown>, key: string, kind: string, fallback?: T): T {
  const value = object[key] ?? fallback;
  if (typeof value !== kind) throw new ConfigError(file, `"${key}" must be a ${kind}`);
  return value as T;
}

/** CHAT_CLUSTER_SECRET overrides the file's cluster_secret, which must be there otherwise. */
function clusterSecret(path: string, json: Record<string, unknown>): string {
  const inFile = json.cluster_secret; // read either way: the key is known even when the environment overrides it
  return process.env.CHAT_CLUSTER_SECRET ?? field(path, { cluster_secret: inFile }, "cluster_secret", "string");
}

export function loadReplicaConfig(path = join(projectRoot, "config.json")): ReplicaConfig {
  const json = readJson(path);
  const hashing = (json.password_hashing ?? {}) as Record<string, unknown>;
  const config: ReplicaConfig = {
    dataDir: resolve(projectRoot, field(path, json, "data_dir", "string", "data")),
    clusterSecret: clusterSecret(path, json),
    heartbeatMs: field(path, json, "heartbeat_ms", "number", 50),
    electionTimeoutMs: field(path, json, "election_timeout_ms", "number", 300),
    rpcTimeoutMs: field(path, json, "rpc_timeout_ms", "number", 2000),
    snapshotAfterEntries: field(path, json, "snapshot_after_entries", "number", 50_000),
    snapshotTailEntries: field(path, json, "snapshot_tail_entries", "number", 5_000),
    passwordHashing: {
      memoryCost: field(path, hashing, "memory_cost", "number", 19456),
      timeCost: field(path, hashing, "time_cost", "number", 2),
    },
    sessionIdleMs: field(path, json, "session_idle_ms", "number", sessionIdleMsDefault),
    tls: tlsPaths(path, json),
    metricsPort: json.metrics_port === undefined ? undefined : field(path, json, "metrics_port", "number"),
  };
  refuseUnknownKeys(path, json);
  if (config.metricsPort !== undefined && !(Number.isInteger(config.metricsPort) && config.metricsPort >= 0 && config.metricsPort <= 65535)) {
    throw new ConfigError(path, '"metrics_port" must be a port from 0 to 65535 (0 picks a free one), or absent to serve no metrics');
  }
  if (config.clusterSecret.length < 16) throw new ConfigError(path, "cluster secret must be at least 16 characters");
  if (config.heartbeatMs < raftTickMs || config.heartbeatMs * 3 > config.electionTimeoutMs) {
    throw new ConfigError(path, `heartbeat_ms must be at least ${raftTickMs} and at most a third of election_timeout_ms`);
  }
  if (!Number.isSafeInteger(config.sessionIdleMs) || config.sessionIdleMs < 1) {
    throw new ConfigError(path, `"session_idle_ms" must be a positive integer (milliseconds; default ${sessionIdleMsDefault}, seven days)`);
  }
  if (!(config.snapshotTailEntries >= 0 && config.snapshotTailEntries < config.snapshotAfterEntries)) {
    throw new ConfigError(path, "snapshot_tail_entries must be at least 0 and below snapshot_after_entries");
  }
  return config;
}

/** The consensus core counts time in ticks of this length. */
export const raftTickMs = 10;

export function raftTiming(config: ReplicaConfig): RaftTiming {
  return {
    tickMs: raftTickMs,
    heartbeatTicks: Math.round(config.heartbeatMs / raftTickMs),
    electionTicks: Math.round(config.electionTimeoutMs / raftTickMs),
  };
}

export function loadInstances(path = join(projectRoot, "config_master.json")): Instance[] {
  const json = readJson(path);
  const instances = json.instances;
  if (!Array.isArray(instances) || instances.length === 0) {
    throw new ConfigError(path, '"instances" must be a non-empty list');
  }
  const parsed = instances.map((raw: Record<string, unknown>, position) => {
    const id = field<number>(path, raw, "id", "number");
    if (!Number.isInteger(id) || id < 1) throw new ConfigError(path, `instance ${position}: id must be a positive integer`);
    const port = field<number>(path, raw, "port", "number");
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new ConfigError(path, `instance ${position} (id ${id}): port must be from 1 to 65535, not ${port}`);
    return { id, host: field<string>(path, raw, "host", "string"), port };
  });
  refuseUnknownKeys(path, json);
  refuseDuplicateInstances(path, parsed);
  return parsed;
}

/**
 * Two entries with one id, or one host:port, would found a cluster whose
 * voters are fewer than the file seems to say (two entries for one id made
 * a one-voter cluster of what looked like three): refused, naming both.
 */
function refuseDuplicateInstances(path: string, instances: Instance[]): void {
  const byId = new Map<number, number>();
  const byAddress = new Map<string, number>();
  instances.forEach((instance, position) => {
    const address = `${instance.host}:${instance.port}`;
    const sameId = byId.get(instance.id);
    if (sameId !== undefined) {
      throw new ConfigError(
        path,
        `"instances" ${sameId} and ${position} both have id ${instance.id}: every server needs an id of its own; give one of them another id`,
      );
    }
    const sameAddress = byAddress.get(address);
    if (sameAddress !== undefined) {
      throw new ConfigError(
        path,
        `"instances" ${sameAddress} and ${position} both listen on ${address}: every server needs an address of its own; change one's host or port`,
      );
    }
    byId.set(instance.id, position);
    byAddress.set(address, position);
  });
}

/** The optional tls_cert, tls_key and tls_ca of a config file, as paths resolved against the project root. */
function tlsPaths(path: string, json: Record<string, unknown>, keys = ["tls_cert", "tls_key", "tls_ca"]): TlsPaths {
  // Only the keys this file may hold are read: a client's file has no certificate of its own.
  const optional = (key: string) =>
    keys.includes(key) && json[key] !== undefined ? resolve(projectRoot, field<string>(path, json, key, "string")) : undefined;
  return { cert: optional("tls_cert"), key: optional("tls_key"), ca: optional("tls_ca") };
}

/** config_client.json: the replicas a client tries first, and the CA (tls_ca) it verifies them against (none: plain text). */
export function loadClientConfig(path = join(projectRoot, "config_client.json")): { replicas: string[]; tls: TlsPaths } {
  const json = readJson(path);
  const replicas = json.replicas;
  if (!Array.isArray(replicas) || replicas.some((address) => typeof address !== "string")) {
    throw new ConfigError(path, '"replicas" must be a list of "host:port" strings');
  }
  const tls = { ca: tlsPaths(path, json, ["tls_ca"]).ca };
  refuseUnknownKeys(path, json);
  return { replicas: [...replicas] as string[], tls };
}

export function loadClientTlsPaths(path = join(projectRoot, "config_client.json")): TlsPaths {
  return loadClientConfig(path).tls;
}

export function loadClientReplicas(path = join(projectRoot, "config_client.json")): string[] {
  return loadClientConfig(path).replicas;
}

/** Whether only this machine can reach `host`: 127.0.0.0/8, ::1 (bracketed or not) or localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (bare === "localhost") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (isIP(bare) === 6) return new URL(`http://[${bare}]`).hostname === "[::1]";
  return false;
}

/**
 * The development secret is in config.json for anyone to read, and every
 * key derives from it (src/keys.ts): whoever can reach a replica that uses
 * it can act as a peer or an operator and compute its session key. So it is
 * refused unless every host the replica binds and advertises is loopback.
 */
export function assertSecretFitsHosts(clusterSecret: string, hosts: readonly string[]): void {
  if (clusterSecret !== developmentSecret) return;
  const reachable = hosts.filter((host) => !isLoopbackHost(host));
  if (reachable.length === 0) return;
  throw new Error(
    `the development cluster secret (shipped in config.json, so known to anyone) is refused on ${reachable.join(", ")}, which other machines can reach: ` +
      "set CHAT_CLUSTER_SECRET, or cluster_secret in config.json, to a secret of your own (the same on every replica), or listen on a loopback address",
  );
}
