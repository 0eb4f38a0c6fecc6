/**
 * The client library: promise-based calls, the session token and the
 * (client id, seq) of every write sent as metadata. It finds the leader by
 * itself and follows it through failovers: a write is retried with the same
 * seq until it gets an answer (so the log applies it exactly once), a read
 * is retried, and a followed subscription resumes on the new leader from
 * the last message id it delivered (or the position its first stream
 * reported), for as long as the cluster takes to come back.
 */
import * as grpc from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { authorizationKey, clientIdKey, clientSeqKey, streamCatchUpCountKey, streamPositionKey } from "../rpc/chat-server.ts";
import type { ChatMessage__Output } from "../rpc/generated/chat/ChatMessage.ts";
import type { MethodDefinition } from "@grpc/proto-loader";
import type { ChatServiceDefinition } from "../rpc/generated/chat/ChatService.ts";
import { leaderAddressKey } from "../rpc/status.ts";
import type { StreamStart } from "../service/subscription.ts";
import { newSessionSecret } from "../service/tokens.ts";
import { ReplicaDirectory } from "./replica-directory.ts";

/** Deadline of one attempt of a call; a hung (stopped) replica is given up on after this. */
export const attemptDeadlineMsDefault = 2000;
/** How long a call keeps retrying through a failover before it reports failure. */
export const failoverDeadlineMsDefault = 15_000;
/** Pause between attempts while no leader is known: doubles from the first to the last. */
const retryPauseFirstMs = 10;
const retryPauseMaxMs = 50;
/** Statuses after which the same request may be sent again, to the same or another replica. */
const retryableCodes = new Set(["UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED"]);
/**
 * follow() never gives up on a cluster that may come back: it pauses
 * between attempts, from the first pause doubling up to the last, so a
 * failover is followed within tens of milliseconds and a long outage costs
 * one round of GetLeaderInfo every couple of seconds.
 */
export const followRetryPauseFirstMs = 50;
export const followRetryPauseMaxMs = 2000;
/** Stream errors that another attempt cannot fix: the session ended, or the request itself is wrong. */
const streamEndingCodes = new Set(["UNAUTHENTICATED", "INVALID_ARGUMENT"]);

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
  /** One replica; or give `addresses`. */
  address?: string;
  /** Replicas to try (config_client.json); the leader and the rest are discovered from them. */
  addresses?: string[];
  clientId?: string;
  attemptDeadlineMs?: number;
  failoverDeadlineMs?: number;
  /** Checks this often that the replica in use still leads (0 = only when a call fails). */
  heartbeatMs?: number;
  /** Runs when the client turns to another replica (a new leader). */
  onReplicaChange?: (address: string) => void;
}

type UnaryName = Exclude<keyof ChatServiceDefinition, "Subscribe">;
/** The decoded reply type of a unary method. */
// biome-ignore lint/suspicious/noExplicitAny: matching any request and serialized types, to infer the output
type Reply<Name extends UnaryName> = ChatServiceDefinition[Name] extends MethodDefinition<any, any, any, infer Output> ? Output : never;
type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<unknown>) => grpc.ClientUnaryCall;

export interface Subscription {
  cancel(): void;
}

export type { StreamStart };

/** A follow() stream that works again after an interruption. */
export interface Resumption {
  /** Messages that arrived while no stream was open; they are delivered first. */
  missedCount: number;
  downMs: number;
  /** Attempts to reopen the stream, the one that worked included. */
  attempts: number;
}

export interface FollowHandlers {
  onMessage(message: ChatMessage): void;
  /** A stream is registered (first or again): from now on nothing is missed. */
  onOpen?(): void;
  /** The stream broke; follow() keeps trying. Runs once per interruption. */
  onInterrupted?(error?: ChatClientError): void;
  /** A stream works again after an interruption; runs once per interruption, before its missed messages. */
  onResumed?(resumption: Resumption): void;
  /** The only end: retrying cannot help (the session ended). */
  onEnd?(error: ChatClientError): void;
}

export class ChatClient {
  readonly clientId: string;
  token: string | null = null;
  username: string | null = null;
  private seq = 0;
  private readonly directory: ReplicaDirectory;
  private readonly attemptDeadlineMs: number;
  private readonly failoverDeadlineMs: number;
  private readonly heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(options: ChatClientOptions) {
    this.clientId = options.clientId ?? randomBytes(16).toString("base64url");
    this.attemptDeadlineMs = options.attemptDeadlineMs ?? attemptDeadlineMsDefault;
    this.failoverDeadlineMs = options.failoverDeadlineMs ?? failoverDeadlineMsDefault;
    this.directory = new ReplicaDirectory(options.addresses ?? (options.address ? [options.address] : []));
    if (options.onReplicaChange) this.directory.onChange = options.onReplicaChange;
    if (options.heartbeatMs) {
      // A dead leader is noticed even while the user is idle; unref: it never keeps a process alive.
      this.heartbeat = setInterval(() => void this.directory.checkLeader(), options.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  /** The replica this client currently talks to. */
  get currentAddress(): string {
    return this.directory.currentAddress;
  }

  async createAccount(username: string, password: string) {
    return this.write<Reply<"CreateAccount">>("CreateAccount", { username, password });
  }

  async login(username: string, password: string) {
    // One secret per login, resent unchanged by every retry of it (src/service/tokens.ts).
    const reply = await this.write<Reply<"Login">>("Login", { username, password, sessionSecret: newSessionSecret() });
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
   * Streams the caller's new messages from the current replica. `onOpen`
   * runs once the replica has registered the stream, with where it starts
   * (from then on nothing is missed); `onEnd` runs once, with the error that
   * ended the stream, if any. After an UNAVAILABLE end the client has
   * already turned to the leader, so subscribing again from the last id
   * seen, or from the stream's position if none was seen, resumes there.
   */
  subscribe(
    afterId: number,
    onMessage: (message: ChatMessage) => void,
    onEnd: (error?: ChatClientError) => void,
    onOpen: (start: StreamStart) => void = () => {},
  ): Subscription {
    const call = this.directory.stub().Subscribe({ afterId }, this.metadata());
    let finished = false;
    const finish = (error?: ChatClientError) => {
      if (finished) return;
      finished = true;
      if (error?.leaderAddress) this.directory.useLeader(error.leaderAddress);
      else if (error && retryableCodes.has(error.code)) void this.directory.discoverLeader();
      onEnd(error);
    };
    call.on("metadata", (metadata: grpc.Metadata) => onOpen(streamStartFrom(metadata)));
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

  /**
   * A subscription that survives failovers and outages: when the stream
   * breaks it finds the leader and resumes from the last id delivered, or,
   * before any message, from the position the first stream reported, so
   * that no message is missed or repeated from the first stream on.
   * `afterId` 0 means from the first stream's registration on. It keeps
   * trying, with a pause that grows to `followRetryPauseMaxMs`, for as long
   * as it takes; it ends, through `onEnd`, only when retrying cannot help
   * (the session ended).
   */
  follow(afterId: number, handlers: FollowHandlers): Subscription {
    let lastId = afterId;
    let current: Subscription | null = null;
    let cancelled = false;
    let reopenAttempts = 0;
    /** When the stream last broke, while no stream has worked since. */
    let brokenSince: number | null = null;
    const opened = (start: StreamStart) => {
      if (lastId === 0) lastId = start.position;
      if (brokenSince !== null) {
        handlers.onResumed?.({ missedCount: start.catchUpCount, downMs: Date.now() - brokenSince, attempts: reopenAttempts });
      }
      brokenSince = null;
      reopenAttempts = 0;
      handlers.onOpen?.();
    };
    const open = () => {
      if (cancelled) return;
      current = this.subscribe(
        lastId,
        (message) => {
          lastId = Math.max(lastId, message.id);
          handlers.onMessage(message);
        },
        (error) => void reopen(error),
        opened,
      );
    };
    const reopen = async (error: ChatClientError | undefined) => {
      if (cancelled) return;
      if (error && streamEndingCodes.has(error.code)) return handlers.onEnd?.(error);
      if (brokenSince === null) {
        brokenSince = Date.now();
        handlers.onInterrupted?.(error);
      }
      await Bun.sleep(followRetryPause(reopenAttempts));
      reopenAttempts += 1;
      if (!error?.leaderAddress) await this.directory.discoverLeader();
      open();
    };
    open();
    return {
      cancel: () => {
        cancelled = true;
        current?.cancel();
      },
    };
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.directory.close();
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
    return this.withFailover<Result>(name, request);
  }

  /** A write keeps its seq across every retry, so the log applies it once. */
  private write<Result>(name: UnaryName, request: object): Promise<Result> {
    return this.withFailover<Result>(name, request, ++this.seq);
  }

  /**
   * Sends the call to the current replica; on a redirect goes to the named
   * leader at once, on a lost or failed replica looks for the leader and
   * tries again, until `failoverDeadlineMs` has passed. A write that still
   * has no answer then has an unknown outcome, and says so.
   */
  private async withFailover<Result>(name: UnaryName, request: object, seq?: number): Promise<Result> {
    const giveUpAt = Date.now() + this.failoverDeadlineMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.call<Result>(name, request, this.metadata(seq));
      } catch (error) {
        if (!(error instanceof ChatClientError) || !retryableCodes.has(error.code)) throw error;
        if (Date.now() >= giveUpAt) throw unknownOutcome(error, seq !== undefined);
        if (error.leaderAddress && error.leaderAddress !== this.currentAddress) {
          // Follow a redirect at once the first time; replicas with stale views could bounce us, so pause after.
          if (attempt > 0) await Bun.sleep(retryPause(attempt));
          this.directory.useLeader(error.leaderAddress);
          continue;
        }
        await Bun.sleep(retryPause(attempt));
        await this.directory.discoverLeader();
      }
    }
  }

  private call<Result>(name: UnaryName, request: object, metadata: grpc.Metadata): Promise<Result> {
    const stub = this.directory.stub();
    const method = (stub as unknown as Record<UnaryName, UnaryMethod>)[name]!;
    return new Promise<Result>((resolve, reject) => {
      const deadline = new Date(Date.now() + this.attemptDeadlineMs);
      method.call(stub, request, metadata, { deadline }, (error, reply) =>
        error ? reject(toClientError(error as grpc.ServiceError)) : resolve(reply as Result),
      );
    });
  }
}

function retryPause(attempt: number): number {
  return Math.min(retryPauseMaxMs, retryPauseFirstMs * 2 ** attempt);
}

function followRetryPause(attemptsSoFar: number): number {
  return Math.min(followRetryPauseMaxMs, followRetryPauseFirstMs * 2 ** attemptsSoFar);
}

function streamStartFrom(metadata: grpc.Metadata): StreamStart {
  return {
    position: Number(metadata.get(streamPositionKey)[0] ?? 0),
    catchUpCount: Number(metadata.get(streamCatchUpCountKey)[0] ?? 0),
  };
}

function unknownOutcome(error: ChatClientError, isWrite: boolean): ChatClientError {
  const what = isWrite ? "the write may or may not have been applied; retrying it is safe" : "no answer";
  return new ChatClientError(error.code, `${error.message} (gave up after failover attempts: ${what})`);
}

function toClientError(error: grpc.ServiceError): ChatClientError {
  const leader = error.metadata?.get(leaderAddressKey)[0];
  const details = (error.details || error.message).replace(/\s*Resolution note:\s*$/, "");
  return new ChatClientError(grpc.status[error.code] ?? String(error.code), details, leader ? String(leader) : undefined);
}
