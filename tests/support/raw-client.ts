/** A bare gRPC call with hand-made metadata, for tests of what the library never sends. */
import * as grpc from "@grpc/grpc-js";
import type { ChatServiceClient } from "../../src/rpc/generated/chat/ChatService.ts";
import { channelOptions, chatProto } from "../../src/rpc/proto.ts";
import { callMsMax } from "./replica.ts";

export interface RawResult {
  code: grpc.status;
  details: string;
  reply?: Record<string, unknown>;
  metadata?: grpc.Metadata;
}

export function rawStub(address: string): ChatServiceClient {
  return new chatProto.chat.ChatService(address, grpc.credentials.createInsecure(), {
    ...channelOptions,
    // Let the client send more than the server accepts, to see the server refuse it.
    "grpc.max_send_message_length": -1,
  });
}

export function rawCall(stub: ChatServiceClient, method: string, request: object, headers: Record<string, string> = {}): Promise<RawResult> {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  const call = (stub as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!;
  return new Promise((resolve) => {
    call.call(stub, request, metadata, { deadline: Date.now() + callMsMax }, (error: grpc.ServiceError | null, reply: Record<string, unknown>) =>
      resolve(error ? { code: error.code, details: error.details, metadata: error.metadata } : { code: grpc.status.OK, details: "", reply }),
    );
  });
}
