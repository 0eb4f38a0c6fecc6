/**
 * The leader's side of ReplicateStream: one long-lived stream to one
 * follower that carries every Append (entries and heartbeats), opened on the
 * first send and again after it fails. Opening a gRPC call costs about three
 * times the CPU of a message on an open stream, and a write used to make two
 * calls per follower.
 *
 * A stream has no deadline, so silence is watched instead: when a send finds
 * the stream without any answer for `silenceMs` since the oldest unanswered
 * send, the stream is cancelled and the send goes on a new one. A frozen
 * follower therefore holds at most `silenceMs` of Appends in memory, as
 * unary calls with that deadline did. Lost messages are Raft's to retry.
 */
import * as grpc from "@grpc/grpc-js";
import type { AppendMessage, AppendResponseMessage } from "../log/raft/types.ts";
import type { PeerServiceClient } from "./generated/chat/PeerService.ts";
import type { ReplicateReply__Output } from "./generated/chat/ReplicateReply.ts";
import type { ReplicateRequest } from "./generated/chat/ReplicateRequest.ts";
import { appendReplyFromWire, appendToWire } from "./raft-wire.ts";

export interface AppendStreamOptions {
  /** How long a stream may go without an answer while Appends wait for one. */
  silenceMs: number;
  onAnswer: (message: AppendResponseMessage) => void;
  /** The stream ended with an error status (a refusal, a cancelled call is not reported). */
  onFailure: (error: grpc.ServiceError) => void;
  /**
   * Timing for metrics: at each answer, the time since the oldest send no answer had
   * followed (a round trip at one append in flight, the longest wait with more), or at a
   * failure the time the stream waited; none by default.
   */
  onRoundTrip?: (seconds: number, ok: boolean) => void;
}

function silenceError(silentMs: number): grpc.ServiceError {
  return Object.assign(new Error(`no answer for ${silentMs} ms`), {
    code: grpc.status.DEADLINE_EXCEEDED,
    details: `no answer for ${silentMs} ms`,
    metadata: new grpc.Metadata(),
  });
}

export class AppendStream {
  private call: grpc.ClientDuplexStream<ReplicateRequest, ReplicateReply__Output> | null = null;
  /** The metadata the open stream was opened with: a new cluster id needs a new stream. */
  private openedWith: grpc.Metadata | null = null;
  /** When the oldest send that no answer followed went out; 0 when every send was followed by one. */
  private unansweredSince = 0;

  constructor(
    private readonly stub: PeerServiceClient,
    private readonly options: AppendStreamOptions,
  ) {}

  send(message: AppendMessage, metadata: grpc.Metadata): void {
    const now = Date.now();
    const silentMs = this.call !== null && this.unansweredSince > 0 ? now - this.unansweredSince : 0;
    const silent = silentMs > this.options.silenceMs;
    if (this.call && (this.openedWith !== metadata || silent)) this.close();
    // A peer that is there but does not answer (paused, overloaded) is as unreachable as one that is down.
    if (silent) this.options.onFailure(silenceError(silentMs));
    const call = this.call ?? this.open(metadata);
    if (this.unansweredSince === 0) this.unansweredSince = now;
    call.write(appendToWire(message));
  }

  close(): void {
    const call = this.call;
    this.call = null;
    this.openedWith = null;
    this.unansweredSince = 0;
    call?.cancel();
  }

  private open(metadata: grpc.Metadata): grpc.ClientDuplexStream<ReplicateRequest, ReplicateReply__Output> {
    const call = this.stub.ReplicateStream(metadata);
    this.call = call;
    this.openedWith = metadata;
    this.unansweredSince = 0;
    call.on("data", (reply: ReplicateReply__Output) => {
      if (call === this.call) {
        if (this.unansweredSince > 0) this.options.onRoundTrip?.((Date.now() - this.unansweredSince) / 1000, true);
        this.unansweredSince = 0;
      }
      this.options.onAnswer(appendReplyFromWire(reply as Required<ReplicateReply__Output>));
    });
    call.on("error", (error: grpc.ServiceError) => {
      if (call === this.call && this.unansweredSince > 0) this.options.onRoundTrip?.((Date.now() - this.unansweredSince) / 1000, false);
      if (call === this.call) this.close();
      if (error.code !== grpc.status.CANCELLED) this.options.onFailure(error);
    });
    // The follower ended the stream (it never does on its own unless refusing); the next send opens another.
    call.on("end", () => {
      if (call === this.call) this.close();
    });
    return call;
  }
}
