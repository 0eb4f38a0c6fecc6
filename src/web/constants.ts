/**
 * Every bound of the web gateway, in one place. Units come last in the
 * name. The service's own limits (message text, page sizes, ids per
 * request) stay in src/limits.ts; these bound what the gateway holds for
 * browsers: sessions, sockets, request and socket message sizes, and how
 * often it looks at the cluster.
 */

/** Browser sessions one gateway holds at once, each with its own client-library session (a gRPC channel per replica). */
export const sessionsMax = 200;
/** A session with no open socket and no request for this long is logged out and forgotten. */
export const sessionIdleMs = 30 * 60 * 1000;
/** How often idle sessions are looked for. */
export const sessionSweepMs = 60 * 1000;
/** How often each logged-in session's client checks that its replica still leads (a stopped leader is noticed while idle). */
export const sessionLeaderCheckMs = 2000;
/** How long a login waits for the live stream to register before answering, so a message is either in history or live. */
export const liveOpenWaitMs = 5000;
/** How long logging the sessions out may take when the gateway stops. */
export const shutdownGraceMs = 2000;

/** Bytes of one HTTP request body (a 4 KiB message text is at most 6 times longer as JSON). */
export const requestBodyBytesMax = 64 * 1024;
/** WebSockets one browser session may have open (tabs). */
export const socketsPerSessionMax = 8;
/** WebSockets one gateway serves at once. */
export const socketsMax = 1000;
/** Bytes of one message a page may send over its socket (the page sends none; anything larger closes it). */
export const socketMessageBytesMax = 1024;
/** Bytes queued for one slow socket before it is closed; the page reconnects and catches up. */
export const socketBackpressureBytesMax = 1024 * 1024;
/** Seconds a socket may stay silent (Bun pings it meanwhile) before it is closed. */
export const socketIdleSeconds = 120;

/** How often the cluster view asks every replica who leads (and the leader for its status); failovers are timed to within this. */
export const clusterPollMs = 250;
/** Deadline of one call of the cluster view: a stopped replica must not hold up the next poll. */
export const clusterCallDeadlineMs = 1000;
/** Replicas the cluster view shows at most. */
export const clusterReplicasMax = 16;
/** Failovers the cluster view remembers, newest first. */
export const failoversShownMax = 10;
