/**
 * Every bound of the service, in one place. Units come last in the name.
 * The relations between them are checked once at start-up by
 * `assertLimitsConsistent` (a programmer error if they do not hold).
 */

export const usernameLengthMin = 3;
export const usernameLengthMax = 32;
/** Letters, digits, `_`, `.` and `-`: safe in patterns, logs and terminals. */
export const usernamePattern = /^[A-Za-z0-9_.-]+$/;

/** Password lengths count UTF-8 bytes, what argon2 hashes. A new password needs at least this many. */
export const passwordBytesMin = 8;
/**
 * Every password field (CreateAccount, Login, DeleteAccount) has this upper
 * bound: argon2 accepts more, but a megabyte password is an attack, not a secret.
 */
export const passwordBytesMax = 256;

/**
 * Password work. An argon2id hash or verification costs the leader about 30 ms
 * of a core at config.json's costs, the dearest thing a request can ask. Bun
 * runs Bun.password's async hash and verify on its worker pool, off the thread
 * that runs the consensus clock (tests/unit/password-guessing.test.ts checks
 * it); these bounds keep the work from taking every core and guesses from
 * being free (src/service/password-work.ts, src/service/attempt-limits.ts).
 */
/** Hashes and verifications one replica runs at once, so at least one core stays for the log. */
export const passwordHashesRunningMax = 1;
/** Password checks waiting for a turn; more are refused at once (RESOURCE_EXHAUSTED). A wait lasts at most this many hashes. */
export const passwordHashesWaitingMax = 32;
/** Password checks one client address has running or waiting at once: no one address fills the queue. */
export const passwordChecksPerAddressMax = 2;
/**
 * Failed password checks (Login, DeleteAccount; a Login for an unknown name
 * too) one account may take: a burst, then one more per refill interval.
 * Past it even the right password waits (else the limit would not limit).
 */
export const accountPasswordFailuresBurst = 10;
export const accountPasswordFailureRefillMs = 30_000;
/** The same per client address, against guessing one password for many accounts. */
export const addressPasswordFailuresBurst = 30;
export const addressPasswordFailureRefillMs = 2_000;
/** Accounts (and, apart, addresses) whose failures a replica remembers; past this the least recently seen is forgotten. */
export const passwordFailureRecordsMax = 100_000;

export const messageTextBytesMax = 4096;

/** A log write (append and fsync of one batch) slower than this is logged: a slow disk delays every write and, past an election timeout, the heartbeats. */
export const slowFsyncWarnMs = 100;

/** Refused peer and admin calls are logged at most once per this interval (with a count of the others): a flood stays one line. */
export const refusalLogIntervalMs = 10_000;

/** How long a session may go unused (no write through it) when config.json names no session_idle_ms. */
export const sessionIdleMsDefault = 7 * 24 * 60 * 60 * 1000;

/** A Login's session secret (src/service/tokens.ts): at least 192 bits of base64url. */
export const sessionSecretLengthMin = 32;
export const sessionSecretLengthMax = 128;
export const sessionSecretPattern = /^[A-Za-z0-9_-]+$/;

export const accountPatternLengthMax = 64;
export const accountPageSizeDefault = 50;
export const accountPageSizeMax = 500;

/**
 * Pages and reads of messages are bounded so that one reply (at most this
 * many texts of messageTextBytesMax) is read and encoded in a few
 * milliseconds: the thread that does it also runs the consensus clock.
 */
export const messagePageSizeDefault = 50;
export const messagePageSizeMax = 100;

export const readCountDefault = 10;
export const readCountMax = 100;

/** Stored messages a live stream's catch-up reads and sends per turn of the event loop. */
export const catchUpSliceMessages = 64;
/** Heavy reads (history pages, reads of new messages, catch-up slices) waiting for a turn at once, all users together. */
export const heavyReadsQueuedMax = 1000;
/** Heavy reads and live streams one user may have at once. */
export const readsPerUserMax = 8;

export const idsPerRequestMax = 500;

/** Bytes of one gRPC message a replica accepts or sends (the peer API's appends and snapshot chunks need megabytes). */
export const grpcMessageBytesMax = 4 * 1024 * 1024;
/**
 * Bytes of one client API request: the largest valid one (a MarkRead or
 * DeleteMessages of idsPerRequestMax ids, a SendMessage of the longest
 * text) is a few kilobytes. A larger one is refused undecoded
 * (src/rpc/checked-requests.ts).
 */
export const clientRequestBytesMax = 64 * 1024;

/** Reconnect backoff of gRPC channels (to peers and, in the client, to replicas). */
export const reconnectBackoffInitialMs = 50;
export const reconnectBackoffMaxMs = 500;

/** Messages queued for one live subscriber before it is dropped as too slow. */
export const subscriberBufferMessagesMax = 1024;
/** Live subscriptions one replica serves at once. */
export const subscribersMax = 10_000;

/** Client writes waiting for the log at once; more get RESOURCE_EXHAUSTED. */
export const pendingProposalsMax = 10_000;
/**
 * Reads queued for the leader's next ReadIndex round at once; more get
 * RESOURCE_EXHAUSTED. One round answers them all (src/log/raft-node.ts).
 */
export const queuedReadsMax = 10_000;
/** Operations one log append (one fsync) carries at most. */
export const appendBatchEntriesMax = 1024;
/**
 * Committed entries a follower holds before applying them (it applies at
 * every tick, 10 ms, or once this many wait): one apply transaction for many
 * writes instead of one per append, and its answer to the leader is not held
 * up by the apply. The log is the truth, so a crash only means re-applying.
 */
export const applyBacklogEntriesMax = 512;

/**
 * Results remembered per client for exactly-once retries, those of its
 * highest seqs: a client may have this many writes in flight; a retry of a
 * seq at or below one forgotten to keep this bound is refused.
 */
export const clientResultWindowMax = 256;
/**
 * How far beyond its newest stored result a write's seq may run; a seq
 * further ahead is refused. A client spends seqs that store nothing (a
 * ReadNewMessages with nothing unread, a write refused before it was
 * appended), so the bound is far above what one client spends in its life,
 * not the window: it keeps a write that someone who learned a client id
 * plants ahead of that client out of the client's reach. The window is
 * kept by count, not by distance from the newest seq (src/projections/apply.ts),
 * so such a write cannot make the client's own writes too old either.
 */
export const clientSeqAheadMax = 2 ** 32;
/**
 * A client's stored results are forgotten only once its newest one is this
 * many log entries behind (as well as a day of leader time old): a count no
 * leader's clock can move, so a clock that jumps ahead cannot make a retry
 * in flight run twice. Each entry stores at most one result, so this bound
 * alone keeps at most this many clients (each with its window of results).
 */
export const clientResultIdleEntriesMin = 1_000_000;
export const clientIdLengthMin = 16;
export const clientIdLengthMax = 64;
export const clientIdPattern = /^[A-Za-z0-9_-]+$/;

/**
 * A replica reports SERVING on the gRPC health service only while it has
 * applied its commit index to within this many entries (src/ops/health.ts).
 * Two append batches: a replica applies each committed batch at once, so it lags more only
 * while it catches up after a restart or a snapshot, or is overloaded: a
 * few hundred milliseconds of writes at full speed.
 */
export const healthApplyLagEntriesMax = 2_048;
/** `admin status --watch` refreshes at this interval by default, and never faster or slower than the bounds. */
export const statusWatchIntervalMsDefault = 2_000;
export const statusWatchIntervalMsMin = 500;
export const statusWatchIntervalMsMax = 60_000;

export function assertLimitsConsistent(): void {
  const checks: [boolean, string][] = [
    [usernameLengthMin <= usernameLengthMax, "username bounds"],
    [passwordBytesMin <= passwordBytesMax, "password bounds"],
    [accountPageSizeDefault <= accountPageSizeMax, "account page size"],
    [messagePageSizeDefault <= messagePageSizeMax, "message page size"],
    [readCountDefault <= readCountMax, "read count"],
    // A full page of the largest messages must fit in one gRPC message.
    [messagePageSizeMax * (messageTextBytesMax + 256) < grpcMessageBytesMax, "message page vs gRPC size"],
    [readCountMax * (messageTextBytesMax + 256) < grpcMessageBytesMax, "read count vs gRPC size"],
    [appendBatchEntriesMax <= pendingProposalsMax, "append batch vs pending proposals"],
    [catchUpSliceMessages <= subscriberBufferMessagesMax, "catch-up slice vs subscriber buffer"],
    // An id is a varint of at most 10 bytes; a text at most 4 bytes a character; leave room for the other fields.
    [idsPerRequestMax * 10 + 1024 <= clientRequestBytesMax, "ids per request vs client request size"],
    [messageTextBytesMax + usernameLengthMax + 1024 <= clientRequestBytesMax, "message text vs client request size"],
    // A client may have a window of writes in flight, all ahead of its newest result.
    [clientResultWindowMax <= clientSeqAheadMax, "client window vs seq ahead"],
    [passwordHashesRunningMax >= 1 && passwordChecksPerAddressMax >= 1, "password work runs"],
    // One address alone must not be able to take every place in the queue.
    [passwordChecksPerAddressMax < passwordHashesRunningMax + passwordHashesWaitingMax, "password checks per address vs queue"],
    [accountPasswordFailuresBurst >= 1 && addressPasswordFailuresBurst >= accountPasswordFailuresBurst, "password failure bursts"],
    [passwordFailureRecordsMax >= 1, "password failure records"],
    [healthApplyLagEntriesMax >= appendBatchEntriesMax, "health apply lag vs one batch"],
    [statusWatchIntervalMsMin <= statusWatchIntervalMsDefault && statusWatchIntervalMsDefault <= statusWatchIntervalMsMax, "status watch interval"],
  ];
  for (const [holds, what] of checks) {
    if (!holds) throw new Error(`inconsistent limits: ${what}`);
  }
}
