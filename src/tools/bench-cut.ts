/**
 * `bun run bench -- --cut-link N`: failover when the leader's network to
 * the other replicas is cut (its process runs on, and the client can still
 * reach it). Three replicas behind the chaos run's fault proxies
 * (src/chaos/network.ts); one client writes throughout; N times, the
 * leader's links to its peers are cut both ways, and the time from the cut
 * to the next acknowledged write is taken; then the links heal and the
 * cluster settles before the next run.
 */
import { ChaosCluster } from "../chaos/cluster.ts";
import { ChaosNetwork } from "../chaos/network.ts";
import { ChaosTransport } from "../chaos/transport.ts";
import { ChatClient } from "../client/chat-client.ts";
import { GrpcChatTransport } from "../client/grpc-transport.ts";
import { agreedLeader, failoverLine, writeContinuously } from "./failover-timing.ts";

/** Steady writing before a cut, the longest a failover may take, and the calm after healing. */
const steadyWritingMs = 500;
const failoverTimeoutMs = 15_000;
const settleAfterHealMs = 1_000;

export async function benchCutLink(runs: number): Promise<void> {
  const cluster = await ChaosCluster.create(3, 0);
  const network = new ChaosNetwork(cluster.ports(), 1);
  cluster.network = network;
  const addresses = [...cluster.slots.values()].map((slot) => slot.address);
  const client = new ChatClient({ addresses, transport: new ChaosTransport(network.clientRoute(0)), failoverDeadlineMs: failoverTimeoutMs });
  const direct = new GrpcChatTransport();
  try {
    await cluster.startFounders();
    await client.createAccount("cutter", "bench-password");
    await client.login("cutter", "bench-password");
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const leader = await agreedLeader(direct, addresses, failoverTimeoutMs);
      const writer = writeContinuously(() => client.sendMessage("cutter", "during a cut link"));
      await Bun.sleep(steadyWritingMs);
      const others = [...cluster.slots.keys()].filter((id) => id !== leader).map((id) => ({ kind: "server" as const, id }));
      const cutAt = performance.now();
      network.cutBetween([{ kind: "server", id: leader }], others);
      times.push(await writer.timeToAckAfter(cutAt, failoverTimeoutMs));
      await writer.stop();
      network.heal();
      await Bun.sleep(settleAfterHealMs);
    }
    console.log(failoverLine("leader cut from its peers", times));
  } finally {
    client.close();
    direct.close();
    await cluster.stopAll("SIGTERM");
    network.close();
    cluster.layout.remove();
  }
}
