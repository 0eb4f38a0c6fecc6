/**
 * Every bound of the terminal client, in one place. Units come last in the
 * name. Server-side limits (page sizes, ids per request) stay in
 * src/limits.ts; these only shape what the client asks for and how long it
 * keeps trying.
 */
import { idsPerRequestMax, messagePageSizeMax, readCountMax } from "../../limits.ts";

/** Usernames fetched per `users` page; `more` fetches the next one. */
export const usersPageSize = 20;
/** Messages `history` shows when no count is given. */
export const historyCountDefault = 20;
/** One ListMessages page carries at most this many, so `history N` is one call. */
export const historyCountMax = messagePageSizeMax;
/** `read N` is bounded by what the server accepts in one ReadNewMessages. */
export const readCountLimit = readCountMax;
/** `delete` sends every id in one DeleteMessages call. */
export const deleteIdsMax = idsPerRequestMax;

/** Ids sent in one MarkRead for messages shown live (the server's per-request bound). */
export const markReadBatchIdsMax = idsPerRequestMax;

/** Lines kept in the interactive history (lines with passwords are never kept). */
export const interactiveHistoryLines = 200;
/** After end of input, how long JSON mode waits for open handles before exiting anyway. */
export const exitGraceMs = 1000;
/** How often the client checks that its replica still leads, so a dead leader is noticed while idle. */
export const leaderHeartbeatMs = 1000;
/** A command still waiting for the cluster after this long says so (and that Ctrl-C stops waiting). */
export const waitingNoticeMs = 1000;
