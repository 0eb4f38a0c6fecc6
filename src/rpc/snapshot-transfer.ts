/**
 * InstallSnapshot on the wire: the leader streams a header, chunks of rows
 * and a final digest; the follower stages them and installs the whole only
 * when the digest matches. Flow control: the sender waits for the stream to
 * drain, so memory stays bounded whatever the snapshot's size.
 */
import * as grpc from "@grpc/grpc-js";
import { once } from "node:events";
import type { AppendResponseMessage, Message, SnapshotMeta } from "../log/raft/types.ts";
import { parseMembership, type Membership } from "../log/membership.ts";
import type { SnapshotEnvelope } from "../log/snapshot-port.ts";
import type { Logger } from "../logger.ts";
import { addToDigest, chunkDigest, SnapshotError, type SnapshotReader, type SnapshotStaging } from "../projections/snapshot.ts";
import { refusedPeerCall, type PeerGate } from "./cluster-id.ts";
import type { PeerServiceClient } from "./generated/chat/PeerService.ts";
import type { ReplicateReply } from "./generated/chat/ReplicateReply.ts";
import type { SnapshotChunk__Output } from "./generated/chat/SnapshotChunk.ts";
import { appendReplyFromWire, appendReplyToWire } from "./raft-wire.ts";

/** The longest one snapshot transfer may take before the leader gives up and retries. */
export const snapshotTransferDeadlineMs = 10 * 60 * 1000;
/** How often the receiving side logs its progress. */
export const snapshotProgressEveryMs = 1000;

/** Streams `reader` to a peer; resolves with the peer's answer (null on failure). */
export async function sendSnapshot(
  stub: PeerServiceClient,
  metadata: grpc.Metadata,
  envelope: SnapshotEnvelope,
  reader: SnapshotReader,
): Promise<AppendResponseMessage | null> {
  let answer: (reply: ReplicateReply | null) => void = () => {};
  const replied = new Promise<ReplicateReply | null>((resolve) => (answer = resolve));
  const call = stub.InstallSnapshot(metadata, { deadline: Date.now() + snapshotTransferDeadlineMs }, (error, reply) => answer(error ? null : (reply ?? null)));
  const write = async (chunk: object) => {
    if (!call.write({ ...envelope, ...chunk })) await Promise.race([once(call, "drain"), replied]);
  };
  try {
    for await (const chunk of snapshotWireChunks(reader)) await write(chunk);
    call.end();
  } catch {
    call.cancel();
  } finally {
    reader.close();
  }
  const reply = await replied;
  return reply ? appendReplyFromWire(reply as Required<ReplicateReply>) : null;
}

/**
 * A snapshot as the wire carries it (chat.SnapshotChunk without the
 * envelope): the header first, then rows table by table, then the digest
 * over them all. InstallSnapshot streams it to a follower, and
 * AdminService.Backup to an operator's file.
 */
export async function* snapshotWireChunks(reader: SnapshotReader): AsyncGenerator<Partial<SnapshotChunk__Output>> {
  const { header } = reader;
  yield {
    index: header.index,
    snapshotTerm: header.term,
    membership: JSON.stringify(header.membership),
    configIndex: header.configIndex ?? 0,
    totalRows: reader.totalRows(),
  };
  const digest = chunkDigest();
  for await (const chunk of reader.chunks()) {
    addToDigest(digest, chunk);
    yield { table: chunk.table, rows: chunk.rows, crc32: chunk.crc32, rowCount: chunk.rowCount };
  }
  yield { done: true, digest: digest.digest("hex") };
}

/** What the receiving side needs of the node. */
export interface SnapshotInstaller {
  /** Stages an incoming snapshot; throws if it must be refused (a stale term). */
  beginSnapshot(envelope: SnapshotEnvelope, header: SnapshotMeta): SnapshotStaging;
  /** Installs a verified staging file and answers the leader; null when the node ignored it. */
  installSnapshot(envelope: SnapshotEnvelope, staging: SnapshotStaging): Message | null;
}

/** The InstallSnapshot handler: stage, verify, install, answer. */
export function receiveSnapshots(
  gate: PeerGate,
  node: SnapshotInstaller,
  logger: Logger,
): grpc.handleClientStreamingCall<SnapshotChunk__Output, ReplicateReply> {
  return (call, callback) => {
    if (refusedPeerCall(gate, call, callback)) return;
    let staging: SnapshotStaging | null = null;
    let totalRows = 0;
    let lastReport = 0;
    let finished = false;
    const fail = (code: grpc.status, details: string) => {
      if (finished) return;
      finished = true;
      staging?.abort();
      logger.warn("snapshot transfer failed", { reason: details });
      callback({ code, details });
    };
    call.on("data", (chunk: SnapshotChunk__Output) => {
      if (finished) return;
      try {
        const envelope = { from: chunk.from, to: chunk.to, term: chunk.term };
        if (!staging) {
          const header = headerFromWire(chunk);
          staging = node.beginSnapshot(envelope, header);
          totalRows = chunk.totalRows;
          logger.info("receiving snapshot", { from: chunk.from, index: header.index, rows: totalRows });
        }
        if (chunk.table) staging.add({ table: chunk.table, rows: chunk.rows, crc32: chunk.crc32, rowCount: chunk.rowCount });
        if (Date.now() - lastReport >= snapshotProgressEveryMs) {
          lastReport = Date.now();
          reportProgress(logger, staging, totalRows);
        }
        if (!chunk.done) return;
        staging.finish(chunk.digest);
        reportProgress(logger, staging, totalRows);
        finished = true;
      } catch (error) {
        const code = error instanceof SnapshotError ? grpc.status.DATA_LOSS : grpc.status.FAILED_PRECONDITION;
        fail(code, (error as Error).message);
        return;
      }
      // Outside the try: a failure to install or persist is not the leader's problem to retry; it ends
      // this replica, like any failure to write its log.
      const answer = node.installSnapshot({ from: chunk.from, to: chunk.to, term: chunk.term }, staging);
      if (answer) callback(null, appendReplyToWire(answer));
      else callback({ code: grpc.status.ABORTED, details: "snapshot ignored by this replica" });
    });
    call.on("end", () => fail(grpc.status.DATA_LOSS, "snapshot stream ended before its last chunk"));
    call.on("error", () => fail(grpc.status.CANCELLED, "snapshot stream broke"));
  };
}

function reportProgress(logger: Logger, staging: SnapshotStaging, totalRows: number): void {
  const percent = totalRows === 0 ? 100 : Math.min(100, Math.round((100 * staging.receivedRows) / totalRows));
  logger.info("snapshot progress", {
    percent: `${percent}%`,
    rows: `${staging.receivedRows}/${totalRows}`,
    megabytes: (staging.receivedBytes / 1048576).toFixed(1),
  });
}

/** The first chunk's header; a config index of 0 is proto3's "absent" (a sender that does not know it). */
export function headerFromWire(chunk: SnapshotChunk__Output): SnapshotMeta {
  const header = { index: chunk.index, term: chunk.snapshotTerm, membership: parseWireMembership(chunk.membership) };
  return chunk.configIndex === 0 ? header : { ...header, configIndex: chunk.configIndex };
}

function parseWireMembership(json: string): Membership {
  try {
    return parseMembership(json);
  } catch {
    throw new SnapshotError("snapshot header has no valid membership");
  }
}
