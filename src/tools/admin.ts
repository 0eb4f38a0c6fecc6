/**
 * `bun run admin`: operator commands against a running cluster, with the
 * admin key derived from the cluster secret (src/keys.ts): status (every
 * member asked itself: admin/status-command.ts), backup FILE, remove <id>,
 * transfer-leader <id>.
 */
import * as grpc from "@grpc/grpc-js";
import { parseArgs } from "node:util";
import { loadClientReplicas, loadReplicaConfig } from "../config.ts";
import { deriveClusterKeys } from "../keys.ts";
import { clusterKeyHeader } from "../rpc/cluster-secret.ts";
import type { AdminServiceClient } from "../rpc/generated/chat/AdminService.ts";
import type { MembershipReply__Output } from "../rpc/generated/chat/MembershipReply.ts";
import type { TransferLeaderReply__Output } from "../rpc/generated/chat/TransferLeaderReply.ts";
import { chatProto } from "../rpc/proto.ts";
import { leaderAddressKey } from "../rpc/status.ts";
import { channelSecurity, type TlsMaterial, tlsFlagOptions, tlsFlagsUsage, tlsFromFlags } from "../rpc/tls.ts";
import { answerVersion } from "./version.ts";
import { statusWatchIntervalMsDefault } from "../limits.ts";
import { runBackup } from "./admin/backup-command.ts";
import { parseWatchInterval, runStatus } from "./admin/status-command.ts";

const usage = `Usage: bun run admin -- [--server HOST:PORT,...] <command>

Commands:
  status                  asks every member itself: reachable, role, term, commit and applied
                          index, log length, snapshot index, lag behind the leader, last
                          contact with a leader, voter or learner, database size, version.
                          Exits 1 when the cluster has no leader or a member is unreachable
    --json                one JSON object per report, for scripts
    --watch               report again every --interval seconds until Ctrl-C
    --interval SECONDS    for --watch (default ${statusWatchIntervalMsDefault / 1000}, from 0.5 to 60)
  backup FILE             write a consistent copy of the state (the chat tables at one applied
                          index, with the membership and the exactly-once table) to FILE, from
                          the leader, while writes go on; every write acknowledged before the
                          command started is in it. Restore: bun run replica -- --restore FILE
  remove <id>             remove a server from the cluster (the leader too: it steps down)
  transfer-leader <id>    make a voter the leader

Options:
  --server LIST   replicas to start from (default: config_client.json); the leader and the
                  membership are found through them
${tlsFlagsUsage("the operator's client certificate, signed by the CA: with TLS, admin calls need one")}
  -h, --help      show this help
  --version       print the version

The cluster secret comes from CHAT_CLUSTER_SECRET or config.json.`;

/** Deadline of one admin call; a removal or transfer waits for a commit or an election. */
const adminCallDeadlineMs = 10_000;
/** Redirects to the leader one command follows at most. */
const redirectsMax = 3;

type Call<Reply> = (stub: AdminServiceClient, metadata: grpc.Metadata, deadline: Date, done: grpc.requestCallback<Reply>) => void;

/** Calls the first replica that answers; follows a leader redirect. */
async function callLeader<Reply>(addresses: string[], adminKey: string, tls: TlsMaterial | null, call: Call<Reply>): Promise<Reply> {
  const metadata = new grpc.Metadata();
  metadata.set(clusterKeyHeader, adminKey);
  let lastError: grpc.ServiceError | null = null;
  const queue = [...addresses];
  for (let attempt = 0; attempt < addresses.length + redirectsMax && queue.length > 0; attempt++) {
    const address = queue.shift()!;
    const { credentials, options } = channelSecurity(tls, address);
    const stub = new chatProto.chat.AdminService(address, credentials, options);
    try {
      return await new Promise<Reply>((resolve, reject) =>
        call(stub, metadata, new Date(Date.now() + adminCallDeadlineMs), (error, reply) => (error ? reject(error) : resolve(reply!))),
      );
    } catch (error) {
      lastError = error as grpc.ServiceError;
      const leader = lastError.metadata?.get(leaderAddressKey)[0];
      if (leader) queue.unshift(String(leader));
      if (lastError.code !== grpc.status.UNAVAILABLE && lastError.code !== grpc.status.DEADLINE_EXCEEDED) break;
    } finally {
      stub.close();
    }
  }
  throw new Error(lastError ? `${grpc.status[lastError.code]}: ${lastError.details}` : "no replica answered");
}

function parseId(text: string | undefined): number {
  const id = Number(text);
  if (!text || !Number.isInteger(id) || id < 1) throw new Error(`expected a server id, not "${text ?? ""}"`);
  return id;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      server: { type: "string" },
      json: { type: "boolean", default: false },
      watch: { type: "boolean", default: false },
      interval: { type: "string" },
      ...tlsFlagOptions,
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", default: false },
    },
    allowPositionals: true,
  });
  if (answerVersion(values.version)) return 0;
  if (values.help || positionals.length === 0) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  const addresses = values.server ? values.server.split(",") : loadClientReplicas();
  const config = loadReplicaConfig();
  const adminKey = deriveClusterKeys(config.clusterSecret).admin;
  const tls = tlsFromFlags(values, config.tls, "optional", "config.json");
  const [command, argument] = positionals;
  switch (command) {
    case "status": {
      if (values.interval !== undefined && !values.watch) throw new Error("--interval goes with --watch");
      const watchIntervalMs = values.watch ? (values.interval === undefined ? statusWatchIntervalMsDefault : parseWatchInterval(values.interval)) : undefined;
      return runStatus({ seeds: addresses, adminKey, json: values.json, watchIntervalMs, tls });
    }
    case "backup": {
      if (!argument) throw new Error("backup needs a file name: bun run admin -- backup FILE");
      console.log(await runBackup(argument, addresses, adminKey, tls));
      return 0;
    }
    case "remove": {
      const id = parseId(argument);
      const reply = await callLeader<MembershipReply__Output>(addresses, adminKey, tls, (stub, metadata, deadline, done) =>
        stub.RemoveServer({ id }, metadata, { deadline }, done),
      );
      console.log(`removed ${id}; voters: ${reply.voters.map((voter) => voter.id).join(", ")}`);
      return 0;
    }
    case "transfer-leader": {
      const id = parseId(argument);
      const reply = await callLeader<TransferLeaderReply__Output>(addresses, adminKey, tls, (stub, metadata, deadline, done) =>
        stub.TransferLeader({ id }, metadata, { deadline }, done),
      );
      console.log(`leader is now ${reply.leaderId} at ${reply.leaderAddress}`);
      return 0;
    }
    default:
      console.error(`unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`admin: ${error.message}`);
    process.exit(1);
  },
);
