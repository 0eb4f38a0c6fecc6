/**
 * The scratch directory of a cluster started on this machine: a
 * config_master.json of its founding voters on free loopback ports, an
 * optional config.json copy with some settings changed, and each
 * replica's data directory and log file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot, type Instance } from "../../config.ts";
import { freePorts } from "./free-port.ts";

/** Set to 1 to keep a scratch cluster's data and logs after it stops (for a look at a failure). */
export const keepClusterVariable = "CHAT_KEEP_CLUSTER";

export class ClusterLayout {
  private constructor(
    readonly directory: string,
    readonly instances: Instance[],
    readonly configMaster: string,
    /** The config.json copy to start every replica with (`--config`); null: the repository's own. */
    readonly configFile: string | null,
  ) {}

  /**
   * Writes config_master.json for voters 1..size on free ports and, if
   * `configChanges` is given, a copy of the repository's config.json with
   * those keys replaced.
   */
  static async create(size: number, configChanges?: Record<string, unknown>): Promise<ClusterLayout> {
    const directory = mkdtempSync(join(tmpdir(), "chat-cluster-"));
    const instances = (await freePorts(size)).map((port, offset) => ({ id: offset + 1, host: "127.0.0.1", port }));
    const configMaster = join(directory, "config_master.json");
    writeFileSync(configMaster, JSON.stringify({ instances }, null, 2));
    let configFile: string | null = null;
    if (configChanges) {
      const config = JSON.parse(readFileSync(join(projectRoot, "config.json"), "utf8")) as Record<string, unknown>;
      configFile = join(directory, "config.json");
      writeFileSync(configFile, JSON.stringify({ ...config, ...configChanges }, null, 2));
    }
    return new ClusterLayout(directory, instances, configMaster, configFile);
  }

  dataDir(id: number): string {
    return join(this.directory, `replica-${id}`);
  }

  /** Every process of replica `id` appends its output here. */
  logFile(id: number): string {
    return join(this.directory, `replica-${id}.log`);
  }

  /** Deletes the directory, or keeps it (and says where) when CHAT_KEEP_CLUSTER=1. */
  remove(): void {
    if (process.env[keepClusterVariable] === "1") console.log(`kept ${this.directory} (data and replica logs)`);
    else rmSync(this.directory, { recursive: true, force: true });
  }
}
