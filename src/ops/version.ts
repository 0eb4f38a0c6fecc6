/** This build's version, from package.json: replicas report it so an operator sees a rolling upgrade's progress. */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const softwareVersion: string = (JSON.parse(readFileSync(join(import.meta.dir, "..", "..", "package.json"), "utf8")) as { version: string }).version;
