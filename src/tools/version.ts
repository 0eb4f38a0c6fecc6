/** `--version` for every command: the version in package.json, the one thing a bug report needs first. */
import { softwareName, softwareVersion } from "../ops/version.ts";

export function packageVersion(): string {
  return `${softwareName} ${softwareVersion}`;
}

/** Prints the version when asked (`requested`), and says whether it did, so the caller returns at once. */
export function answerVersion(requested: boolean | undefined): boolean {
  if (requested) console.log(packageVersion());
  return Boolean(requested);
}
