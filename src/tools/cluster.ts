/**
 * `bun run cluster`: every replica of config_master.json in one terminal,
 * like the seed's launch_servers.py. Parts live in ./cluster/: flags
 * (options.ts), prefixed and coloured output (output.ts), the children
 * (supervisor.ts).
 */
import { existsSync, rmSync } from "node:fs";
import { colourWanted, createPrinter, type Printer } from "./cluster/output.ts";
import { parseClusterOptions, replicaDataDir, usage, type ClusterOptions } from "./cluster/options.ts";
import { Supervisor } from "./cluster/supervisor.ts";
import { answerVersion } from "./version.ts";

function deleteDataDirs(options: ClusterOptions, printer: Printer): void {
  const existing = options.instances.map((instance) => replicaDataDir(options, instance.id)).filter((dir) => existsSync(dir));
  if (existing.length === 0) {
    printer.note("--fresh: no replica data to delete");
    return;
  }
  printer.note(`--fresh: deleting ${existing.join(", ")}`);
  for (const dir of existing) rmSync(dir, { recursive: true, force: true });
}

function printWelcome(options: ClusterOptions, printer: Printer): void {
  const addresses = options.instances.map((instance) => `${instance.id}@${instance.host}:${instance.port}`);
  printer.note(`starting ${options.instances.length} replicas (${addresses.join(", ")}), data in ${options.dataDir}/replica-N`);
  const servers = options.instances.map((instance) => `${instance.host}:${instance.port}`).join(",");
  // config_client.json lists the shipped config_master.json; another instances file needs --server.
  printer.note(`connect from another terminal: npm run client   (or: npm run client -- --server ${servers})`);
  printer.note("Ctrl-C stops every replica");
}

async function main(): Promise<void> {
  const options = parseClusterOptions(process.argv.slice(2));
  if (options === "help") {
    console.log(usage);
    return;
  }
  if (options === "version") {
    answerVersion(true);
    return;
  }
  const colour = colourWanted(process.stdout);
  const nameWidth = Math.max(...options.instances.map((instance) => `replica-${instance.id}`.length));
  const printer = createPrinter(colour, nameWidth);
  if (options.fresh) deleteDataDirs(options, printer);
  // The replicas' own level tags are coloured only if ours are.
  const supervisor = new Supervisor(options, printer, colour, () => {
    printer.warn("every replica has exited; stopping");
    process.exit(1);
  });
  printWelcome(options, printer);
  supervisor.start();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    printer.note(`${signal}: stopping every replica`);
    await supervisor.stop();
    printer.note("all replicas stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  // The terminal closed: stop the replicas cleanly rather than leave them to the hangup.
  process.on("SIGHUP", () => void stop("SIGHUP"));
}

main().catch((error: Error) => {
  console.error(`cluster: ${error.message}`);
  process.exit(2);
});
