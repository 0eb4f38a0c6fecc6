/**
 * Sends Raft messages to peers and feeds their answers back: Appends on one
 * long-lived stream per peer (src/rpc/append-stream.ts), votes and the rest
 * as calls. Losing a message is fine (Raft retries); a failed call is
 * dropped quietly.
 */
import * as grpc from "@grpc/grpc-js";
import type { AppendResponseMessage, Message, NodeId } from "../log/raft/types.ts";
import { AppendStream } from "./append-stream.ts";
import type { SnapshotEnvelope } from "../log/snapshot-port.ts";
import type { SnapshotReader } from "../projections/snapshot.ts";
import { clusterIdKey, foreignClusterOf } from "./cluster-id.ts";
import { clusterKeyHeader } from "./cluster-secret.ts";
import { removedAtKey } from "./peer-server.ts";
import type { PeerRoute } from "./peer-routes.ts";
import type { PeerServiceClient } from "./generated/chat/PeerService.ts";
import { chatProto } from "./proto.ts";
import { voteReplyFromWire, voteRequestToWire } from "./raft-wire.ts";
import { sendSnapshot } from "./snapshot-transfer.ts";
import { channelSecurity, type TlsMaterial } from "./tls.ts";
import { PeerReachability } from "./peer-reachability.ts";
import type { Logger } from "../logger.ts";

export interface PeerTransportOptions {
  /** The peer key (src/keys.ts), sent with every call. */
  peerKey: string;
  /** This replica's certificate, key and CA: peers are reached over mutual TLS; null: plain text. */
  tls: TlsMaterial | null;
  /** This replica's cluster id, sent with every call ("" while joining). */
  clusterId: () => string;
  /** A peer refused a call as coming from another cluster (its id given). */
  onForeignCluster: (peer: string, theirs: string) => void;
  /** The leader refused a vote request: this server was removed by the config at `index`. */
  onRemoved: (index: number) => void;
  deadlineMs: number;
  /** An answer from a peer, to step into the node. */
  onAnswer: (message: Message) => void;
  /** Peers unreachable and back, quorum lost and regained (absent: not logged). */
  logger?: Logger;
  /** Where to dial a peer's address (default: the address itself; a test build reroutes through fault proxies). */
  route?: PeerRoute;
  /** Times every call to a peer (metrics); none by default. */
  observer?: PeerCallObserver;
}

/**
 * The kinds of peer call timed: a vote or pre-vote round trip; an append (entries or a heartbeat)
 * on the follower's ReplicateStream, from the oldest unanswered send to the next answer.
 */
export type PeerCallKind = "vote" | "append";

export interface PeerCallObserver {
  /** One call to a peer ended after `seconds`, answered or not (`ok` false: an error or a deadline). */
  peerCall(kind: PeerCallKind, seconds: number, ok: boolean): void;
}

export class PeerTransport {
  private readonly stubs = new Map<NodeId, PeerServiceClient>();
  private readonly appendStreams = new Map<NodeId, AppendStream>();
  private metadataCache: { clusterId: string; metadata: grpc.Metadata } | null = null;
  private readonly reachability: PeerReachability;
  /** Every answer passes here: a peer that answers is reachable. */
  private readonly onAnswer: (message: Message) => void;

  constructor(
    private addresses: Map<NodeId, string>,
    private readonly options: PeerTransportOptions,
  ) {
    this.reachability = new PeerReachability(options.logger, () => this.addresses);
    this.onAnswer = (message) => {
      this.reachability.answered(message.from);
      options.onAnswer(message);
    };
  }

  /** The peer key and the cluster id, built again only when the id changes (once, when a joiner learns it). */
  private get metadata(): grpc.Metadata {
    const clusterId = this.options.clusterId();
    if (this.metadataCache?.clusterId !== clusterId) {
      const metadata = new grpc.Metadata();
      metadata.set(clusterKeyHeader, this.options.peerKey);
      metadata.set(clusterIdKey, clusterId);
      this.metadataCache = { clusterId, metadata };
    }
    return this.metadataCache.metadata;
  }

  /** The membership changed: new peers get channels, removed ones are closed. */
  setAddresses(addresses: Map<NodeId, string>): void {
    for (const [id, stub] of this.stubs) {
      if (addresses.get(id) !== this.addresses.get(id)) {
        this.appendStreams.get(id)?.close();
        this.appendStreams.delete(id);
        stub.close();
        this.stubs.delete(id);
      }
    }
    this.addresses = addresses;
    this.reachability.forgetAllBut(addresses);
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
    const observer = this.options.observer;
    const started = observer ? performance.now() : 0;
    switch (message.type) {
      case "preVote":
      case "vote":
        stub.Election(voteRequestToWire(message), this.metadata, { deadline }, (error, reply) => {
          observer?.peerCall("vote", (performance.now() - started) / 1000, !error);
          if (error) this.noteFailure(message.to, error);
          else if (reply) this.onAnswer(voteReplyFromWire(reply as Required<typeof reply>));
        });
        return;
      case "append":
        this.appendStream(message.to, stub).send(message, this.metadata);
        return;
      case "timeoutNow":
        stub.TimeoutNow(message, this.metadata, { deadline }, () => {});
        return;
      default:
        // Answers travel as RPC replies; snapshots go through sendSnapshot.
        return;
    }
  }

  /** Lost calls are Raft's to retry; a refusal by another cluster is the operator's to hear about. */
  private noteFailure(to: NodeId, error: grpc.ServiceError): void {
    this.reachability.failed(to, error);
    const removedAt = error.code === grpc.status.FAILED_PRECONDITION ? error.metadata?.get(removedAtKey)[0] : undefined;
    if (removedAt !== undefined) {
      this.options.onRemoved(Number(removedAt));
      return;
    }
    const theirs = foreignClusterOf(error);
    if (theirs !== undefined) this.options.onForeignCluster(this.addresses.get(to) ?? String(to), theirs);
  }

  close(): void {
    for (const stream of this.appendStreams.values()) stream.close();
    this.appendStreams.clear();
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }

  private appendStream(id: NodeId, stub: PeerServiceClient): AppendStream {
    let stream = this.appendStreams.get(id);
    if (!stream) {
      stream = new AppendStream(stub, {
        silenceMs: this.options.deadlineMs,
        onAnswer: this.onAnswer,
        onFailure: (error) => this.noteFailure(id, error),
        onRoundTrip: this.options.observer ? (seconds, ok) => this.options.observer!.peerCall("append", seconds, ok) : undefined,
      });
      this.appendStreams.set(id, stream);
    }
    return stream;
  }

  private stub(id: NodeId): PeerServiceClient | undefined {
    const existing = this.stubs.get(id);
    if (existing) return existing;
    const address = this.addresses.get(id);
    if (!address) return undefined;
    // The certificate is checked against the member's address, even when a test build dials a proxy in front of it.
    const { credentials, options } = channelSecurity(this.options.tls, address);
    const stub = new chatProto.chat.PeerService(this.options.route?.(address) ?? address, credentials, options);
    this.stubs.set(id, stub);
    return stub;
  }
}
