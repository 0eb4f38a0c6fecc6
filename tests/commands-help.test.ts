/**
 * Every command answers --help with its usage and --version with
 * package.json's version, exits 0, and starts nothing (the demo used to run
 * its cluster on --help). Each runs as a real process, as a user would.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../src/config.ts";
import { childProcessesMs } from "./support/timeouts.ts";

const { version } = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { version: string };

/** Each package.json script that runs a command, and its script. */
const commands = Object.entries(JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")).scripts as Record<string, string>)
  .map(([name, script]) => [name, /^bun (src\/\S+\.ts)$/.exec(script)?.[1]] as const)
  .filter((entry): entry is readonly [string, string] => entry[1] !== undefined);

/** Far less than any command that starts something takes, far more than printing a usage text does on a loaded machine. */
const answerMsMax = 20_000;

function run(script: string, flag: string): { code: number | null; stdout: string; stderr: string; ms: number } {
  const startedAt = performance.now();
  const result = Bun.spawnSync([process.execPath, join(projectRoot, script), flag], {
    cwd: projectRoot,
    stdout: "pipe",
    stderr: "pipe",
    timeout: answerMsMax,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString(), ms: performance.now() - startedAt };
}

describe("every command", () => {
  test("the package scripts include every user-facing command", () => {
    expect(commands.map(([name]) => name).sort()).toEqual(
      ["admin", "bench", "certs", "chaos", "check:generated", "client", "cluster", "demo", "inspect", "replica", "sim", "web"].sort(),
    );
  });

  test.each(commands)(
    "%s --help prints its usage and exits 0 without starting anything",
    (name, script) => {
      const result = run(script, "--help");
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout.toLowerCase()).toStartWith("usage: bun run");
      expect(result.stdout).toContain(name === "check:generated" ? "check:generated" : `run ${name}`);
      expect(result.stdout).toContain("--version");
      // Nothing started: no replica announced, no cluster directory named.
      expect(result.stdout).not.toMatch(/serving address=|three replicas started: |web client at http/);
    },
    childProcessesMs,
  );

  test.each(commands)(
    "%s --version prints the package's version and exits 0",
    (_name, script) => {
      const result = run(script, "--version");
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(`chat-replicated ${version}`);
    },
    childProcessesMs,
  );
});
