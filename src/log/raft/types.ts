// Types shared by the Raft consensus core, its storage view and its driver.
// Everything here is plain data: messages and Ready batches are JSON-serialisable
// so the driver can ship them over gRPC unchanged. Numeric fields use 0 for
// "none" (not undefined) so they map one-to-one onto proto3 defaults.

export type NodeId = number;

/** Sentinel for "no node": no vote cast, no leader known. Node ids are >= 1. */
export const noNode: NodeId = 0;

/**
 * "noop" is appended by every new leader (Raft paper §8, figure 8 fix); "command"
 * carries opaque client data. Kept as a string union so "config" (membership,
 * dissertation §4) can join later without touching the wire format.
 */
export type EntryType = "noop" | "command";

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
 */
export interface LogStorage {
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

export type Message =
  | PreVoteMessage
  | PreVoteResponseMessage
  | VoteMessage
  | VoteResponseMessage
  | AppendMessage
  | AppendResponseMessage;

export type MessageType = Message["type"];

/** Answer to readIndex(): serve the read once the state machine has applied `index`. */
export type ReadState =
  | { requestId: string; ok: true; index: number }
  | { requestId: string; ok: false; leaderId: NodeId };

export type ProposeResult =
  | { accepted: true; index: number; term: number }
  | { accepted: false; reason: "notLeader"; leaderId: NodeId }
  | { accepted: false; reason: "tooManyUncommitted"; leaderId: NodeId };

/**
 * One batch of effects. The driver must, in this order:
 *  1. persist `hardState` (if present) and `entries` in one durable transaction;
 *     `entries[0].index` is where writing starts: delete every stored entry at or
 *     after it first (a follower overwrites a conflicting, uncommitted suffix);
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
}
