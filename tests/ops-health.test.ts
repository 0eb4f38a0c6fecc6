/**
 * Health and discovery: the standard grpc.health.v1 service says SERVING on
 * every replica of a cluster with a leader, and NOT_SERVING on a replica
 * left without one; server reflection lists the services, as grpcurl asks.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { join } from "node:path";
import { healthApplyLagEntriesMax } from "../src/limits.ts";
import { servingStatus } from "../src/ops/health.ts";
import { startInProcessCluster, type InProcessCluster } from "./support/in-process-cluster.ts";
import { callMsMax, waitFor } from "./support/replica.ts";
import { hookMs, inProcessReplicaMs } from "./support/timeouts.ts";

const reflectionProtoPath = join(
  import.meta.dir,
  "..",
  "node_modules",
  "@grpc",
  "reflection",
  "build",
  "proto",
  "grpc",
  "reflection",
  "v1",
  "reflection.proto",
);
const loadOptions = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
// biome-ignore lint/suspicious/noExplicitAny: generic clients loaded at run time from the packages' own .proto files
const healthPackage = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, loadOptions)) as any;
// biome-ignore lint/suspicious/noExplicitAny: as above
const reflectionPackage = grpc.loadPackageDefinition(protoLoader.loadSync(reflectionProtoPath, loadOptions)) as any;

let cluster: InProcessCluster;

beforeAll(async () => {
  cluster = await startInProcessCluster(3);
}, hookMs);

afterAll(async () => {
  await cluster?.stop();
}, hookMs);

/** Health.Check of `service` on one replica: "SERVING", "NOT_SERVING", or the gRPC error's code name. */
function check(address: string, service: string): Promise<string> {
  const client = new healthPackage.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.Check({ service }, { deadline: Date.now() + callMsMax }, (error: grpc.ServiceError | null, reply: { status: string }) => {
      client.close();
      resolve(error ? grpc.status[error.code] : reply.status);
    });
  });
}

/** Health.Watch of `service`: every status the stream sends, in order. */
function watch(address: string, service: string): { statuses: string[]; cancel(): void } {
  const client = new healthPackage.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  const statuses: string[] = [];
  const call = client.Watch({ service });
  call.on("data", (reply: { status: string }) => statuses.push(reply.status));
  call.on("error", () => {}); // cancelled at the end
  return {
    statuses,
    cancel: () => {
      call.cancel();
      client.close();
    },
  };
}

/** ServerReflectionInfo with list_services, as `grpcurl ADDRESS list` sends it. */
function listServices(address: string): Promise<string[]> {
  const client = new reflectionPackage.grpc.reflection.v1.ServerReflection(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo({ deadline: Date.now() + callMsMax });
    call.on("data", (response: { list_services_response?: { service: { name: string }[] }; error_response?: { error_message: string } }) => {
      call.end();
      client.close();
      if (response.list_services_response) resolve(response.list_services_response.service.map((service) => service.name));
      else reject(new Error(response.error_response?.error_message ?? "no list in the answer"));
    });
    call.on("error", reject);
    call.write({ list_services: "" });
  });
}

describe("the serving rule", () => {
  test("no leader is not serving, whatever the indexes", () => {
    expect(servingStatus(0, 10, 10)).toBe("NOT_SERVING");
  });
  test("a leader and an applied index within the bound is serving; one past it is not", () => {
    expect(servingStatus(2, 5000, 5000 - healthApplyLagEntriesMax)).toBe("SERVING");
    expect(servingStatus(2, 5000, 5000 - healthApplyLagEntriesMax - 1)).toBe("NOT_SERVING");
  });
});

test(
  "reflection lists the chat, peer, admin and health services without any .proto on the caller's side",
  async () => {
    const services = await listServices(cluster.replicas[0]!.address);
    expect(services).toEqual(expect.arrayContaining(["chat.ChatService", "chat.PeerService", "chat.AdminService", "grpc.health.v1.Health"]));
  },
  inProcessReplicaMs,
);

test(
  "every replica of a cluster with a leader is SERVING; a replica left alone becomes NOT_SERVING, and a Watch hears it",
  async () => {
    await cluster.leader();
    for (const replica of cluster.replicas) {
      await waitFor(async () => (await check(replica.address, "")) === "SERVING", inProcessReplicaMs, `replica at ${replica.address} to serve`);
      expect(await check(replica.address, "chat.ChatService")).toBe("SERVING");
    }
    expect(await check(cluster.replicas[0]!.address, "no.such.Service")).toBe("NOT_FOUND");

    // Two of three stop: the one left has no leader (a leader steps down without a quorum; a follower campaigns in vain).
    // A Watch on it hears the change as it happens, without polling.
    const [survivor, ...stopped] = cluster.replicas;
    const watched = watch(survivor!.address, "chat.ChatService");
    await waitFor(() => watched.statuses.includes("SERVING"), inProcessReplicaMs, "the watch to start with SERVING");
    for (const replica of stopped) await replica.stop();
    await waitFor(() => watched.statuses.includes("NOT_SERVING"), inProcessReplicaMs, "the watch to hear NOT_SERVING");
    watched.cancel();
    expect(await check(survivor!.address, "")).toBe("NOT_SERVING");
    expect(survivor!.node.view.leader).toBe(0);
  },
  inProcessReplicaMs,
);
