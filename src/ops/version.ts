/**
 * This build's name and version, from package.json: replicas report the
 * version so an operator sees a rolling upgrade's progress, and every
 * command prints both for --version (src/tools/version.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const manifest = JSON.parse(readFileSync(join(import.meta.dir, "..", "..", "package.json"), "utf8")) as { name: string; version: string };

export const softwareName: string = manifest.name;
export const softwareVersion: string = manifest.version;
