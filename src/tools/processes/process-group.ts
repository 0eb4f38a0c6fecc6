/** The children one owner started, so that it can end them all, whatever state a failure left them in. */
import type { ScriptProcess } from "./script-process.ts";

export class ProcessGroup {
  private readonly children = new Set<ScriptProcess>();

  /** Remembers `child` until it has exited and its output is read. */
  adopt<Child extends ScriptProcess>(child: Child): Child {
    this.children.add(child);
    void child.finished.then(() => this.children.delete(child));
    return child;
  }

  /** SIGKILL to every child still running (a SIGSTOPped one is resumed into it); waits until each has exited. */
  async killAll(): Promise<void> {
    await Promise.all([...this.children].map((child) => child.kill("SIGKILL")));
  }

  /** SIGTERM to every child still running, SIGKILL to any still running after `graceMs`; waits for all. */
  async stopAll(graceMs: number, onForceKill: (child: ScriptProcess) => void = () => {}): Promise<void> {
    await Promise.all([...this.children].map((child) => child.stop(graceMs, () => onForceKill(child))));
  }
}
