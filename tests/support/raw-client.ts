/** A bare gRPC call with hand-made metadata, for tests of what the library never sends. */
import * as grpc from "@grpc/grpc-js";
import type { ChatServiceClient } from "../../src/rpc/generated/chat/ChatService.ts";
import { channelOptions, chatProto } from "../../src/rpc/proto.ts";
import { channelSecurity, type TlsMaterial } from "../../src/rpc/tls.ts";
import { callMsMax } from "./replica.ts";

export interface RawResult {
  code: grpc.status;
  details: string;
  reply?: Record<string, unknown>;
  metadata?: grpc.Metadata;
}

/** `tls`: the CA (and a client certificate) for a TLS cluster; absent: plain text. */
export function rawStub(address: string, tls: TlsMaterial | null = null): ChatServiceClient {
  const { credentials, options } = channelSecurity(tls, address);
  return new chatProto.chat.ChatService(address, credentials, {
    ...options,
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

/**
 * A protobuf message of length-delimited fields written by hand
 * (https://protobuf.dev/programming-guides/encoding/), so a test can send
 * bytes no client library would: text that is not valid UTF-8.
 */
export function encodeFields(fields: [fieldNumber: number, bytes: Uint8Array][]): Uint8Array {
  const out: number[] = [];
  const varint = (value: number) => {
    let rest = value;
    while (rest >= 0x80) {
      out.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    out.push(rest);
  };
  for (const [fieldNumber, bytes] of fields) {
    varint(fieldNumber * 8 + 2);
    varint(bytes.length);
    out.push(...bytes);
  }
  return Uint8Array.from(out);
}

/** A unary call of `method` (e.g. "Login") whose request is the given bytes, as sent. */
export function rawBytesCall(address: string, method: string, request: Uint8Array, headers: Record<string, string> = {}): Promise<RawResult> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), channelOptions);
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/chat.ChatService/${method}`,
      (bytes: Uint8Array) => Buffer.from(bytes),
      (bytes: Buffer) => bytes,
      request,
      metadata,
      { deadline: Date.now() + callMsMax },
      (error) => {
        client.close();
        resolve(error ? { code: error.code, details: error.details, metadata: error.metadata } : { code: grpc.status.OK, details: "" });
      },
    );
  });
}
