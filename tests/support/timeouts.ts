/**
 * Test and hook timeouts, far above what each needs on an idle machine, so
 * that a loaded one (a fresh clone's first run, two shared cores) never
 * decides an outcome. bun's default is 5 s and bun 1.4 reads no default
 * from bunfig.toml (`[test] timeout` is ignored), so every test that starts
 * processes, talks to a replica, waits on a condition or runs many
 * iterations names one of these.
 */

/** Pure code run many times (property tests, simulations): about a second when idle. */
export const manyIterationsMs = 60_000;
/** Calls to an in-process replica over gRPC (each write is an fsync), or a wait on a condition. */
export const inProcessReplicaMs = 30_000;
/** Child processes (replicas, the CLI, the inspector) started, signalled and awaited. */
export const childProcessesMs = 90_000;
/** A hook that starts or stops replicas or processes. */
export const hookMs = 60_000;
