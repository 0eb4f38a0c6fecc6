/**
 * The replica-to-replica service (its peer key checked before any request
 * is read, by src/rpc/key-gate.ts): checks the cluster id, turns each
 * request into a Raft message for the node, and answers with the node's
 * response (produced only after the node persisted what it promises).
 */
import * as grpc from "@grpc/grpc-js";
import type { Message } from "../log/raft/types.ts";
import { refusedPeerCall, type PeerGate } from "./cluster-id.ts";
import type { PeerServiceHandlers } from "./generated/chat/PeerService.ts";
import type { ReplicateReply } from "./generated/chat/ReplicateReply.ts";
import type { ReplicateRequest__Output } from "./generated/chat/ReplicateRequest.ts";
import { appendFromWire, appendReplyToWire, MalformedPeerMessageError, timeoutNowFromWire, voteReplyToWire, voteRequestFromWire } from "./raft-wire.ts";
import type { Membership } from "../log/membership.ts";
import type { Logger } from "../logger.ts";
import { receiveSnapshots, type SnapshotInstaller } from "./snapshot-transfer.ts";
import { toServiceError } from "./status.ts";

/** What the peer service needs of the node. */
export interface PeerMessageHandler extends SnapshotInstaller {
  /** Steps a peer's request; resolves with the durable answer, or null when the node ignored it. */
  handlePeerMessage(message: Message): Promise<Message | null>;
  /** Adds a server as a learner; resolves with the membership once that is committed. */
  addLearner(id: number, address: string): Promise<Membership>;
  leaderInfo(): { leaderId: number; leaderAddress: string };
  /** Leader: where a committed config left this server out, or null if it is a member. */
  removedAt(id: number): number | null;
}

/** Trailing metadata of a refused vote request: the index of the config that removed the candidate. */
export const removedAtKey = "removed-at";

function serve<Request, Reply>(
  gate: PeerGate,
  toMessage: (request: Request) => Message,
  toReply: (message: Message) => Reply,
  node: PeerMessageHandler,
): grpc.handleUnaryCall<Request, Reply> {
  return (call, callback) => {
    if (refusedPeerCall(gate, call, callback)) return;
    let message: Message;
    try {
      message = toMessage(call.request);
    } catch (error) {
      if (!(error instanceof MalformedPeerMessageError)) throw error;
      callback({ code: grpc.status.INVALID_ARGUMENT, details: error.message });
      return;
    }
    if (refusedAsRemoved(node, message, callback)) return;
    // A failure to persist is thrown from the node's own loop and ends the process.
    void node.handlePeerMessage(message).then((answer) => {
      if (answer) callback(null, toReply(answer));
      else callback({ code: grpc.status.ABORTED, details: "request ignored by this replica" });
    });
  };
}

/**
 * ReplicateStream: the Appends of one leader on one stream, stepped in the
 * order they arrive; each durable answer goes back on the reply stream. A
 * malformed request ends the stream with INVALID_ARGUMENT (the leader opens
 * another); the stream ends when the leader half-closes and every answer
 * is out.
 */
function serveAppendStream(gate: PeerGate, node: PeerMessageHandler): grpc.handleBidiStreamingCall<ReplicateRequest__Output, ReplicateReply> {
  return (call) => {
    if (refusedPeerCall(gate, call, (error) => call.emit("error", error))) return;
    let unanswered = 0;
    let halfClosed = false;
    let ended = false;
    const endIfDone = () => {
      if (halfClosed && unanswered === 0 && !ended) {
        ended = true;
        call.end();
      }
    };
    call.on("data", (request: ReplicateRequest__Output) => {
      if (ended) return;
      let message: Message;
      try {
        message = appendFromWire(request);
      } catch (error) {
        if (!(error instanceof MalformedPeerMessageError)) throw error;
        ended = true;
        call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: error.message });
        return;
      }
      unanswered += 1;
      // A failure to persist is thrown from the node's own loop and ends the process.
      void node.handlePeerMessage(message).then((answer) => {
        unanswered -= 1;
        if (answer && !ended && !call.cancelled) call.write(appendReplyToWire(answer));
        endIfDone();
      });
    });
    call.on("end", () => {
      halfClosed = true;
      endIfDone();
    });
    call.on("cancelled", () => {
      ended = true;
    });
  };
}

/** A campaign by a server the leader's committed membership left out: tell it, so it stops. */
function refusedAsRemoved(node: PeerMessageHandler, message: Message, callback: (error: Partial<grpc.ServiceError>) => void): boolean {
  if (message.type !== "preVote" && message.type !== "vote") return false;
  const index = node.removedAt(message.from);
  if (index === null) return false;
  const trailer = new grpc.Metadata();
  trailer.set(removedAtKey, String(index));
  callback({ code: grpc.status.FAILED_PRECONDITION, details: `server ${message.from} was removed from the cluster at index ${index}`, metadata: trailer });
  return true;
}

export function peerHandlers(gate: PeerGate, node: PeerMessageHandler, logger: Logger): PeerServiceHandlers {
  const { identity } = gate;
  return {
    Election: serve(gate, voteRequestFromWire, voteReplyToWire, node),
    ReplicateOperation: serve(gate, appendFromWire, appendReplyToWire, node),
    ReplicateStream: serveAppendStream(gate, node),
    InstallSnapshot: receiveSnapshots(gate, node, logger),
    TimeoutNow: (call, callback) => {
      if (refusedPeerCall(gate, call, callback)) return;
      void node.handlePeerMessage(timeoutNowFromWire(call.request)).then(() => callback(null, {}));
    },
    JoinCluster: (call, callback) => {
      const { id, address } = call.request;
      if (!Number.isInteger(id) || id < 1 || !/^[^\s:]+:[0-9]{1,5}$/.test(address)) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: "a join needs a positive id and a host:port address" });
        return;
      }
      node.addLearner(id, address).then(
        (membership) => {
          const { leaderId, leaderAddress } = node.leaderInfo();
          callback(null, { leaderId, leaderAddress, voters: membership.voters, learners: membership.learners, clusterId: identity.clusterId });
        },
        (error) => callback(toServiceError(error)),
      );
    },
  };
}
