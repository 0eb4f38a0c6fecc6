/**
 * Start-up failures an operator causes and can fix, turned from raw system
 * errors ("EACCES", "No address added out of total 1 resolved") into
 * sentences naming where the setting came from and what to do.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where a setting came from, as the operator would look for it: "--data_dir" or "config.json data_dir". */
export type SettingSource = string;

export class StartupError extends Error {
  override name = "StartupError";
}

/**
 * Creates the data directory if needed and proves it writable with a probe
 * file, before the lock and the database would fail on it less clearly.
 */
export function assertDataDirWritable(dir: string, source: SettingSource): void {
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new StartupError(
      `${source}: the data directory ${dir} cannot be written (${code ?? message}): ` +
        "point it at a directory the replica's user can create and write, or fix that directory's owner and permissions",
    );
  }
}

/** Whether a bind failed because another process has the port (grpc-js wraps the EADDRINUSE it got). */
export function isAddressInUse(error: unknown): boolean {
  return error instanceof Error && error.message.includes("EADDRINUSE");
}

/** The sentence for a port in use; it keeps the word EADDRINUSE, which scripts that retry on another port look for. */
export function addressInUseError(address: string, source: SettingSource): StartupError {
  return new StartupError(
    `${source}: ${address} is in use by another process (EADDRINUSE): stop that process (\`ss -ltnp\` names it), or give this replica another port`,
  );
}
