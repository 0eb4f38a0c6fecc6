// The client library's transport (src/client/transport.ts) over the
// simulated network, on simulated time. A call reaches the gRPC handlers of
// the replica's process (src/rpc/chat-server.ts: the server's own reading of
// metadata, replies, and mapping of errors to statuses), with the metadata
// the gRPC transport sends and the proto's encoding both ways
// (src/client/grpc-transport.ts). Only the wire is simulated:
// - each way takes a seeded 0 to `oneWayDelayMsMax`;
// - a replica that is down refuses the connection: UNAVAILABLE;
// - a paused one holds the request until it runs again (SIGSTOP keeps its
//   sockets open);
// - a process that crashes takes its unsent answers with it;
// - an attempt with no answer by its deadline fails with DEADLINE_EXCEEDED,
//   and the replica may still serve the request afterwards;
// - a stream breaks with UNAVAILABLE when its replica's process dies.

import type * as grpc from "@grpc/grpc-js";
import { EventEmitter } from "node:events";
import { requestMetadata, streamStartFrom, toClientError } from "../../../client/grpc-transport.ts";
import {
  type CallMetadata,
  type ChatMessage,
  ChatClientError,
  type ChatTransport,
  type Reply,
  type Request,
  type StreamCall,
  type StreamEvents,
  type StreamStart,
  type UnaryName,
} from "../../../client/transport.ts";
import type { ChatServiceHandlers } from "../../../rpc/generated/chat/ChatService.ts";
import type { SubscribeRequest__Output } from "../../../rpc/generated/chat/SubscribeRequest.ts";
import { chatProto } from "../../../rpc/proto.ts";
import { chatServiceDefinition } from "../../../rpc/chat-server.ts";
import type { SimRandom } from "../random.ts";
import type { SimClock } from "../clock.ts";

/** The replica processes clients talk to. */
export interface SimServers {
  /** The process serving at `address`, and whether it runs now (a paused one does not); null when none is up there. */
  at(address: string): { handlers: ChatServiceHandlers; running: boolean } | null;
}

/** One way across the simulated network takes from 0 to this long, drawn per message. */
const oneWayDelayMsMax = 20;

const methods = chatProto.chat.ChatService.service;
/** The server decodes as a replica's server does: through the size and UTF-8 checks (src/rpc/checked-requests.ts). */
const serverMethods = chatServiceDefinition;

type Connection = { kind: "up"; handlers: ChatServiceHandlers } | { kind: "refused" } | { kind: "lost" };
type UnaryHandler = grpc.handleUnaryCall<unknown, unknown>;

export class SimChatTransport implements ChatTransport {
  /** Write attempts (calls with a client id and seq) that got no answer by their deadline: the replica may have applied them. */
  unansweredWrites = 0;
  /** Runs as a stream's response headers arrive, with the after_id it asked for (the history records both). */
  onStreamStart: (afterId: number, start: StreamStart) => void = () => {};

  /** This client's address as a replica sees it ("host:port"), for the per-address limits. */
  private readonly peer: string;

  constructor(
    private readonly servers: SimServers,
    private readonly clock: SimClock,
    private readonly random: SimRandom,
  ) {
    this.peer = `10.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}:${random.int(1024, 65535)}`;
  }

  call<Name extends UnaryName>(address: string, method: Name, request: Request<Name>, metadata: CallMetadata, deadlineMs: number): Promise<Reply<Name>> {
    const answer = Promise.withResolvers<Reply<Name>>();
    let answered = false;
    const settle = (settleWith: () => void) => {
      if (answered) return;
      answered = true;
      settleWith();
    };
    void this.clock.sleep(deadlineMs).then(() =>
      settle(() => {
        if (metadata.write) this.unansweredWrites += 1;
        answer.reject(new ChatClientError("DEADLINE_EXCEEDED", `no answer from ${address} within ${deadlineMs} ms`));
      }),
    );
    void this.connect(address).then((connection) => {
      if (connection.kind === "refused") return settle(() => answer.reject(refused(address)));
      if (connection.kind === "lost") return; // the deadline speaks
      const definition = methods[method]!;
      const call = {
        metadata: requestMetadata(metadata),
        getPeer: () => this.peer,
        request: overTheWire(definition.requestSerialize, serverMethods[method]!.requestDeserialize, request),
      };
      const handle = (connection.handlers as unknown as Record<UnaryName, UnaryHandler>)[method]!;
      handle(call as grpc.ServerUnaryCall<unknown, unknown>, (error, reply) => {
        if (this.servers.at(address)?.handlers !== connection.handlers) return; // the process died before it answered
        const deliver = error
          ? () => answer.reject(toClientError(error))
          : () => answer.resolve(overTheWire(definition.responseSerialize, definition.responseDeserialize, reply) as Reply<Name>);
        void this.travel().then(() => settle(deliver));
      });
    });
    return answer.promise;
  }

  subscribe(address: string, afterId: number, metadata: CallMetadata, events: StreamEvents): StreamCall {
    let open = true;
    let server: SimServerStream | null = null;
    let stopWatching = () => {};
    const end = (error?: ChatClientError) => {
      if (!open) return;
      open = false;
      stopWatching();
      events.end(error);
    };
    void this.connect(address).then((connection) => {
      if (!open) return;
      if (connection.kind === "refused") return end(refused(address));
      if (connection.kind === "lost") return end(lost(address));
      const { handlers } = connection;
      // The connection dies with the process (a reset, or keepalive noticing a power cut).
      stopWatching = this.clock.every(0, () => {
        if (this.servers.at(address)?.handlers !== handlers) end(lost(address));
      });
      const request = overTheWire(methods.Subscribe.requestSerialize, serverMethods.Subscribe!.requestDeserialize, { afterId });
      server = new SimServerStream(requestMetadata(metadata), request, this.peer, {
        start: (start) => {
          if (!open) return;
          this.onStreamStart(afterId, start);
          events.start(start);
        },
        message: (message) => {
          if (open) events.message(message);
        },
        end,
      });
      handlers.Subscribe(server as unknown as grpc.ServerWritableStream<SubscribeRequest__Output, ChatMessage>);
    });
    return {
      cancel: () => {
        if (!open) return;
        open = false;
        stopWatching();
        server?.cancelledByClient();
      },
    };
  }

  close(): void {}

  /**
   * Reaches the process at `address` after the trip there. A paused process
   * holds the request until it runs again; one that dies meanwhile never
   * sees it.
   */
  private async connect(address: string): Promise<Connection> {
    await this.travel();
    const handlers = this.servers.at(address)?.handlers;
    if (!handlers) return { kind: "refused" };
    for (;;) {
      const process = this.servers.at(address);
      if (process?.handlers !== handlers) return { kind: "lost" };
      if (process.running) return { kind: "up", handlers };
      await this.clock.sleep(0);
    }
  }

  private travel(): Promise<void> {
    return this.clock.sleep(this.random.int(0, oneWayDelayMsMax));
  }
}

/**
 * What chatHandlers' Subscribe uses of a grpc-js server stream: metadata
 * and request in, headers, messages and the end out (an error is emitted,
 * as grpc-js sends a status), and the events that release the stream. Each
 * reaches the client in the turn it is sent, so in order.
 */
class SimServerStream extends EventEmitter {
  cancelled = false;

  getPeer(): string {
    return this.peer;
  }

  constructor(
    readonly metadata: grpc.Metadata,
    readonly request: SubscribeRequest__Output,
    private readonly peer: string,
    private readonly client: StreamEvents,
  ) {
    super();
    this.on("error", (status: grpc.StatusObject) => {
      client.end(toClientError(status));
      this.emit("close");
    });
  }

  sendMetadata(headers: grpc.Metadata): void {
    this.client.start(streamStartFrom(headers));
  }

  write(message: ChatMessage): boolean {
    this.client.message(overTheWire(methods.Subscribe.responseSerialize, methods.Subscribe.responseDeserialize, message));
    return true;
  }

  end(): void {
    this.client.end();
    this.emit("finish");
  }

  cancelledByClient(): void {
    this.cancelled = true;
    this.emit("cancelled");
  }
}

/** A value as the other end decodes it: through the proto's encoding, as over gRPC. */
function overTheWire<In, Out>(serialize: (value: In) => Buffer, deserialize: (bytes: Buffer) => Out, value: unknown): Out {
  return deserialize(serialize(value as In));
}

function refused(address: string): ChatClientError {
  return new ChatClientError("UNAVAILABLE", `connection to ${address} refused: no replica is up there`);
}

function lost(address: string): ChatClientError {
  return new ChatClientError("UNAVAILABLE", `connection to ${address} lost: its process died`);
}
