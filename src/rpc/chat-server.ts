/**
 * The client-facing gRPC service: reads identity and request ids from
 * metadata, calls the chat service, maps results to replies and failures to
 * statuses. No chat rule lives here.
 */
import * as grpc from "@grpc/grpc-js";
import type { ServiceDefinition } from "@grpc/proto-loader";
import { clientRequestBytesMax, subscribersMax } from "../limits.ts";
import type { LeaderInfo } from "../log/replica-node.ts";
import { stageTimings } from "../log/stage-timings.ts";
import { ChatError } from "../projections/operations.ts";
import type { MessageRow } from "../projections/queries.ts";
import type { Caller, ChatService } from "../service/chat-service.ts";
import type { StreamStart } from "../service/subscription.ts";
import { validateClientRequestId, validateMessageId } from "../service/validate.ts";
import type { ChatMessage } from "./generated/chat/ChatMessage.ts";
import type { ChatServiceHandlers } from "./generated/chat/ChatService.ts";
import { packageDefinition } from "./proto.ts";
import { toServiceError } from "./status.ts";
import { checkRequest, checkedRequests } from "./checked-requests.ts";

export const authorizationKey = "authorization";
export const clientIdKey = "client-id";
export const clientSeqKey = "client-seq";
/** Subscribe's response headers: where the stream starts (see StreamStart in src/service/subscription.ts). */
export const streamPositionKey = "stream-position";
export const streamCatchUpCountKey = "stream-catch-up-count";

/** The client API as the server registers it: each request's size and text fields checked before decoding (src/rpc/checked-requests.ts). */
export const chatServiceDefinition = checkedRequests(packageDefinition["chat.ChatService"] as ServiceDefinition, clientRequestBytesMax);

/** What the server needs besides the chat service: the node's view of the cluster. */
export interface ClusterView {
  leaderInfo(): LeaderInfo;
}

function metadataText(metadata: grpc.Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return value === undefined ? undefined : String(value);
}

function callerFrom(call: { metadata: grpc.Metadata; getPeer(): string }): Caller {
  const { metadata } = call;
  const authorization = metadataText(metadata, authorizationKey);
  const token = authorization?.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : undefined;
  const request = validateClientRequestId(metadataText(metadata, clientIdKey), metadataText(metadata, clientSeqKey));
  return { token, request, peer: peerHost(call.getPeer()) };
}

/**
 * The client's host, for per-address limits: grpc-js names the peer
 * "host:port" (IPv6 hosts unbracketed, "::1:5000"), or "unknown" once the
 * socket is gone. The port is dropped: a client opens a new one per connection.
 */
export function peerHost(peer: string): string {
  const portAt = peer.lastIndexOf(":");
  return portAt > 0 && /^[0-9]+$/.test(peer.slice(portAt + 1)) ? peer.slice(0, portAt) : peer;
}

function toWire(message: MessageRow): ChatMessage {
  return {
    id: message.id,
    sender: message.sender,
    recipient: message.recipient,
    text: message.text,
    sentAtMs: message.sentAtMs,
    read: message.read,
  };
}

/** Adapts `(request, caller) => Promise<reply>` to a grpc-js unary handler. */
function unary<Request, Reply>(handle: (request: Request, caller: Caller) => Promise<Reply>): grpc.handleUnaryCall<Request, Reply> {
  return (call, callback) => {
    stageTimings.begin();
    let caller: Caller;
    try {
      checkRequest(call.request as object);
      caller = callerFrom(call);
    } catch (error) {
      callback(toServiceError(error));
      return;
    }
    handle(call.request, caller).then(
      (reply) => {
        callback(null, reply);
        stageTimings.end("answer");
      },
      (error) => callback(toServiceError(error)),
    );
  };
}

export function chatHandlers(service: ChatService, cluster: ClusterView): ChatServiceHandlers {
  let subscriberCount = 0;
  return {
    CreateAccount: unary((request, caller) => service.createAccount(caller, request.username, request.password)),
    Login: unary((request, caller) => service.login(caller, request.username, request.password, request.sessionSecret)),
    Logout: unary(async (_request, caller) => {
      await service.logout(caller);
      return {};
    }),
    ListAccounts: unary((request, caller) => service.listAccounts(caller, request.pattern, request.pageSize, request.pageToken)),
    SendMessage: unary((request, caller) => service.sendMessage(caller, request.recipient, request.text)),
    ReadNewMessages: unary(async (request, caller) => {
      const { messages, unreadRemaining } = await service.readNewMessages(caller, request.count);
      return { messages: messages.map(toWire), unreadRemaining };
    }),
    MarkRead: unary((request, caller) => service.markRead(caller, request.ids)),
    ListMessages: unary(async (request, caller) => {
      const { messages, nextBeforeId } = await service.listMessages(caller, request.pageSize, request.beforeId);
      return { messages: messages.map(toWire), nextBeforeId };
    }),
    DeleteMessages: unary((request, caller) => service.deleteMessages(caller, request.ids)),
    DeleteAccount: unary(async (request, caller) => {
      await service.deleteAccount(caller, request.password);
      return {};
    }),
    GetLeaderInfo: unary(async () => leaderInfoReply(cluster.leaderInfo())),
    Subscribe: async (call) => {
      try {
        checkRequest(call.request);
        const caller = callerFrom(call);
        const afterId = validateMessageId(call.request.afterId, "after_id");
        const stream = await service.subscribe(
          caller,
          afterId,
          {
            // Headers tell the client the stream is registered and where it starts: nothing after them is missed.
            open: (start) => call.sendMetadata(streamStartMetadata(start)),
            write: (message) => call.write(toWire(message)),
            end: (error) => (error ? call.emit("error", toServiceError(error)) : call.end()),
          },
          {
            cancelled: () => call.cancelled,
            admit: () => {
              if (subscriberCount >= subscribersMax) {
                throw new ChatError("RESOURCE_EXHAUSTED", `this replica serves at most ${subscribersMax} subscriptions`);
              }
              subscriberCount += 1;
            },
          },
        );
        if (!stream) return;
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          subscriberCount -= 1;
          stream.release();
        };
        call.on("drain", () => stream.drained());
        for (const event of ["cancelled", "close", "finish"]) call.on(event, release);
      } catch (error) {
        call.emit("error", toServiceError(error));
      }
    },
  };
}

function streamStartMetadata(start: StreamStart): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(streamPositionKey, String(start.position));
  metadata.set(streamCatchUpCountKey, String(start.catchUpCount));
  return metadata;
}

function leaderInfoReply(info: LeaderInfo) {
  return {
    leaderId: info.leaderId,
    leaderAddress: info.leaderAddress,
    replicas: info.replicas,
    term: info.term,
    replyingId: info.selfId,
  };
}
