// Types shared by the Raft consensus core, its storage view and its driver.
// Everything here is plain data: messages and Ready batches are JSON-serialisable
// so the driver can ship them over gRPC unchanged. Numeric fields use 0 for
// "none" (not undefined) so they map one-to-one onto proto3 defaults.

export type NodeId = number;

/** Sentinel for "no node": no vote cast, no leader known. Node ids are >= 1. */
export const noNode: NodeId = 0;

/**
 * "noop" is appended by every new leader (Raft paper §8, figure 8 fix); "command"
 * carries opaque client data; "config" carries a whole membership (dissertation
 * §4.1, single-server changes) as JSON `ConfigEntryData`.
 */
export type EntryType = "noop" | "command" | "config";

/** One member in a "config" entry. The core reads only `id`; `address` is the driver's opaque context. */
export interface Member {
  id: NodeId;
  address: string;
}

/** The `data` of a "config" entry, as JSON: the complete new membership, not a delta. */
export interface ConfigEntryData {
  voters: Member[];
  learners: Member[];
}

/**
 * The membership a node uses: the latest "config" entry in its log, committed
 * or not (dissertation §4.1), else the snapshot's, else the initial voters.
 * `configIndex` is the index of that entry (the snapshot's configIndex, or 0
 * for the initial voters). `addresses` maps every member's id to the address
 * its config entry gave ("" when unknown, e.g. for the initial voters).
 */
export interface Membership {
  voters: NodeId[];
  learners: NodeId[];
  configIndex: number;
  addresses: Record<NodeId, string>;
}

/**
 * What a snapshot covers: every entry up to `index` (whose term is `term`) and
 * the membership in force there, in the same shape as a config entry's data.
 * `configIndex` is the index of the config entry that membership came from
 * (absent: taken to be `index`).
 */
export interface SnapshotMeta {
  index: number;
  term: number;
  membership: ConfigEntryData;
  configIndex?: number;
}

/** One single-server membership change (dissertation §4.1); learners first, promoted once caught up (§4.2.1). */
export interface ConfChange {
  kind: "addLearner" | "promote" | "remove";
  id: NodeId;
  /** For addLearner: the new member's address, kept in the config entry for the driver. */
  address?: string;
}

export interface Entry {
  index: number;
  term: number;
  type: EntryType;
  /** Opaque JSON text; the core never parses it. */
  data: string;
}

/** State that must be durable before any message of the same Ready is sent (paper figure 2, "persistent state"). */
export interface HardState {
  term: number;
  /** Candidate voted for in `term`; 0 = none. */
  vote: NodeId;
  commit: number;
}

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

/** Volatile state the driver may want for routing and metrics; never persisted. */
export interface SoftState {
  leaderId: NodeId;
  role: Role;
}

/**
 * Read-only view of the durable log. The core reads it; only the driver writes it
 * (after a Ready). `term(firstIndex() - 1)` must answer once snapshots exist, so the
 * core can check the entry just before the first retained one.
 *
 * Compaction: after the driver compacts (or installs a snapshot), `snapshot()`
 * returns its metadata, `firstIndex() === snapshot().index + 1` and
 * `term(snapshot().index)` answers. `snapshot` is optional only so a storage
 * that never compacts need not implement it (index 0, "no snapshot").
 */
export interface LogStorage {
  snapshot?(): SnapshotMeta;
  firstIndex(): number;
  lastIndex(): number;
  /** undefined when the index is compacted away or beyond lastIndex. */
  term(index: number): number | undefined;
  /** Entries [lo, hiExclusive); at least one entry when the range is non-empty, even if it exceeds maxBytes. */
  entries(lo: number, hiExclusive: number, maxBytes?: number): Entry[];
}

interface MessageHeader {
  from: NodeId;
  to: NodeId;
  /** Sender's term (paper §5.1: every RPC and reply carries a term). */
  term: number;
  /**
   * Local only, never on the wire: the driver tags a peer's request with an
   * id before stepping it, and the core copies the id onto the answer it
   * produces in that step, so the driver hands each answer to the call that
   * asked (not to the oldest call of the same peer and type).
   */
  requestId?: number;
}

/** Dissertation §9.6: ask "would you vote for me?" at term+1 without changing anyone's term. */
export interface PreVoteMessage extends MessageHeader {
  type: "preVote";
  lastLogIndex: number;
  lastLogTerm: number;
}

export interface PreVoteResponseMessage extends MessageHeader {
  type: "preVoteResponse";
  granted: boolean;
}

/** RequestVote RPC (paper figure 2). */
export interface VoteMessage extends MessageHeader {
  type: "vote";
  lastLogIndex: number;
  lastLogTerm: number;
  /**
   * Set by a leadership-transfer target (dissertation §3.10, etcd's
   * campaignTransfer): voters grant even if they heard from a leader within
   * the election timeout. Absent = false.
   */
  transfer?: boolean;
}

export interface VoteResponseMessage extends MessageHeader {
  type: "voteResponse";
  granted: boolean;
}

/** AppendEntries RPC (paper figure 2). Empty `entries` is a heartbeat. */
export interface AppendMessage extends MessageHeader {
  type: "append";
  prevIndex: number;
  prevTerm: number;
  entries: Entry[];
  leaderCommit: number;
  /** Heartbeat round the leader is confirming for ReadIndex (dissertation §6.4); 0 = none. */
  heartbeatRound: number;
}

export interface AppendResponseMessage extends MessageHeader {
  type: "appendResponse";
  success: boolean;
  /** On success: the last index this Append verified on the follower. */
  matchIndex: number;
  /** On rejection: the prevIndex that did not match (lets the leader ignore stale rejections). */
  rejectedIndex: number;
  /** On rejection: the follower's hint for fast back-off (paper §5.3, last paragraphs). */
  conflictIndex: number;
  /** Term of the follower's entry at rejectedIndex, 0 when its log is shorter. */
  conflictTerm: number;
  /** Echo of the Append's heartbeatRound. */
  heartbeatRound: number;
}

/** Leadership transfer (dissertation §3.10): "start an election now", sent to an up-to-date voter. */
export interface TimeoutNowMessage extends MessageHeader {
  type: "timeoutNow";
}

/**
 * InstallSnapshot, metadata only (dissertation §5.1). The driver intercepts it
 * on the leader, streams the state out of band, and steps it into the
 * follower's core only once the state is installed durably. The follower
 * answers with an appendResponse (matchIndex = snapshot index, or its commit
 * index if the snapshot was not newer).
 */
export interface SnapshotMessage extends MessageHeader {
  type: "snapshot";
  snapshot: SnapshotMeta;
}

export type Message =
  | PreVoteMessage
  | PreVoteResponseMessage
  | VoteMessage
  | VoteResponseMessage
  | AppendMessage
  | AppendResponseMessage
  | TimeoutNowMessage
  | SnapshotMessage;

export type MessageType = Message["type"];

/** Answer to readIndex(): serve the read once the state machine has applied `index`. */
export type ReadState = { requestId: string; ok: true; index: number } | { requestId: string; ok: false; leaderId: NodeId };

/**
 * Every refusal names a node to redirect to: the leader, or, while a
 * leadership transfer is in progress ("transferring"), the transfer target.
 *  - notLeader: this node does not lead.
 *  - tooManyUncommitted: the log is too far ahead of the commit index.
 *  - transferring: a leadership transfer is in progress (dissertation §3.10).
 *  - ownTermNotCommitted: a config change before the leader committed an entry
 *    of its own term (Ongaro's 2015 single-server change bug; docs/safety-rules.md).
 *  - changeInProgress: a config change while another is uncommitted (§4.1).
 *  - invalidChange: addLearner of a member, promote of a non-learner, remove of
 *    a non-member, or removing the last voter.
 */
export type ProposeResult =
  | { accepted: true; index: number; term: number }
  | { accepted: false; reason: "notLeader"; leaderId: NodeId }
  | { accepted: false; reason: "tooManyUncommitted"; leaderId: NodeId }
  | { accepted: false; reason: "transferring"; leaderId: NodeId }
  | { accepted: false; reason: "ownTermNotCommitted"; leaderId: NodeId }
  | { accepted: false; reason: "changeInProgress"; leaderId: NodeId }
  | { accepted: false; reason: "invalidChange"; leaderId: NodeId };

export type TransferResult = { started: true } | { started: false; reason: "notLeader" | "notVoter" | "self" };

/** Leader only: what the leader knows of one peer's log (paper figure 2 matchIndex/nextIndex). */
export interface PeerProgress {
  match: number;
  next: number;
  state: "probe" | "replicate" | "snapshot";
  /** In state "snapshot": the index of the snapshot sent; else 0. */
  pendingSnapshot: number;
}

/**
 * One batch of effects. The driver must, in this order:
 *  0. if `membership` is present, take the new peer addresses from it (no
 *     persistence needed: it is derived from the log and snapshot);
 *  1. persist `hardState` (if present) and `entries` in one durable transaction;
 *     `entries[0].index` is where writing starts: delete every stored entry at or
 *     after it first (a follower overwrites a conflicting, uncommitted suffix).
 *     If `snapshot` is present (an installed snapshot), in that same transaction
 *     and first: delete every stored entry, record the snapshot metadata (so
 *     firstIndex() = snapshot.index + 1 and term(snapshot.index) answers); then
 *     write `entries`, which then start at snapshot.index + 1;
 *  2. send `messages` (only now: a vote or an ack must never precede its fsync);
 *  3. apply `committedEntries` in order (they may include entries of step 1);
 *  4. serve `readStates` once applied >= index;
 *  5. call advance().
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  messages: Message[];
  committedEntries: Entry[];
  readStates: ReadState[];
  /** A snapshot this follower accepted: reset the stored log to start after it (step 1). */
  snapshot?: SnapshotMeta;
  /** The membership, when it differs from the one last handed out (or, before the first, from the one at construction: read membership() then). */
  membership?: Membership;
}
