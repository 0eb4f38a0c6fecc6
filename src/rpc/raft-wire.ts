/**
 * Raft messages to and from the peer API's protobuf shapes. The consensus
 * core's messages are plain objects; this is the only place that knows how
 * they travel.
 */
import type { AppendMessage, AppendResponseMessage, Entry, EntryType, Message, PreVoteMessage, TimeoutNowMessage, VoteMessage } from "../log/raft/types.ts";
import type { ReplicateReply } from "./generated/chat/ReplicateReply.ts";
import type { ReplicateRequest__Output } from "./generated/chat/ReplicateRequest.ts";
import type { VoteReply } from "./generated/chat/VoteReply.ts";
import type { VoteRequest__Output } from "./generated/chat/VoteRequest.ts";
import type { TimeoutNowRequest__Output } from "./generated/chat/TimeoutNowRequest.ts";

const entryTypes: readonly string[] = ["noop", "command", "config"] satisfies EntryType[];

export class MalformedPeerMessageError extends Error {}

export function voteRequestToWire(message: PreVoteMessage | VoteMessage) {
  return {
    from: message.from,
    to: message.to,
    term: message.term,
    lastLogIndex: message.lastLogIndex,
    lastLogTerm: message.lastLogTerm,
    preVote: message.type === "preVote",
    transfer: message.type === "vote" && message.transfer === true,
  };
}

export function voteRequestFromWire(request: VoteRequest__Output): PreVoteMessage | VoteMessage {
  const header = { from: request.from, to: request.to, term: request.term, lastLogIndex: request.lastLogIndex, lastLogTerm: request.lastLogTerm };
  if (request.preVote) return { type: "preVote", ...header };
  return request.transfer ? { type: "vote", ...header, transfer: true } : { type: "vote", ...header };
}

export function timeoutNowFromWire(request: TimeoutNowRequest__Output): TimeoutNowMessage {
  return { type: "timeoutNow", from: request.from, to: request.to, term: request.term };
}

export function voteReplyToWire(message: Message): VoteReply {
  if (message.type !== "voteResponse" && message.type !== "preVoteResponse") throw new Error("not a vote response");
  return { from: message.from, to: message.to, term: message.term, granted: message.granted, preVote: message.type === "preVoteResponse" };
}

export function voteReplyFromWire(reply: Required<VoteReply>): Message {
  return {
    type: reply.preVote ? "preVoteResponse" : "voteResponse",
    from: reply.from,
    to: reply.to,
    term: Number(reply.term),
    granted: reply.granted,
  };
}

export function appendToWire(message: AppendMessage) {
  return {
    from: message.from,
    to: message.to,
    term: message.term,
    prevIndex: message.prevIndex,
    prevTerm: message.prevTerm,
    entries: message.entries,
    leaderCommit: message.leaderCommit,
    heartbeatRound: message.heartbeatRound,
  };
}

export function appendFromWire(request: ReplicateRequest__Output): AppendMessage {
  const entries: Entry[] = request.entries.map((entry) => {
    if (!entryTypes.includes(entry.type)) throw new MalformedPeerMessageError(`unknown entry type "${entry.type}"`);
    return { index: entry.index, term: entry.term, type: entry.type as EntryType, data: entry.data };
  });
  entries.forEach((entry, offset) => {
    if (entry.index !== request.prevIndex + 1 + offset) throw new MalformedPeerMessageError("entries are not contiguous");
  });
  return {
    type: "append",
    from: request.from,
    to: request.to,
    term: request.term,
    prevIndex: request.prevIndex,
    prevTerm: request.prevTerm,
    entries,
    leaderCommit: request.leaderCommit,
    heartbeatRound: request.heartbeatRound,
  };
}

export function appendReplyToWire(message: Message): ReplicateReply {
  if (message.type !== "appendResponse") throw new Error("not an append response");
  const { type: _type, ...fields } = message;
  return fields;
}

export function appendReplyFromWire(reply: Required<ReplicateReply>): AppendResponseMessage {
  return {
    type: "appendResponse",
    from: reply.from,
    to: reply.to,
    term: Number(reply.term),
    success: reply.success,
    matchIndex: Number(reply.matchIndex),
    rejectedIndex: Number(reply.rejectedIndex),
    conflictIndex: Number(reply.conflictIndex),
    conflictTerm: Number(reply.conflictTerm),
    heartbeatRound: Number(reply.heartbeatRound),
  };
}
