/** Loads proto/chat.proto once; the typed shapes are in ./generated. */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { join } from "node:path";
import { grpcMessageBytesMax, reconnectBackoffInitialMs, reconnectBackoffMaxMs } from "../limits.ts";
import type { ProtoGrpcType } from "./generated/chat.ts";

const protoPath = join(import.meta.dir, "..", "..", "proto", "chat.proto");

export const packageDefinition = protoLoader.loadSync(protoPath, {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

export const chatProto = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;

/** Options both ends use so an oversized message fails with RESOURCE_EXHAUSTED. */
export const channelOptions: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": grpcMessageBytesMax,
  "grpc.max_send_message_length": grpcMessageBytesMax,
  // grpc-js waits 1 s (growing to 120 s) before reconnecting to a peer that
  // was down; a replica that restarts must be heard from within an election.
  "grpc.initial_reconnect_backoff_ms": reconnectBackoffInitialMs,
  "grpc.max_reconnect_backoff_ms": reconnectBackoffMaxMs,
};
