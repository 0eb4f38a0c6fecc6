/**
 * Failover timing for the benchmarks: one client writing in a loop, and
 * how long after a fault the first write sent after it was acknowledged.
 * A write already replicated before the fault may be answered after it,
 * so only a write sent after the fault counts.
 */
import type { GrpcChatTransport } from "../client/grpc-transport.ts";
import { median, percentile } from "./bench-compare.ts";

/** Deadline of one GetLeaderInfo while looking for the leader every replica names. */
const askDeadlineMs = 500;

export interface ContinuousWriter {
  /** Milliseconds from `faultAt` to the acknowledgement of the first write sent after it; NaN after `timeoutMs`. */
  timeToAckAfter(faultAt: number, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

export function writeContinuously(write: () => Promise<unknown>): ContinuousWriter {
  const acks: { sentAt: number; ackedAt: number }[] = [];
  let writing = true;
  const loop = (async () => {
    while (writing) {
      const sentAt = performance.now();
      await write();
      acks.push({ sentAt, ackedAt: performance.now() });
    }
  })();
  const firstAckAfter = (faultAt: number) => acks.find((ack) => ack.sentAt > faultAt)?.ackedAt;
  return {
    async timeToAckAfter(faultAt, timeoutMs) {
      while (firstAckAfter(faultAt) === undefined && performance.now() - faultAt < timeoutMs) await Bun.sleep(1);
      return (firstAckAfter(faultAt) ?? Number.NaN) - faultAt;
    },
    async stop() {
      writing = false;
      await loop;
    },
  };
}

/** "failover (what → next acked write): median, p90, min, max over N runs". */
export function failoverLine(what: string, times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  return (
    `failover (${what} → next acked write): median ${median(sorted).toFixed(0)} ms, p90 ${percentile(sorted, 0.9).toFixed(0)} ms, ` +
    `min ${sorted[0]!.toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms over ${sorted.length} runs`
  );
}

/**
 * The leader every replica names, asked directly: after a restart or a
 * heal, one replica's stale view must not pick the replica to fault.
 */
export async function agreedLeader(transport: GrpcChatTransport, addresses: readonly string[], timeoutMs: number): Promise<number> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await Bun.sleep(20)) {
    const replies = await Promise.all(addresses.map((address) => transport.call(address, "GetLeaderInfo", {}, {}, askDeadlineMs).catch(() => null)));
    const named = new Set(replies.map((reply) => reply?.leaderId ?? 0));
    const [only] = named;
    if (named.size === 1 && only) return only;
  }
  throw new Error("the replicas do not agree on a leader");
}
