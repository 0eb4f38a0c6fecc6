/**
 * The standard gRPC health service (grpc.health.v1, from grpc-health-check),
 * so load balancers, Kubernetes probes and grpc_health_probe can ask a
 * replica whether to send it traffic. SERVING when the replica knows a
 * leader and has applied its commit index to within healthApplyLagEntriesMax
 * entries; NOT_SERVING otherwise (no leader: an election, a lost quorum;
 * applying far behind: just restarted, or overloaded), and for good once the
 * replica stops or is removed.
 *
 * It watches the driver through the observer interface: every clock tick
 * compares a few numbers held in memory and tells the health service only
 * when the answer changes, so Watch streams hear each change once.
 */
import { HealthImplementation, type ServingStatus } from "grpc-health-check";
import type { Server } from "@grpc/grpc-js";
import { healthApplyLagEntriesMax } from "../limits.ts";
import type { DriverObserver } from "../log/driver-observer.ts";

/** The replica's state the answer depends on, read at each check. */
export interface HealthSource {
  /** 0 when this replica knows no leader. */
  leaderId(): number;
  commitIndex(): number;
  appliedIndex(): number;
}

/** The names a client may ask about: "" is the whole server, by the protocol's convention; then the client API. */
export const healthServiceNames = ["", "chat.ChatService"] as const;

/** The rule, on its own so it can be read (and tested) without a server. */
export function servingStatus(leaderId: number, commitIndex: number, appliedIndex: number): ServingStatus {
  if (leaderId === 0) return "NOT_SERVING";
  return commitIndex - appliedIndex <= healthApplyLagEntriesMax ? "SERVING" : "NOT_SERVING";
}

export class ReplicaHealth implements Pick<DriverObserver, "ticked"> {
  private readonly implementation: HealthImplementation;
  private status: ServingStatus = "NOT_SERVING";
  private stopped = false;

  constructor(private readonly source: HealthSource) {
    this.implementation = new HealthImplementation(Object.fromEntries(healthServiceNames.map((name) => [name, this.status])));
  }

  addToServer(server: Server): void {
    this.implementation.addToServer(server);
  }

  /** Checks the state again; tells the health service only when the answer changed. */
  refresh(): void {
    if (this.stopped) return;
    this.set(servingStatus(this.source.leaderId(), this.source.commitIndex(), this.source.appliedIndex()));
  }

  /** The replica stops or was removed: NOT_SERVING from now on. */
  stop(): void {
    this.set("NOT_SERVING");
    this.stopped = true;
  }

  ticked(_lateSeconds: number): void {
    this.refresh();
  }

  private set(status: ServingStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const name of healthServiceNames) this.implementation.setStatus(name, status);
  }
}
