/**
 * The replica-to-replica service: checks the cluster secret, turns each
 * request into a Raft message for the node, and answers with the node's
 * response (produced only after the node persisted what it promises).
 */
import * as grpc from "@grpc/grpc-js";
import type { Message } from "../log/raft/types.ts";
import { presentedSecret, secretMatches } from "./cluster-secret.ts";
import type { PeerServiceHandlers } from "./generated/chat/PeerService.ts";
import {
  appendFromWire,
  appendReplyToWire,
  MalformedPeerMessageError,
  voteReplyToWire,
  voteRequestFromWire,
} from "./raft-wire.ts";

/** What the peer service needs of the node. */
export interface PeerMessageHandler {
  /** Steps a peer's request; resolves with the durable answer, or null when the node ignored it. */
  handlePeerMessage(message: Message): Promise<Message | null>;
}

function serve<Request, Reply>(
  secret: string,
  toMessage: (request: Request) => Message,
  toReply: (message: Message) => Reply,
  node: PeerMessageHandler,
): grpc.handleUnaryCall<Request, Reply> {
  return (call, callback) => {
    if (!secretMatches(secret, presentedSecret(call.metadata))) {
      callback({ code: grpc.status.UNAUTHENTICATED, details: "peer calls need the cluster secret" });
      return;
    }
    let message: Message;
    try {
      message = toMessage(call.request);
    } catch (error) {
      if (!(error instanceof MalformedPeerMessageError)) throw error;
      callback({ code: grpc.status.INVALID_ARGUMENT, details: error.message });
      return;
    }
    // A failure to persist is thrown from the node's own loop and ends the process.
    void node.handlePeerMessage(message).then((answer) => {
      if (answer) callback(null, toReply(answer));
      else callback({ code: grpc.status.ABORTED, details: "request ignored by this replica" });
    });
  };
}

export function peerHandlers(secret: string, node: PeerMessageHandler): PeerServiceHandlers {
  return {
    Election: serve(secret, voteRequestFromWire, voteReplyToWire, node),
    ReplicateOperation: serve(secret, appendFromWire, appendReplyToWire, node),
  };
}
