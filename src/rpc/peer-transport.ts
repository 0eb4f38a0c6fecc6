/**
 * Sends Raft messages to peers as gRPC calls and feeds their answers back.
 * Losing a message is fine (Raft retries); a failed call is dropped quietly.
 */
import * as grpc from "@grpc/grpc-js";
import type { AppendResponseMessage, Message, NodeId } from "../log/raft/types.ts";
import type { SnapshotReader } from "../projections/snapshot.ts";
import { clusterSecretKey } from "./cluster-secret.ts";
import type { PeerServiceClient } from "./generated/chat/PeerService.ts";
import { channelOptions, chatProto } from "./proto.ts";
import { appendReplyFromWire, appendToWire, voteReplyFromWire, voteRequestToWire } from "./raft-wire.ts";
import { sendSnapshot, type SnapshotEnvelope } from "./snapshot-transfer.ts";

export interface PeerTransportOptions {
  secret: string;
  deadlineMs: number;
  /** An answer from a peer, to step into the node. */
  onAnswer: (message: Message) => void;
}

export class PeerTransport {
  private readonly stubs = new Map<NodeId, PeerServiceClient>();
  private readonly metadata = new grpc.Metadata();

  constructor(
    private addresses: Map<NodeId, string>,
    private readonly options: PeerTransportOptions,
  ) {
    this.metadata.set(clusterSecretKey, options.secret);
  }

  /** The membership changed: new peers get channels, removed ones are closed. */
  setAddresses(addresses: Map<NodeId, string>): void {
    for (const [id, stub] of this.stubs) {
      if (addresses.get(id) !== this.addresses.get(id)) {
        stub.close();
        this.stubs.delete(id);
      }
    }
    this.addresses = addresses;
  }

  /** Streams a snapshot to a peer; resolves with its answer, or null when the transfer failed. */
  async sendSnapshot(envelope: SnapshotEnvelope, reader: SnapshotReader): Promise<AppendResponseMessage | null> {
    const stub = this.stub(envelope.to);
    if (!stub) {
      reader.close();
      return null;
    }
    return sendSnapshot(stub, this.metadata, envelope, reader);
  }

  send(message: Message): void {
    const stub = this.stub(message.to);
    if (!stub) return;
    const deadline = Date.now() + this.options.deadlineMs;
    switch (message.type) {
      case "preVote":
      case "vote":
        stub.Election(voteRequestToWire(message), this.metadata, { deadline }, (error, reply) => {
          if (!error && reply) this.options.onAnswer(voteReplyFromWire(reply as Required<typeof reply>));
        });
        return;
      case "append":
        stub.ReplicateOperation(appendToWire(message), this.metadata, { deadline }, (error, reply) => {
          if (!error && reply) this.options.onAnswer(appendReplyFromWire(reply as Required<typeof reply>));
        });
        return;
      case "timeoutNow":
        stub.TimeoutNow(message, this.metadata, { deadline }, () => {});
        return;
      default:
        // Answers travel as RPC replies; snapshots go through sendSnapshot.
        return;
    }
  }

  close(): void {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }

  private stub(id: NodeId): PeerServiceClient | undefined {
    const existing = this.stubs.get(id);
    if (existing) return existing;
    const address = this.addresses.get(id);
    if (!address) return undefined;
    const stub = new chatProto.chat.PeerService(address, grpc.credentials.createInsecure(), channelOptions);
    this.stubs.set(id, stub);
    return stub;
  }
}
