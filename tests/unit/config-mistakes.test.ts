/**
 * Configuration mistakes are refused at start with the file, the field and
 * what to do: misspelled or unknown keys, duplicate ids or addresses in
 * config_master.json, a port another process holds, a data directory that
 * cannot be written.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { ConfigError, loadClientConfig, loadInstances, loadReplicaConfig, projectRoot } from "../../src/config.ts";
import { assertDataDirWritable, StartupError } from "../../src/startup-checks.ts";
import { temporaryDirectory } from "../support/replica.ts";
import { childProcessesMs } from "../support/timeouts.ts";

const directories: { remove(): void }[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) directory.remove();
});

function fileWith(name: string, json: unknown): string {
  const directory = temporaryDirectory("config-mistakes-");
  directories.push(directory);
  const path = join(directory.path, name);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

const secret = { cluster_secret: "a-test-secret-of-some-length" };

describe("unknown keys", () => {
  test("a misspelled key in config.json is refused, naming the file, the key and the key meant", () => {
    const path = fileWith("config.json", { ...secret, heartbeat_msec: 40 });
    expect(() => loadReplicaConfig(path)).toThrow(ConfigError);
    expect(() => loadReplicaConfig(path)).toThrow(`${path}: unknown key "heartbeat_msec": did you mean "heartbeat_ms"?`);
  });

  test("a misspelled nested key is named with its parent", () => {
    const path = fileWith("config.json", { ...secret, password_hashing: { memory_cots: 8, time_cost: 1 } });
    expect(() => loadReplicaConfig(path)).toThrow('unknown key "password_hashing.memory_cots": did you mean "password_hashing.memory_cost"?');
  });

  test("a key like none known is to be removed, and the known ones are listed", () => {
    const path = fileWith("config.json", { ...secret, colour: "blue" });
    expect(() => loadReplicaConfig(path)).toThrow(/unknown key "colour": remove it \(the keys known here are .*heartbeat_ms.*\)/);
  });

  test("cluster_secret stays a known key when CHAT_CLUSTER_SECRET overrides it", () => {
    const path = fileWith("config.json", secret);
    const before = process.env.CHAT_CLUSTER_SECRET;
    process.env.CHAT_CLUSTER_SECRET = "from-the-environment-0123456789";
    try {
      expect(loadReplicaConfig(path).clusterSecret).toBe("from-the-environment-0123456789");
    } finally {
      if (before === undefined) delete process.env.CHAT_CLUSTER_SECRET;
      else process.env.CHAT_CLUSTER_SECRET = before;
    }
  });

  test("an unknown key of an instance in config_master.json is named", () => {
    const path = fileWith("config_master.json", { instances: [{ id: 1, hots: "127.0.0.1", host: "127.0.0.1", port: 5000 }] });
    expect(() => loadInstances(path)).toThrow('unknown key "instances[].hots": did you mean "instances[].host"?');
  });

  test("config_client.json takes replicas and tls_ca only: a client has no certificate of its own", () => {
    const path = fileWith("config_client.json", { replicas: ["127.0.0.1:5000"], tls_cert: "client.crt" });
    expect(() => loadClientConfig(path)).toThrow(`${path}: unknown key "tls_cert"`);
    const fine = fileWith("config_client.json", { replicas: ["127.0.0.1:5000"], tls_ca: "ca.crt" });
    expect(loadClientConfig(fine).tls.ca).toBe(join(projectRoot, "ca.crt"));
  });

  test("the shipped files hold no unknown key", () => {
    expect(() => loadReplicaConfig(join(projectRoot, "config.json"))).not.toThrow();
    expect(loadInstances(join(projectRoot, "config_master.json"))).toHaveLength(3);
    expect(loadClientConfig(join(projectRoot, "config_client.json")).replicas).toHaveLength(3);
  });
});

describe("config_master.json", () => {
  test("two instances with one id are refused, naming both and what to do (it used to found a one-voter cluster)", () => {
    const path = fileWith("config_master.json", {
      instances: [
        { id: 1, host: "127.0.0.1", port: 5001 },
        { id: 1, host: "127.0.0.1", port: 5002 },
        { id: 3, host: "127.0.0.1", port: 5003 },
      ],
    });
    expect(() => loadInstances(path)).toThrow(`${path}: "instances" 0 and 1 both have id 1: every server needs an id of its own; give one of them another id`);
  });

  test("two instances at one address are refused", () => {
    const path = fileWith("config_master.json", {
      instances: [
        { id: 1, host: "127.0.0.1", port: 5001 },
        { id: 2, host: "127.0.0.1", port: 5001 },
      ],
    });
    expect(() => loadInstances(path)).toThrow(`"instances" 0 and 1 both listen on 127.0.0.1:5001: every server needs an address of its own`);
  });

  test("a port out of range is refused", () => {
    const path = fileWith("config_master.json", { instances: [{ id: 1, host: "127.0.0.1", port: 70000 }] });
    expect(() => loadInstances(path)).toThrow("instance 0 (id 1): port must be from 1 to 65535, not 70000");
  });
});

describe("the data directory", () => {
  test("one that cannot be created is refused, naming where it came from and what to do", () => {
    const directory = temporaryDirectory("data-dir-");
    directories.push(directory);
    const file = join(directory.path, "a-file");
    writeFileSync(file, "");
    expect(() => assertDataDirWritable(join(file, "replica-1"), "--data_dir")).toThrow(StartupError);
    expect(() => assertDataDirWritable(join(file, "replica-1"), "--data_dir")).toThrow(
      /^--data_dir: the data directory .*a-file\/replica-1 cannot be written \(ENOTDIR\): point it at a directory the replica's user can create and write/,
    );
    expect(() => assertDataDirWritable(directory.path, "--data_dir")).not.toThrow();
  });
});

/** Runs the replica command; returns its exit code and what it printed on stderr. */
function runReplica(args: string[]): { code: number; stderr: string } {
  const run = Bun.spawnSync([process.execPath, join(projectRoot, "src", "tools", "replica.ts"), ...args], {
    cwd: projectRoot,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, CHAT_CLUSTER_SECRET: "a-test-secret-of-some-length" },
  });
  return { code: run.exitCode, stderr: run.stderr.toString() };
}

describe("the replica command", () => {
  let holder: Server;
  let takenPort = 0;

  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    takenPort = (holder.address() as { port: number }).port;
  });

  afterAll(() => {
    holder.close();
  });

  test(
    "a port another process holds is refused with the flag that named it and what to do",
    () => {
      const data = temporaryDirectory("port-in-use-");
      directories.push(data);
      const run = runReplica(["--standalone", "--server_port", String(takenPort), "--data_dir", data.path]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`replica: --server_port: 127.0.0.1:${takenPort} is in use by another process (EADDRINUSE): stop that process`);
    },
    childProcessesMs,
  );

  test(
    "a port another process holds, from config_master.json, names that file's entry",
    () => {
      const data = temporaryDirectory("port-in-use-");
      directories.push(data);
      const master = fileWith("config_master.json", { instances: [{ id: 1, host: "127.0.0.1", port: takenPort }] });
      const run = runReplica(["--config_master", master, "--data_dir", data.path]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`${master} "instances" (id 1) host and port, or --server_host and --server_port: 127.0.0.1:${takenPort} is in use`);
    },
    childProcessesMs,
  );

  test(
    "a data_dir in config.json that cannot be written is refused, naming the file and the key",
    () => {
      const directory = temporaryDirectory("data-dir-");
      directories.push(directory);
      const file = join(directory.path, "a-file");
      writeFileSync(file, "");
      const config = fileWith("config.json", { ...secret, data_dir: file });
      const run = runReplica(["--standalone", "--config", config]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `replica: ${config} data_dir (the replica uses <data_dir>/replica-1): the data directory ${file}/replica-1 cannot be written (ENOTDIR)`,
      );
    },
    childProcessesMs,
  );

  test(
    "a duplicate id in config_master.json stops the replica before it starts",
    () => {
      const master = fileWith("config_master.json", {
        instances: [
          { id: 1, host: "127.0.0.1", port: 5001 },
          { id: 1, host: "127.0.0.1", port: 5002 },
        ],
      });
      const run = runReplica(["--config_master", master]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("both have id 1");
    },
    childProcessesMs,
  );
});
