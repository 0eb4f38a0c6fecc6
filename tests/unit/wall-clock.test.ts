// The replica's one wall clock (src/wall-clock.ts): Date.now unless a test
// build names a skew file, whose value it follows while running.
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { clockSkewFileVariable, followClockSkew, wallClock } from "../../src/wall-clock.ts";
import { peerRouteFromEnvironment, peerRoutesVariable } from "../../src/rpc/peer-routes.ts";
import { temporaryDirectory, waitFor } from "../support/replica.ts";
import { inProcessReplicaMs } from "../support/timeouts.ts";

const dayMs = 24 * 60 * 60 * 1000;

test(
  "a skew file moves the wall clock, and a rewrite moves it again while running",
  async () => {
    expect(Math.abs(wallClock.now() - Date.now())).toBeLessThan(1000);
    const directory = temporaryDirectory();
    try {
      const file = join(directory.path, "skew");
      writeFileSync(file, String(dayMs));
      followClockSkew({ [clockSkewFileVariable]: file });
      expect(wallClock.now() - Date.now()).toBeGreaterThan(dayMs - 1000);
      writeFileSync(file, String(-dayMs));
      await waitFor(() => wallClock.now() - Date.now() < -dayMs + 1000, inProcessReplicaMs, "the clock to jump back");
      writeFileSync(file, "0");
      await waitFor(() => Math.abs(wallClock.now() - Date.now()) < 1000, inProcessReplicaMs, "the clock to come back");
    } finally {
      directory.remove();
    }
  },
  inProcessReplicaMs,
);

test("peer routes reroute the addresses they name and leave the others", () => {
  const route = peerRouteFromEnvironment({ [peerRoutesVariable]: JSON.stringify({ "127.0.0.1:1": "127.0.0.1:2" }) });
  expect(route("127.0.0.1:1")).toBe("127.0.0.1:2");
  expect(route("127.0.0.1:3")).toBe("127.0.0.1:3");
  expect(peerRouteFromEnvironment({})("127.0.0.1:1")).toBe("127.0.0.1:1");
});
