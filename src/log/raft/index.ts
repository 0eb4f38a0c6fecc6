// Raft consensus core (etcd-io/raft shape): a deterministic state machine fed
// with ticks and messages, emitting Ready batches. What lives where:
//   types.ts          messages, entries, HardState, Ready, the LogStorage view
//   core.ts           RaftCore: roles, elections, replication, commit, ReadIndex
//   log-view.ts       durable log (through LogStorage) plus the unstable tail
//   progress.ts       the leader's per-follower match/next and flow control
//   leader-state.ts   what only a leader keeps (progress, pending reads, transfer), made when it leads
//   quorum.ts         majority arithmetic over the voter set (learners never count)
//   read-index.ts     pending linearizable reads on the leader
//   membership.ts     membership from config entries, single-server change rules
//   config-tracker.ts which membership the log establishes (the latest config entry)
//   memory-storage.ts in-memory LogStorage for tests and the simulator
//   constants.ts      named bounds and their relations

export { RaftCore, type RaftOptions } from "./core.ts";
export {
  applyConfChange,
  bootstrapEntry,
  bootstrapIndex,
  bootstrapTerm,
  configFromMembership,
  membershipFromConfig,
  membershipFromEntry,
} from "./membership.ts";
export { MemoryStorage, noSnapshot } from "./memory-storage.ts";
export { RaftInvariantError } from "./assert.ts";
export * from "./types.ts";
export * from "./constants.ts";
