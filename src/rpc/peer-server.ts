/**
 * The replica-to-replica service: checks the cluster secret, turns each
 * request into a Raft message for the node, and answers with the node's
 * response (produced only after the node persisted what it promises).
 */
import * as grpc from "@grpc/grpc-js";
import type { Message } from "../log/raft/types.ts";
import { refusedWithoutSecret } from "./cluster-secret.ts";
import type { PeerServiceHandlers } from "./generated/chat/PeerService.ts";
import {
  appendFromWire,
  appendReplyToWire,
  MalformedPeerMessageError,
  timeoutNowFromWire,
  voteReplyToWire,
  voteRequestFromWire,
} from "./raft-wire.ts";
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
}

function serve<Request, Reply>(
  secret: string,
  toMessage: (request: Request) => Message,
  toReply: (message: Message) => Reply,
  node: PeerMessageHandler,
): grpc.handleUnaryCall<Request, Reply> {
  return (call, callback) => {
    if (refusedWithoutSecret(secret, call, callback)) return;
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

export function peerHandlers(secret: string, node: PeerMessageHandler, logger: Logger): PeerServiceHandlers {
  return {
    Election: serve(secret, voteRequestFromWire, voteReplyToWire, node),
    ReplicateOperation: serve(secret, appendFromWire, appendReplyToWire, node),
    InstallSnapshot: receiveSnapshots(secret, node, logger),
    TimeoutNow: (call, callback) => {
      if (refusedWithoutSecret(secret, call, callback)) return;
      void node.handlePeerMessage(timeoutNowFromWire(call.request)).then(() => callback(null, {}));
    },
    JoinCluster: (call, callback) => {
      if (refusedWithoutSecret(secret, call, callback, "joins")) return;
      const { id, address } = call.request;
      if (!Number.isInteger(id) || id < 1 || !/^[^\s:]+:[0-9]{1,5}$/.test(address)) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: "a join needs a positive id and a host:port address" });
        return;
      }
      node.addLearner(id, address).then(
        (membership) => {
          const { leaderId, leaderAddress } = node.leaderInfo();
          callback(null, { leaderId, leaderAddress, voters: membership.voters, learners: membership.learners });
        },
        (error) => callback(toServiceError(error)),
      );
    },
  };
}
