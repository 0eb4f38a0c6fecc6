/** Loopback ports for replicas started on one machine. */
import { createServer } from "node:net";

/** A port that was free a moment ago (bind to 0, read it, close). Another process may take it before use. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Distinct free ports (a port handed out twice in a row is asked for again). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count && tries < count * 10; tries++) ports.add(await freePort());
  if (ports.size < count) throw new Error(`found only ${ports.size} of ${count} free ports`);
  return [...ports];
}

/** Whether a replica failed to start because its port was taken between `freePort` and its bind. */
export function isPortTaken(error: unknown): boolean {
  return error instanceof Error && error.message.includes("EADDRINUSE");
}
