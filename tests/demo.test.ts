/** The README's first command must keep working: the demo runs a real cluster through a failover. */
import { expect, test } from "bun:test";
import { join } from "node:path";

/** Three replica starts, a failover and a restart, on a possibly loaded machine. */
const demoTimeoutMs = 120_000;

test(
  "the scripted demo survives a leader kill with every acknowledged message there exactly once",
  async () => {
    const demo = Bun.spawn([process.execPath, join(import.meta.dir, "..", "src", "tools", "demo.ts")], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1" },
    });
    const timer = setTimeout(() => demo.kill("SIGKILL"), demoTimeoutMs);
    try {
      const [stdout, stderr, code] = await Promise.all([new Response(demo.stdout).text(), new Response(demo.stderr).text(), demo.exited]);
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      expect(stdout).toContain("kill -9 the leader");
      expect(stdout).toContain("acknowledged messages are there exactly once");
    } finally {
      clearTimeout(timer);
    }
  },
  demoTimeoutMs + 5_000,
);
