/**
 * The scratch directory of a cluster started on this machine: a
 * config_master.json of its founding voters on free loopback ports, an
 * optional config.json copy with some settings changed, and each
 * replica's data directory and log file; with TLS, a development CA and
 * certificates (src/tools/certs.ts) in its certs/ folder.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot, type Instance } from "../../config.ts";
import { loadTls, type TlsMaterial } from "../../rpc/tls.ts";
import { makeCertificates } from "../certs.ts";
import { freePorts } from "./free-port.ts";

/** Replica certificates a TLS scratch cluster gets beyond its founders, for servers joined at runtime. */
const joinerCertificates = 2;

/** Set to 1 to keep a scratch cluster's data and logs after it stops (for a look at a failure). */
export const keepClusterVariable = "CHAT_KEEP_CLUSTER";

export class ClusterLayout {
  private constructor(
    readonly directory: string,
    readonly instances: Instance[],
    readonly configMaster: string,
    /** The config.json copy to start every replica with (`--config`); null: the repository's own. */
    readonly configFile: string | null,
    /** Where the CA and certificates are (TLS on); null: plain text. */
    readonly certsDir: string | null,
  ) {}

  /**
   * Writes config_master.json for voters 1..size on free ports and, if
   * `configChanges` is given, a copy of the repository's config.json with
   * those keys replaced.
   */
  static async create(size: number, configChanges?: Record<string, unknown>, tls = false): Promise<ClusterLayout> {
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
    const certsDir = tls ? join(directory, "certs") : null;
    if (certsDir) makeCertificates(certsDir, { replicas: size + joinerCertificates });
    return new ClusterLayout(directory, instances, configMaster, configFile, certsDir);
  }

  /** The --tls-* flags of replica `id`; none without TLS. */
  tlsFlags(id: number): string[] {
    if (!this.certsDir) return [];
    const file = (name: string) => join(this.certsDir!, name);
    return ["--tls-cert", file(`replica-${id}.crt`), "--tls-key", file(`replica-${id}.key`), "--tls-ca", file("ca.crt")];
  }

  /** What a client or the admin tool needs to reach these replicas: the CA and the admin certificate; null without TLS. */
  clientTls(): TlsMaterial | null {
    if (!this.certsDir) return null;
    const file = (name: string) => join(this.certsDir!, name);
    return loadTls({ ca: file("ca.crt"), cert: file("admin.crt"), key: file("admin.key") }, "optional", this.certsDir);
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
