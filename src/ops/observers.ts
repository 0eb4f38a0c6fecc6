/** Several observers of the driver as one (metrics and health watch the same events). */
import type { DriverObserver } from "../log/driver-observer.ts";
import type { NodeId, Role } from "../log/raft/types.ts";

/** What an observer need not implement: it hears only the events it names. */
export type PartialObserver = Partial<DriverObserver>;

export function fanOut(observers: readonly PartialObserver[]): DriverObserver {
  const each = <Name extends keyof DriverObserver>(name: Name): DriverObserver[Name][] =>
    observers.flatMap((observer) => {
      const method = observer[name] as ((...args: unknown[]) => void) | undefined;
      return method ? [method.bind(observer) as DriverObserver[Name]] : [];
    });
  const proposed = each("proposed");
  const persisted = each("persisted");
  const applied = each("applied");
  const roleChanged = each("roleChanged");
  const ticked = each("ticked");
  const transferred = each("snapshotTransferred");
  // Plain loops over arrays fixed here: no allocation per event.
  return {
    proposed: (count, refused) => {
      for (const call of proposed) call(count, refused);
    },
    persisted: (entries, seconds) => {
      for (const call of persisted) call(entries, seconds);
    },
    applied: (entries, appliedIndex) => {
      for (const call of applied) call(entries, appliedIndex);
    },
    roleChanged: (role: Role, leaderId: NodeId, term: number) => {
      for (const call of roleChanged) call(role, leaderId, term);
    },
    ticked: (lateSeconds) => {
      for (const call of ticked) call(lateSeconds);
    },
    snapshotTransferred: (direction, ok) => {
      for (const call of transferred) call(direction, ok);
    },
  };
}
