/**
 * gRPC server reflection (@grpc/reflection), so `grpcurl` and other generic
 * tools list and call the replica's services without the .proto files: the
 * chat, peer and admin services and the health service.
 */
import type { Server } from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { packageDefinition } from "../rpc/proto.ts";

export function addReflection(server: Server): void {
  const health = protoLoader.loadSync(healthProtoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  new ReflectionService({ ...packageDefinition, ...health }).addToServer(server);
}
