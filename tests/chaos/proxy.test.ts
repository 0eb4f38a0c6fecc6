// The chaos run's TCP fault proxy (src/chaos/proxy.ts) over a plain echo
// server: bytes pass in order, a delay holds them, a dropping direction
// loses them (and the torn connection is reset on healing), and a cut
// resets connections and refuses new ones until healed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { FaultProxy } from "../../src/chaos/proxy.ts";
import { waitFor } from "../support/replica.ts";
import { inProcessReplicaMs } from "../support/timeouts.ts";

let echo: TCPSocketListener<undefined>;
const proxies: FaultProxy[] = [];

beforeAll(() => {
  echo = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (socket, data) => void socket.write(data) } });
});

afterAll(() => {
  for (const proxy of proxies) proxy.close();
  echo.stop(true);
});

interface TestConnection {
  socket: Socket<undefined>;
  received(): string;
  closed(): boolean;
}

async function connect(port: number): Promise<TestConnection> {
  let text = "";
  let closed = false;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_socket, data) => {
        text += Buffer.from(data).toString();
      },
      close: () => {
        closed = true;
      },
      error: () => {
        closed = true;
      },
    },
  });
  return { socket, received: () => text, closed: () => closed };
}

function newProxy(): FaultProxy {
  const proxy = FaultProxy.start(echo.port);
  proxies.push(proxy);
  return proxy;
}

describe("the fault proxy", () => {
  test(
    "passes bytes both ways, in order",
    async () => {
      const connection = await connect(newProxy().port);
      for (let i = 0; i < 100; i++) connection.socket.write(`${i},`);
      const expected = Array.from({ length: 100 }, (_, i) => `${i},`).join("");
      await waitFor(() => connection.received() === expected, inProcessReplicaMs, "echo through the proxy");
      connection.socket.end();
    },
    inProcessReplicaMs,
  );

  test(
    "a delayed direction holds the bytes at least that long",
    async () => {
      const proxy = newProxy();
      proxy.forward = { kind: "delay", ms: 300 };
      const connection = await connect(proxy.port);
      const sentAt = performance.now();
      connection.socket.write("late");
      await waitFor(() => connection.received() === "late", inProcessReplicaMs, "the delayed echo");
      expect(performance.now() - sentAt).toBeGreaterThanOrEqual(290);
      connection.socket.end();
    },
    inProcessReplicaMs,
  );

  test(
    "a dropping direction loses bytes silently, and healing resets the torn connection",
    async () => {
      const proxy = newProxy();
      const connection = await connect(proxy.port);
      connection.socket.write("a");
      await waitFor(() => connection.received() === "a", inProcessReplicaMs, "the first echo");
      proxy.backward = { kind: "drop" };
      connection.socket.write("b");
      await Bun.sleep(200); // nothing to wait for: the point is that nothing arrives
      expect(connection.received()).toBe("a");
      expect(connection.closed()).toBe(false);
      proxy.heal();
      await waitFor(() => connection.closed(), inProcessReplicaMs, "the reset after healing");
      const fresh = await connect(proxy.port);
      fresh.socket.write("c");
      await waitFor(() => fresh.received() === "c", inProcessReplicaMs, "a new connection after healing");
      fresh.socket.end();
    },
    inProcessReplicaMs,
  );

  test(
    "a cut resets connections and refuses new ones until healed",
    async () => {
      const proxy = newProxy();
      const connection = await connect(proxy.port);
      proxy.cut();
      await waitFor(() => connection.closed(), inProcessReplicaMs, "the reset");
      const refused = await connect(proxy.port);
      await waitFor(() => refused.closed(), inProcessReplicaMs, "the refusal");
      proxy.heal();
      const fresh = await connect(proxy.port);
      fresh.socket.write("back");
      await waitFor(() => fresh.received() === "back", inProcessReplicaMs, "an echo after healing");
      fresh.socket.end();
    },
    inProcessReplicaMs,
  );
});
