/**
 * Replicas of one cluster in this process, each a real replica (SQLite
 * file, driver, gRPC server) on its own loopback port: for tests that read
 * a replica's own endpoints (metrics, health) rather than kill processes.
 */
import { startReplica, type ReplicaOptions, type RunningReplica } from "../../src/replica.ts";
import { freePorts } from "../../src/tools/processes/free-port.ts";
import { temporaryDirectory, testReplicaOptions, waitFor } from "./replica.ts";

export interface InProcessCluster {
  replicas: RunningReplica[];
  /** The replica that leads now (waits until one does). */
  leader(): Promise<RunningReplica>;
  stop(): Promise<void>;
}

/** Starts `size` founding voters (id 1 campaigns first); `overrides` apply to every replica. */
export async function startInProcessCluster(size: number, overrides: Partial<ReplicaOptions> = {}): Promise<InProcessCluster> {
  const directory = temporaryDirectory("chat-cluster-");
  const ports = await freePorts(size);
  const voters = ports.map((port, at) => ({ id: at + 1, address: `127.0.0.1:${port}` }));
  const replicas: RunningReplica[] = [];
  const stop = async () => {
    for (const replica of replicas) await replica.stop();
    directory.remove();
  };
  try {
    for (const voter of voters) {
      const options = testReplicaOptions(`${directory.path}/replica-${voter.id}`, {
        serverId: voter.id,
        port: ports[voter.id - 1]!,
        peers: voters.filter((other) => other.id !== voter.id),
        initialLeader: voter.id === 1,
        ...overrides,
      });
      replicas.push(await startReplica(options));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const leader = async () => {
    const leading = () => replicas.find((replica) => replica.node.view.currentRole === "leader");
    await waitFor(() => leading() !== undefined, undefined, "a leader");
    return leading()!;
  };
  return { replicas, leader, stop };
}
