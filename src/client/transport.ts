/**
 * What the client library needs of the network and of time, declared here
 * by the library itself: ChatClient's policy (which replica to ask,
 * redirects, retrying a write with the same seq, follow()'s resume) runs
 * over any ChatTransport and ClientClock. The gRPC transport
 * (grpc-transport.ts) and the process's clock are the defaults; the
 * whole-replica simulation gives its simulated network and clock
 * (src/tools/sim/whole/client-transport.ts), so the seeded runs exercise
 * this very policy.
 */
import type { MethodDefinition } from "@grpc/proto-loader";
import type { ChatMessage__Output } from "../rpc/generated/chat/ChatMessage.ts";
import type { ChatServiceDefinition } from "../rpc/generated/chat/ChatService.ts";
import type { StreamStart } from "../service/subscription.ts";

export type ChatMessage = ChatMessage__Output;
export type { StreamStart };

/** The unary methods of proto/chat.proto (Subscribe is its one stream). */
export type UnaryName = Exclude<keyof ChatServiceDefinition, "Subscribe">;
/** The request a unary method takes and the decoded reply it gives. */
// biome-ignore lint/suspicious/noExplicitAny: matching any serialized and output types, to infer the input
export type Request<Name extends UnaryName> = ChatServiceDefinition[Name] extends MethodDefinition<infer Input, any, any, any> ? Input : never;
// biome-ignore lint/suspicious/noExplicitAny: matching any request and serialized types, to infer the output
export type Reply<Name extends UnaryName> = ChatServiceDefinition[Name] extends MethodDefinition<any, any, any, infer Output> ? Output : never;

/** A failed call: `code` is the gRPC status name (NOT_FOUND, ...); `leaderAddress` comes with a "not the leader" UNAVAILABLE. */
export class ChatClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly leaderAddress?: string,
    /** A write that got no answer before the failover deadline: it may or may not have been applied. */
    readonly outcomeUnknown = false,
  ) {
    super(message);
    this.name = "ChatClientError";
  }
}

/** What a call carries besides its request: the session, and for a write its (client id, seq), the same on every retry. */
export interface CallMetadata {
  token?: string | null;
  write?: { clientId: string; seq: number };
}

/** What a Subscribe stream tells the client. */
export interface StreamEvents {
  /** The replica registered the stream (its response headers): nothing after `start.position` is missed from here on. */
  start(start: StreamStart): void;
  message(message: ChatMessage): void;
  /** The stream ended: with the error, or none when the replica closed it. */
  end(error?: ChatClientError): void;
}

export interface StreamCall {
  cancel(): void;
}

export interface ChatTransport {
  /**
   * One attempt of a unary call to the replica at `address`: the reply, or
   * a ChatClientError (DEADLINE_EXCEEDED when no answer came within
   * `deadlineMs`; the request may still be served later).
   */
  call<Name extends UnaryName>(address: string, method: Name, request: Request<Name>, metadata: CallMetadata, deadlineMs: number): Promise<Reply<Name>>;
  /** Opens the caller's live stream on the replica at `address`, from `afterId` (0: from the stream's position on). */
  subscribe(address: string, afterId: number, metadata: CallMetadata, events: StreamEvents): StreamCall;
  close(): void;
}

/** The client's time: deadlines, pauses between attempts, how long a stream was down. */
export interface ClientClock {
  /** Milliseconds since an arbitrary origin; never goes back. */
  now(): number;
  sleep(ms: number): Promise<void>;
}
