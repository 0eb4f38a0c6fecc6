// The chaos run's network of proxies (src/chaos/network.ts) over two echo
// servers standing in for servers 1 and 2: a partition cuts both links
// between them and leaves client links alone; a one-way drop from 1 to 2
// loses 1's requests to 2 and 1's answers to 2's requests, and nothing else.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { ChaosNetwork } from "../../src/chaos/network.ts";
import { waitFor } from "../support/replica.ts";
import { inProcessReplicaMs } from "../support/timeouts.ts";

let echoes: TCPSocketListener<undefined>[] = [];
let network: ChaosNetwork;

beforeAll(() => {
  echoes = [1, 2].map(() => Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (socket, data) => void socket.write(data) } }));
  network = new ChaosNetwork(new Map(echoes.map((echo, offset) => [offset + 1, echo.port])), 1);
});

afterAll(() => {
  network.close();
  for (const echo of echoes) echo.stop(true);
});

const address = (id: number) => `127.0.0.1:${echoes[id - 1]!.port}`;

/** Whether a byte sent along server `from`'s route to `to` comes back within a moment. */
async function echoesBack(dial: string): Promise<boolean> {
  let received = false;
  const [host, port] = [dial.split(":")[0]!, Number(dial.split(":")[1])];
  const socket = await Bun.connect({
    hostname: host,
    port,
    socket: {
      data: () => {
        received = true;
      },
      error: () => {},
    },
  });
  socket.write("x");
  const deadline = performance.now() + 300; // the point is what does not arrive: a short look suffices on loopback
  while (!received && performance.now() < deadline) await Bun.sleep(10);
  socket.terminate();
  return received;
}

const peerRoute = (from: number, to: number) => network.peerRoutesOf(from)[address(to)]!;

test(
  "a partition cuts the links between its sides, both ways, and leaves a client's links",
  async () => {
    expect(await echoesBack(peerRoute(1, 2))).toBe(true);
    network.cutBetween([{ kind: "server", id: 1 }], [{ kind: "server", id: 2 }]);
    expect(await echoesBack(peerRoute(1, 2))).toBe(false);
    expect(await echoesBack(peerRoute(2, 1))).toBe(false);
    expect(await echoesBack(network.clientRoute(0)(address(1)))).toBe(true);
    network.heal();
    await waitFor(() => echoesBack(peerRoute(1, 2)), inProcessReplicaMs, "the link to pass again");
  },
  inProcessReplicaMs,
);

test(
  "a one-way drop from 1 to 2 loses what 1 sends to 2, requests and answers alike",
  async () => {
    network.dropOneWay(1, 2);
    expect(await echoesBack(peerRoute(1, 2))).toBe(false); // 1's request never reaches 2
    expect(await echoesBack(peerRoute(2, 1))).toBe(false); // 2's request reaches 1, 1's answer is lost
    network.heal();
    await waitFor(() => echoesBack(peerRoute(2, 1)), inProcessReplicaMs, "the answers to pass again");
  },
  inProcessReplicaMs,
);
