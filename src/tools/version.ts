/** `--version` for every command: the version in package.json, the one thing a bug report needs first. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../config.ts";

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { name: string; version: string };
  return `${manifest.name} ${manifest.version}`;
}

/** Prints the version when asked (`requested`), and says whether it did, so the caller returns at once. */
export function answerVersion(requested: boolean | undefined): boolean {
  if (requested) console.log(packageVersion());
  return Boolean(requested);
}
