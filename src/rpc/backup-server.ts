/**
 * AdminService.Backup: a consistent copy of the state streamed to an
 * operator, without stopping writes. The leader first passes a read barrier
 * (it still leads, and has applied everything committed when the call
 * came), then opens a snapshot reader: one read transaction over the
 * projections at its applied index, so every write acknowledged before the
 * call is in the copy, and writes go on while the rows stream. The chunks
 * are those InstallSnapshot sends a follower (snapshotWireChunks): header,
 * rows with a CRC32 each, SHA-256 over all.
 */
import type * as grpc from "@grpc/grpc-js";
import { once } from "node:events";
import type { Logger } from "../logger.ts";
import type { SnapshotReader } from "../projections/snapshot.ts";
import type { BackupRequest__Output } from "./generated/chat/BackupRequest.ts";
import type { SnapshotChunk } from "./generated/chat/SnapshotChunk.ts";
import { snapshotWireChunks } from "./snapshot-transfer.ts";
import { toServiceError } from "./status.ts";

/** What a backup needs of the replica. */
export interface BackupSource {
  /** Resolves once this leader confirmed it leads and applied the commit index it saw; throws NotLeaderError on a follower. */
  readBarrier(): Promise<void>;
  /** A consistent view of the projections at their applied index. */
  openSnapshot(): SnapshotReader;
}

export function backupHandler(source: BackupSource, logger: Logger): grpc.handleServerStreamingCall<BackupRequest__Output, SnapshotChunk> {
  return (call) => {
    void streamBackup(source, logger, call);
  };
}

async function streamBackup(source: BackupSource, logger: Logger, call: grpc.ServerWritableStream<BackupRequest__Output, SnapshotChunk>): Promise<void> {
  let reader: SnapshotReader | null = null;
  try {
    await source.readBarrier();
    reader = source.openSnapshot();
    const { index } = reader.header;
    logger.info("backup started", { index, to: call.getPeer() });
    let rows = 0;
    for await (const chunk of snapshotWireChunks(reader)) {
      if (call.cancelled) {
        logger.warn("backup cancelled by the caller", { index });
        return;
      }
      rows += chunk.rowCount ?? 0;
      // Flow control: wait for the stream to drain, so memory stays bounded whatever the size.
      if (!call.write(chunk)) await once(call, "drain");
    }
    call.end();
    logger.info("backup sent", { index, rows });
  } catch (error) {
    call.emit("error", toServiceError(error));
  } finally {
    reader?.close();
  }
}
