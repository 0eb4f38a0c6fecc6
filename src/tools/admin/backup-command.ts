/**
 * `admin backup FILE`: asks the leader for a consistent copy of the state
 * (AdminService.Backup), verifies every chunk's CRC32 and the SHA-256 over
 * all, and assembles the backup file (src/ops/backup-file.ts). Writes go on
 * meanwhile. The file appears only once complete: chunks are staged beside
 * it and renamed into place at the end, and an existing file is never
 * overwritten.
 */
import * as grpc from "@grpc/grpc-js";
import { existsSync, renameSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { assembleBackup } from "../../ops/backup-file.ts";
import { removeStaging, SnapshotStaging } from "../../projections/snapshot.ts";
import { clusterKeyHeader } from "../../rpc/cluster-secret.ts";
import type { AdminServiceClient } from "../../rpc/generated/chat/AdminService.ts";
import type { SnapshotChunk__Output } from "../../rpc/generated/chat/SnapshotChunk.ts";
import { chatProto } from "../../rpc/proto.ts";
import { channelSecurity, type TlsMaterial } from "../../rpc/tls.ts";
import { headerFromWire, snapshotTransferDeadlineMs } from "../../rpc/snapshot-transfer.ts";
import { leaderAddressKey } from "../../rpc/status.ts";

/** Redirects to the leader one backup follows at most. */
const redirectsMax = 3;

/** Writes the backup; resolves with a line saying what was written. */
export async function runBackup(file: string, seeds: readonly string[], adminKey: string, tls: TlsMaterial | null = null): Promise<string> {
  const target = resolve(file);
  if (existsSync(target)) throw new Error(`${file} exists already: a backup never overwrites a file; give a new name`);
  if (!existsSync(dirname(target))) throw new Error(`${dirname(target)}: no such directory`);
  const stagingPath = `${target}.receiving-${process.pid}`;
  const assemblingPath = `${target}.assembling-${process.pid}`;
  try {
    const { staging, from } = await receiveFromLeader(seeds, adminKey, stagingPath, tls);
    const header = assembleBackup(staging, assemblingPath);
    renameSync(assemblingPath, target);
    const megabytes = (statSync(target).size / (1024 * 1024)).toFixed(1);
    const voters = header.membership.voters.map((voter) => voter.id).join(", ");
    return `backup of applied index ${header.index} (term ${header.term}, voters ${voters}) from ${from}: ${staging.receivedRows} rows, ${megabytes} MiB in ${file}`;
  } finally {
    removeStaging(stagingPath);
    removeStaging(assemblingPath);
  }
}

/** Tries the seeds in turn, following the leader's address when a follower names it. */
async function receiveFromLeader(
  seeds: readonly string[],
  adminKey: string,
  stagingPath: string,
  tls: TlsMaterial | null,
): Promise<{ staging: SnapshotStaging; from: string }> {
  const queue = [...seeds];
  let lastError: grpc.ServiceError | null = null;
  for (let attempt = 0; attempt < seeds.length + redirectsMax && queue.length > 0; attempt++) {
    const address = queue.shift()!;
    try {
      return { staging: await receive(address, adminKey, stagingPath, tls), from: address };
    } catch (error) {
      if (!("code" in (error as object))) throw error; // a bad chunk: not a reason to ask elsewhere
      lastError = error as grpc.ServiceError;
      const leader = lastError.metadata?.get(leaderAddressKey)[0];
      if (leader) queue.unshift(String(leader));
      if (lastError.code !== grpc.status.UNAVAILABLE && lastError.code !== grpc.status.DEADLINE_EXCEEDED) break;
    }
  }
  throw new Error(lastError ? `${grpc.status[lastError.code]}: ${lastError.details}` : "no replica answered");
}

/** One Backup stream into a staging file; resolves once the digest matched. */
function receive(address: string, adminKey: string, stagingPath: string, tls: TlsMaterial | null): Promise<SnapshotStaging> {
  const metadata = new grpc.Metadata();
  metadata.set(clusterKeyHeader, adminKey);
  const { credentials, options } = channelSecurity(tls, address);
  const stub = new chatProto.chat.AdminService(address, credentials, options) as AdminServiceClient;
  return new Promise<SnapshotStaging>((resolvePromise, reject) => {
    let staging: SnapshotStaging | null = null;
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      stub.close();
      if (error) {
        staging?.abort();
        reject(error);
      } else resolvePromise(staging!);
    };
    const call = stub.Backup({}, metadata, { deadline: Date.now() + snapshotTransferDeadlineMs });
    call.on("data", (chunk: SnapshotChunk__Output) => {
      if (settled) return;
      try {
        staging ??= new SnapshotStaging(stagingPath, headerFromWire(chunk));
        if (chunk.table) staging.add({ table: chunk.table, rows: chunk.rows, crc32: chunk.crc32, rowCount: chunk.rowCount });
        if (!chunk.done) return;
        staging.finish(chunk.digest);
        settle(null);
      } catch (error) {
        call.cancel();
        settle(error as Error);
      }
    });
    call.on("error", (error) => settle(error));
    call.on("end", () => settle(new Error(`${address} ended the backup before its last chunk`)));
  });
}
