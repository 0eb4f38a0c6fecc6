// A 60-second chaos run as part of the suite: three real replicas behind
// fault proxies, users running the client library, a seeded nemesis, and
// the history checker's verdict (src/chaos/run.ts). On a failure the run's
// folder (history, nemesis schedule, replica logs) is named in the output;
// replay it with `bun run chaos -- --seed 12 --duration 60`.
import { expect, test } from "bun:test";
import { runChaos, settleMsMax } from "../src/chaos/run.ts";

const durationS = 60;
const seed = 12;
/** The faults, then healing and settling, starting and stopping replicas, and the checks, on a loaded machine. */
const runMsMax = durationS * 1000 + 2 * settleMsMax + 120_000;

test(
  `a ${durationS}-second chaos run loses no acknowledged write and breaks no property (seed ${seed})`,
  async () => {
    const result = await runChaos({ seed, durationS, replicas: 3 });
    console.log(result.summary);
    expect(result.properties).toMatchObject({
      noAcknowledgedWriteLost: "pass",
      appliedAtMostOnce: "pass",
      sendOrderFollowsRealTime: "pass",
      subscribersSeeNoGapNoDuplicate: "pass",
      replicasConverge: "pass",
      replayEqualsTables: "pass",
      noReplicaDied: "pass",
      noUnexpectedStatus: "pass",
      settlesAfterHealing: "pass",
    });
    expect(result.ok).toBe(true);
    expect(result.operations["SendMessage ok"] ?? 0).toBeGreaterThan(100);
    expect(Object.values(result.faults).reduce((sum, count) => sum + (count ?? 0), 0)).toBeGreaterThan(5);
  },
  runMsMax,
);
