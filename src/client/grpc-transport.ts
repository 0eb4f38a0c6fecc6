/**
 * The client library's transport over gRPC: one channel per replica,
 * reused; the metadata src/rpc/chat-server.ts reads (session token, client
 * id and seq); statuses turned into ChatClientError, with the leader's
 * address from the `leader-address` trailer (src/rpc/status.ts).
 */
import * as grpc from "@grpc/grpc-js";
import { authorizationKey, clientIdKey, clientSeqKey, streamCatchUpCountKey, streamPositionKey } from "../rpc/chat-server.ts";
import type { ChatServiceClient } from "../rpc/generated/chat/ChatService.ts";
import { chatProto } from "../rpc/proto.ts";
import { leaderAddressKey } from "../rpc/status.ts";
import { channelSecurity, type TlsMaterial } from "../rpc/tls.ts";
import {
  type CallMetadata,
  ChatClientError,
  type ChatTransport,
  type Reply,
  type Request,
  type StreamCall,
  type StreamEvents,
  type StreamStart,
  type UnaryName,
} from "./transport.ts";

type UnaryStubMethod = (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<unknown>) => grpc.ClientUnaryCall;

export class GrpcChatTransport implements ChatTransport {
  private readonly stubs = new Map<string, ChatServiceClient>();

  /** `tls`: the CA to verify replicas against (and a certificate to present, if any); null: plain text. */
  constructor(private readonly tls: TlsMaterial | null = null) {}

  call<Name extends UnaryName>(address: string, method: Name, request: Request<Name>, metadata: CallMetadata, deadlineMs: number): Promise<Reply<Name>> {
    const stub = this.stub(address);
    const unary = (stub as unknown as Record<UnaryName, UnaryStubMethod>)[method]!;
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + deadlineMs);
      unary.call(stub, request, requestMetadata(metadata), { deadline }, (error, reply) =>
        error ? reject(toClientError(error as grpc.ServiceError)) : resolve(reply as Reply<Name>),
      );
    });
  }

  subscribe(address: string, afterId: number, metadata: CallMetadata, events: StreamEvents): StreamCall {
    const call = this.stub(address).Subscribe({ afterId }, requestMetadata(metadata));
    call.on("metadata", (headers: grpc.Metadata) => events.start(streamStartFrom(headers)));
    call.on("data", (message) => events.message(message));
    call.on("error", (error: grpc.ServiceError) => events.end(toClientError(error)));
    call.on("end", () => events.end());
    return { cancel: () => call.cancel() };
  }

  close(): void {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }

  private stub(address: string): ChatServiceClient {
    let stub = this.stubs.get(address);
    if (!stub) {
      const { credentials, options } = channelSecurity(this.tls, address);
      stub = new chatProto.chat.ChatService(address, credentials, options);
      this.stubs.set(address, stub);
    }
    return stub;
  }
}

/** The request metadata chat-server.ts reads the caller from. */
export function requestMetadata({ token, write }: CallMetadata): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token) metadata.set(authorizationKey, `Bearer ${token}`);
  if (write) {
    metadata.set(clientIdKey, write.clientId);
    metadata.set(clientSeqKey, String(write.seq));
  }
  return metadata;
}

/** Where a stream starts, from Subscribe's response headers. */
export function streamStartFrom(headers: grpc.Metadata): StreamStart {
  return {
    position: Number(headers.get(streamPositionKey)[0] ?? 0),
    catchUpCount: Number(headers.get(streamCatchUpCountKey)[0] ?? 0),
  };
}

/** A status as grpc-js gives it to a client (or as the server's handlers send it, in the simulation). */
export function toClientError(error: Partial<Pick<grpc.ServiceError, "code" | "details" | "message" | "metadata">>): ChatClientError {
  const leader = error.metadata?.get(leaderAddressKey)[0];
  const details = (error.details || error.message || "").replace(/\s*Resolution note:\s*$/, "");
  const code = error.code ?? grpc.status.UNKNOWN;
  return new ChatClientError(grpc.status[code] ?? String(code), details, leader ? String(leader) : undefined);
}
