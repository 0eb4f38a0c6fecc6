/**
 * The client library: promise-based calls, the session token and the
 * (client id, seq) of every write sent as metadata, and a write retried
 * with the same seq when the replica says another one leads, so it is
 * applied exactly once.
 */
import * as grpc from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { authorizationKey, clientIdKey, clientSeqKey } from "../rpc/chat-server.ts";
import type { ChatMessage__Output } from "../rpc/generated/chat/ChatMessage.ts";
import type { MethodDefinition } from "@grpc/proto-loader";
import type { ChatServiceClient, ChatServiceDefinition } from "../rpc/generated/chat/ChatService.ts";
import { channelOptions, chatProto } from "../rpc/proto.ts";
import { leaderAddressKey } from "../rpc/status.ts";

/** Redirects to another replica one write may follow before giving up. */
export const leaderRedirectsMax = 5;
export const callDeadlineMsDefault = 5000;

export type ChatMessage = ChatMessage__Output;

/** A failed call: `code` is the gRPC status name (NOT_FOUND, ...). */
export class ChatClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly leaderAddress?: string,
  ) {
    super(message);
    this.name = "ChatClientError";
  }
}

export interface ChatClientOptions {
  address: string;
  clientId?: string;
  deadlineMs?: number;
}

type UnaryName = Exclude<keyof ChatServiceDefinition, "Subscribe">;
/** The decoded reply type of a unary method. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reply<Name extends UnaryName> = ChatServiceDefinition[Name] extends MethodDefinition<any, any, any, infer Output>
  ? Output
  : never;
type UnaryMethod = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<unknown>,
) => grpc.ClientUnaryCall;

export interface Subscription {
  cancel(): void;
}

export class ChatClient {
  readonly clientId: string;
  token: string | null = null;
  username: string | null = null;
  private seq = 0;
  private address: string;
  private stub: ChatServiceClient;
  private readonly deadlineMs: number;

  constructor(options: ChatClientOptions) {
    this.clientId = options.clientId ?? randomBytes(16).toString("base64url");
    this.deadlineMs = options.deadlineMs ?? callDeadlineMsDefault;
    this.address = options.address;
    this.stub = connect(this.address);
  }

  /** The replica this client currently talks to. */
  get currentAddress(): string {
    return this.address;
  }

  async createAccount(username: string, password: string) {
    return this.write<Reply<"CreateAccount">>("CreateAccount", { username, password });
  }

  async login(username: string, password: string) {
    const reply = await this.write<Reply<"Login">>("Login", { username, password });
    this.token = reply.token;
    this.username = reply.username;
    return reply;
  }

  async logout() {
    await this.write<Reply<"Logout">>("Logout", {});
    this.token = null;
    this.username = null;
  }

  async listAccounts(pattern = "", pageSize = 0, pageToken = "") {
    return this.read<Reply<"ListAccounts">>("ListAccounts", { pattern, pageSize, pageToken });
  }

  async sendMessage(recipient: string, text: string) {
    return this.write<Reply<"SendMessage">>("SendMessage", { recipient, text });
  }

  async readNewMessages(count = 0) {
    return this.write<Reply<"ReadNewMessages">>("ReadNewMessages", { count });
  }

  async markRead(ids: number[]) {
    return this.write<Reply<"MarkRead">>("MarkRead", { ids });
  }

  async listMessages(pageSize = 0, beforeId = 0) {
    return this.read<Reply<"ListMessages">>("ListMessages", { pageSize, beforeId });
  }

  async deleteMessages(ids: number[]) {
    return this.write<Reply<"DeleteMessages">>("DeleteMessages", { ids });
  }

  async deleteAccount(password: string) {
    await this.write<Reply<"DeleteAccount">>("DeleteAccount", { password });
    this.token = null;
    this.username = null;
  }

  async getLeaderInfo() {
    return this.read<Reply<"GetLeaderInfo">>("GetLeaderInfo", {});
  }

  /**
   * Streams the caller's new messages. `onOpen` runs once the replica has
   * registered the stream (from then on nothing is missed); `onEnd` runs
   * once, with the error that ended the stream, if any.
   */
  subscribe(
    afterId: number,
    onMessage: (message: ChatMessage) => void,
    onEnd: (error?: ChatClientError) => void,
    onOpen: () => void = () => {},
  ): Subscription {
    const call = this.stub.Subscribe({ afterId }, this.metadata());
    let finished = false;
    const finish = (error?: ChatClientError) => {
      if (finished) return;
      finished = true;
      onEnd(error);
    };
    call.on("metadata", () => onOpen());
    call.on("data", onMessage);
    call.on("error", (error: grpc.ServiceError) => finish(toClientError(error)));
    call.on("end", () => finish());
    return {
      cancel: () => {
        finished = true;
        call.cancel();
      },
    };
  }

  close(): void {
    this.stub.close();
  }

  private metadata(seq?: number): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (this.token) metadata.set(authorizationKey, `Bearer ${this.token}`);
    if (seq !== undefined) {
      metadata.set(clientIdKey, this.clientId);
      metadata.set(clientSeqKey, String(seq));
    }
    return metadata;
  }

  private read<Result>(name: UnaryName, request: object): Promise<Result> {
    return this.call<Result>(name, request, this.metadata());
  }

  /** A write keeps its seq across redirects, so the log applies it once. */
  private async write<Result>(name: UnaryName, request: object): Promise<Result> {
    const seq = ++this.seq;
    for (let redirect = 0; ; redirect++) {
      try {
        return await this.call<Result>(name, request, this.metadata(seq));
      } catch (error) {
        const leader = error instanceof ChatClientError ? error.leaderAddress : undefined;
        if (!leader || leader === this.address || redirect >= leaderRedirectsMax) throw error;
        this.switchTo(leader);
      }
    }
  }

  private switchTo(address: string): void {
    this.stub.close();
    this.address = address;
    this.stub = connect(address);
  }

  private call<Result>(name: UnaryName, request: object, metadata: grpc.Metadata): Promise<Result> {
    const method = (this.stub as unknown as Record<UnaryName, UnaryMethod>)[name];
    return new Promise<Result>((resolve, reject) => {
      const deadline = new Date(Date.now() + this.deadlineMs);
      method.call(this.stub, request, metadata, { deadline }, (error, reply) =>
        error ? reject(toClientError(error as grpc.ServiceError)) : resolve(reply as Result),
      );
    });
  }
}

function connect(address: string): ChatServiceClient {
  return new chatProto.chat.ChatService(address, grpc.credentials.createInsecure(), channelOptions);
}

function toClientError(error: grpc.ServiceError): ChatClientError {
  const leader = error.metadata?.get(leaderAddressKey)[0];
  return new ChatClientError(grpc.status[error.code] ?? String(error.code), error.details || error.message, leader ? String(leader) : undefined);
}
