/** config.json: each key read with its default, and a bad value named with its file and field. */
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadReplicaConfig, projectRoot } from "../../src/config.ts";
import { sessionIdleMsDefault } from "../../src/limits.ts";
import { temporaryDirectory } from "../support/replica.ts";
import { childProcessesMs } from "../support/timeouts.ts";

const directories: { remove(): void }[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) directory.remove();
});

function configFile(json: Record<string, unknown>): string {
  const directory = temporaryDirectory("config-");
  directories.push(directory);
  const path = join(directory.path, "config.json");
  writeFileSync(path, JSON.stringify({ cluster_secret: "a-test-secret-of-some-length", ...json }));
  return path;
}

describe("session_idle_ms", () => {
  test("defaults to seven days and can be set", () => {
    expect(sessionIdleMsDefault).toBe(7 * 24 * 60 * 60 * 1000);
    expect(loadReplicaConfig(configFile({})).sessionIdleMs).toBe(sessionIdleMsDefault);
    expect(loadReplicaConfig(configFile({ session_idle_ms: 60_000 })).sessionIdleMs).toBe(60_000);
  });

  test.each([0, -5, 1.5, "a day"])("%p is refused, naming the field", (value) => {
    expect(() => loadReplicaConfig(configFile({ session_idle_ms: value }))).toThrow(ConfigError);
    expect(() => loadReplicaConfig(configFile({ session_idle_ms: value }))).toThrow("session_idle_ms");
  });

  test(
    "the replica's --session_idle_ms flag is checked like the key",
    () => {
      const run = Bun.spawnSync([process.execPath, join(projectRoot, "src", "tools", "replica.ts"), "--standalone", "--session_idle_ms", "0"], {
        cwd: projectRoot,
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(run.exitCode).toBe(1);
      expect(run.stderr.toString()).toContain("--session_idle_ms must be an integer from 1");
    },
    childProcessesMs,
  );
});
