/**
 * What the gateway and the page say to each other: the JSON of the HTTP API
 * (POST /api/<name>, one object in, one out) and of the events the gateway
 * pushes over the page's WebSocket. Pure types and constants: the page's
 * bundle imports this file as well as the gateway.
 */

/** The page's socket: live messages, session changes and the cluster view. */
export const livePath = "/api/live";
/** The cluster view over plain HTTP (GET), for scripts and for a page without a socket yet. */
export const clusterPath = "/api/cluster";

export interface WireMessage {
  id: number;
  sender: string;
  recipient: string;
  text: string;
  sentAtMs: number;
  read: boolean;
}

/** Where the user's live messages stand: what the gateway's follow() of the library says. */
export type LiveState =
  | { state: "off" }
  | { state: "connecting" }
  | { state: "live"; resumed?: { missedCount: number; downMs: number } }
  | { state: "interrupted"; sinceMs: number }
  | { state: "ended"; reason: string };

export interface SessionState {
  /** Null while no one is logged in in this browser session. */
  username: string | null;
  /** Unread messages when the user logged in. */
  unreadCount: number;
  live: LiveState;
  /** The replica this session's client talks to now. */
  replica: string;
}

/** Every failed request answers this, with an HTTP status that matches `code`. */
export interface ApiError {
  /** The service's status name (NOT_FOUND, ...) or one of the gateway's own (GATEWAY_FULL, BAD_REQUEST, ...). */
  code: string;
  /** A sentence for people. */
  message: string;
  /** The request field the error is about, when one is (the page shows the message next to it). */
  field?: string;
}

export interface Api {
  hello: { request: Record<string, never>; reply: SessionState };
  register: { request: { username: string; password: string }; reply: { username: string } };
  login: { request: { username: string; password: string }; reply: SessionState };
  logout: { request: Record<string, never>; reply: SessionState };
  accounts: { request: { pattern: string; pageSize: number; pageToken: string }; reply: { usernames: string[]; nextPageToken: string } };
  send: { request: { recipient: string; text: string }; reply: { message: WireMessage } };
  "read-new": { request: { count: number }; reply: { messages: WireMessage[]; unreadRemaining: number } };
  "mark-read": { request: { ids: number[] }; reply: { marked: number } };
  history: { request: { pageSize: number; beforeId: number }; reply: { messages: WireMessage[]; nextBeforeId: number } };
  "delete-messages": { request: { ids: number[] }; reply: { deleted: number } };
  "delete-account": { request: { password: string }; reply: SessionState };
}
export type ApiName = keyof Api;

export interface ReplicaView {
  id: number | null;
  address: string;
  /** "leader", "follower", "learner", "no leader known" or "unreachable". */
  role: string;
  term: number | null;
  /** The leader's view: the highest log index known to be on this replica (admin status only). */
  matchIndex: number | null;
  /** Entries this replica's log is behind the leader's (admin status only). */
  behind: number | null;
}

export interface FailoverView {
  /** When the new leader was first seen. */
  atMs: number;
  fromId: number | null;
  toId: number;
  term: number;
  /** How long no replica could be seen leading, measured to within one poll. */
  leaderlessMs: number;
}

export interface ClusterView {
  /** "admin" when the gateway has the cluster secret (AdminService.Status), else "leader-info" (GetLeaderInfo only). */
  source: "admin" | "leader-info";
  observedAtMs: number;
  pollMs: number;
  leader: { id: number; address: string; term: number } | null;
  /** The leader's commit and last log index (admin status only). */
  commitIndex: number | null;
  lastIndex: number | null;
  /** How long no leader has been seen, while that lasts (null while a leader is seen). */
  leaderlessForMs: number | null;
  replicas: ReplicaView[];
  /** Newest first. */
  failovers: FailoverView[];
  /** Why less is shown than could be (the secret was refused, say). */
  note: string | null;
}

export type LiveEvent =
  /** First on every socket: live pushes start now; what came before is in history. */
  | { type: "hello"; session: SessionState; cluster: ClusterView | null }
  | { type: "message"; message: WireMessage }
  | { type: "session"; session: SessionState }
  | { type: "cluster"; cluster: ClusterView };
