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

export const messageTextBytesMax = 4096;

export const accountPatternLengthMax = 64;
export const accountPageSizeDefault = 50;
export const accountPageSizeMax = 500;

export const messagePageSizeDefault = 50;
export const messagePageSizeMax = 500;

export const readCountDefault = 10;
export const readCountMax = 500;

export const idsPerRequestMax = 500;

/** Bytes of one gRPC message a replica accepts or sends. */
export const grpcMessageBytesMax = 4 * 1024 * 1024;

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
 * Results remembered per client for exactly-once retries: a client may have
 * this many writes in flight; a retry older than the window is refused.
 */
export const clientResultWindowMax = 256;
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
  ];
  for (const [holds, what] of checks) {
    if (!holds) throw new Error(`inconsistent limits: ${what}`);
  }
}
