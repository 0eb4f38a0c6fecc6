/** A leader as the chat service sees it, in memory, for tests of the service without the consensus driver. */
import { NotLeaderError } from "../../src/log/errors.ts";
import type { LeaderInfo, ReplicaNode } from "../../src/log/replica-node.ts";
import type { AppliedResult, Projections } from "../../src/projections/apply.ts";
import type { ChatOperation, OperationEnvelope } from "../../src/projections/operations.ts";

/**
 * A leader as the chat service sees it: proposals commit at once. `deposed`
 * cuts it off from the majority: it still believes it leads (the write
 * barrier passes, proposals are not tried), but a read barrier's heartbeat
 * round finds no majority. `committedElsewhere` holds entries the majority
 * committed that this replica applies only when a read barrier passes.
 */
export class FakeLeader implements ReplicaNode<AppliedResult> {
  readBarriers = 0;
  deposed = false;
  committedElsewhere: ChatOperation[] = [];

  constructor(private readonly projections: Projections) {}

  /** A proposal that commits is ordered after what the majority committed before it. */
  async propose(payload: string): Promise<AppliedResult> {
    this.catchUp();
    return this.append(payload);
  }

  assertLeader(): void {}

  async writeBarrier(): Promise<void> {}

  async readBarrier(): Promise<void> {
    this.readBarriers += 1;
    if (this.deposed) throw new NotLeaderError("127.0.0.1:2");
    this.catchUp();
  }

  leaderInfo(): LeaderInfo {
    return { leaderId: 1, leaderAddress: "127.0.0.1:1", term: 1, replicas: [], selfId: 1 };
  }

  onLeadershipLost(): () => void {
    return () => {};
  }

  async close(): Promise<void> {}

  private catchUp(): void {
    for (const op of this.committedElsewhere.splice(0)) this.append(JSON.stringify({ atMs: 0, op } satisfies OperationEnvelope));
  }

  private append(payload: string): AppliedResult {
    const index = this.projections.appliedIndex() + 1;
    return this.projections.apply([{ index, term: 1, type: "command", data: payload }])[0]!;
  }
}
