/** The flags of `bun run cluster`, parsed and checked, with the usage text. */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadInstances, loadReplicaConfig, projectRoot, type Instance } from "../../config.ts";

export const usage = `Usage: bun run cluster -- [options]

Starts every replica listed in config_master.json as a child process in this
terminal (the lowest id as the initial leader), prefixes each one's log lines
with [replica-N], and stops them all on Ctrl-C or SIGTERM.

Options:
  --config_master FILE  the cluster's instances (default ./config_master.json)
  --data_dir DIR        base directory; replica N keeps its data in DIR/replica-N
                        (default: data_dir from config.json)
  --fresh               delete those replica directories first (a new, empty cluster)
  -h, --help            show this help
  --version             print the version

Environment:
  CHAT_CLUSTER_SECRET   passed on to every replica
  NO_COLOR              no colours (there are none either when stdout is not a terminal)`;

export interface ClusterOptions {
  configMaster: string;
  instances: Instance[];
  /** Base directory: replica N uses `<dataDir>/replica-N`. */
  dataDir: string;
  fresh: boolean;
}

export function parseClusterOptions(argv: string[]): ClusterOptions | "help" | "version" {
  const { values } = parseArgs({
    args: argv,
    options: {
      config_master: { type: "string" },
      data_dir: { type: "string" },
      fresh: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  if (values.version) return "version";
  const configMaster = values.config_master ?? join(projectRoot, "config_master.json");
  const instances = [...loadInstances(configMaster)].sort((a, b) => a.id - b.id);
  // loadInstances has refused duplicate ids and addresses.
  const dataDir = values.data_dir ?? loadReplicaConfig().dataDir;
  return { configMaster, instances, dataDir, fresh: values.fresh };
}

export function replicaDataDir(options: ClusterOptions, id: number): string {
  return join(options.dataDir, `replica-${id}`);
}
