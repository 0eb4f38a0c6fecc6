/**
 * The client library: promise-based calls, the session token and the
 * (client id, seq) of every write sent as metadata. It finds the leader by
 * itself and follows it through failovers: a write is retried with the same
 * seq until it gets an answer (so the log applies it exactly once), a read
 * is retried, and a followed subscription resumes on the new leader from
 * the last message id it delivered (or the position its first stream
 * reported), for as long as the cluster takes to come back. It reaches the
 * replicas through a ChatTransport and keeps time by a ClientClock
 * (transport.ts): gRPC and the process's clock unless told otherwise, the
 * simulated network and clock in the whole-replica simulation.
 */
import { randomBytes } from "node:crypto";
import { processClock } from "../log/driver-clock.ts";
import { newSessionSecret } from "../service/tokens.ts";
import type { TlsMaterial } from "../rpc/tls.ts";
import { GrpcChatTransport } from "./grpc-transport.ts";
import { ReplicaDirectory } from "./replica-directory.ts";
import {
  type CallMetadata,
  ChatClientError,
  type ChatMessage,
  type ChatTransport,
  type ClientClock,
  type Reply,
  type Request,
  type StreamStart,
  type UnaryName,
} from "./transport.ts";

/** Deadline of one attempt of a call; a hung (stopped) replica is given up on after this. */
export const attemptDeadlineMsDefault = 2000;
/**
 * A call without an answer after this looks for the leader again, and again
 * each time this passes; a leader found elsewhere gets the same call too (a
 * write with the same seq, so it lands once), and the first answer wins. A
 * frozen leader used to hold a call for its whole attempt deadline.
 */
export const hedgeAfterMsDefault = 150;
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

export { ChatClientError };
export type { ChatMessage, StreamStart };

export interface ChatClientOptions {
  /** One replica; or give `addresses`. */
  address?: string;
  /** Replicas to try (config_client.json); the leader and the rest are discovered from them. */
  addresses?: string[];
  clientId?: string;
  attemptDeadlineMs?: number;
  /** See hedgeAfterMsDefault; 0 turns hedging off. */
  hedgeAfterMs?: number;
  failoverDeadlineMs?: number;
  /** Checks this often that the replica in use still leads (0 = only when a call fails). */
  heartbeatMs?: number;
  /** Runs when the client turns to another replica (a new leader). */
  onReplicaChange?: (address: string) => void;
  /** How calls reach the replicas (default: gRPC); the client closes it on close(). */
  transport?: ChatTransport;
  /** For the default gRPC transport: the CA that signed the replicas' certificates (TLS); absent: plain text. */
  tls?: TlsMaterial | null;
  /** The time deadlines and pauses are measured in (default: the process's clock). */
  clock?: ClientClock;
  /** The client's part of each session token (default: random; the simulator's are deterministic). */
  newSessionSecret?: () => string;
}

export interface Subscription {
  cancel(): void;
}

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
  private readonly transport: ChatTransport;
  private readonly clock: ClientClock;
  private readonly newSessionSecret: () => string;
  private readonly directory: ReplicaDirectory;
  private readonly attemptDeadlineMs: number;
  private readonly hedgeAfterMs: number;
  private readonly failoverDeadlineMs: number;
  private readonly heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(options: ChatClientOptions) {
    this.clientId = options.clientId ?? randomBytes(16).toString("base64url");
    this.attemptDeadlineMs = options.attemptDeadlineMs ?? attemptDeadlineMsDefault;
    this.hedgeAfterMs = options.hedgeAfterMs ?? hedgeAfterMsDefault;
    this.failoverDeadlineMs = options.failoverDeadlineMs ?? failoverDeadlineMsDefault;
    this.transport = options.transport ?? new GrpcChatTransport(options.tls ?? null);
    this.clock = options.clock ?? processClock;
    this.newSessionSecret = options.newSessionSecret ?? newSessionSecret;
    this.directory = new ReplicaDirectory(options.addresses ?? (options.address ? [options.address] : []), this.transport);
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
    return this.write("CreateAccount", { username, password });
  }

  async login(username: string, password: string) {
    // One secret per login, resent unchanged by every retry of it (src/service/tokens.ts).
    const reply = await this.write("Login", { username, password, sessionSecret: this.newSessionSecret() });
    this.token = reply.token;
    this.username = reply.username;
    return reply;
  }

  async logout() {
    await this.write("Logout", {});
    this.token = null;
    this.username = null;
  }

  async listAccounts(pattern = "", pageSize = 0, pageToken = "") {
    return this.read("ListAccounts", { pattern, pageSize, pageToken });
  }

  async sendMessage(recipient: string, text: string) {
    return this.write("SendMessage", { recipient, text });
  }

  async readNewMessages(count = 0) {
    return this.write("ReadNewMessages", { count });
  }

  async markRead(ids: number[]) {
    return this.write("MarkRead", { ids });
  }

  async listMessages(pageSize = 0, beforeId = 0) {
    return this.read("ListMessages", { pageSize, beforeId });
  }

  async deleteMessages(ids: number[]) {
    return this.write("DeleteMessages", { ids });
  }

  async deleteAccount(password: string) {
    await this.write("DeleteAccount", { password });
    this.token = null;
    this.username = null;
  }

  async getLeaderInfo() {
    return this.read("GetLeaderInfo", {});
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
    let finished = false;
    const call = this.transport.subscribe(this.directory.currentAddress, afterId, this.metadata(), {
      start: (start) => {
        if (!finished) onOpen(start);
      },
      message: (message) => {
        if (!finished) onMessage(message);
      },
      end: (error) => {
        if (finished) return;
        finished = true;
        if (error?.leaderAddress) this.directory.useLeader(error.leaderAddress);
        else if (error && retryableCodes.has(error.code)) void this.directory.discoverLeader();
        onEnd(error);
      },
    });
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
        handlers.onResumed?.({ missedCount: start.catchUpCount, downMs: this.clock.now() - brokenSince, attempts: reopenAttempts });
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
        brokenSince = this.clock.now();
        handlers.onInterrupted?.(error);
      }
      await this.clock.sleep(followRetryPause(reopenAttempts));
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
    this.transport.close();
  }

  private metadata(seq?: number): CallMetadata {
    return { token: this.token, ...(seq === undefined ? {} : { write: { clientId: this.clientId, seq } }) };
  }

  private read<Name extends UnaryName>(name: Name, request: Request<Name>): Promise<Reply<Name>> {
    return this.withFailover(name, request);
  }

  /** A write keeps its seq across every retry, so the log applies it once. */
  private write<Name extends UnaryName>(name: Name, request: Request<Name>): Promise<Reply<Name>> {
    return this.sendWrite({ name, request, seq: ++this.seq });
  }

  /** The last write that gave up without an answer: it may or may not have been applied. */
  private unsettled: UnsettledWrite | null = null;

  /** What the last write with an unknown outcome was, if any ("send", "delete", ...: the method's name). */
  get unsettledWrite(): string | null {
    return this.unsettled ? String(this.unsettled.name) : null;
  }

  /**
   * Sends the last write whose outcome is unknown again, with the same
   * request id (client id, seq) and request, so it is applied at most once:
   * if the first attempt landed, the replica answers with its stored result.
   * Null when there is none.
   */
  async resendUnsettled(): Promise<{ name: string; reply: object } | null> {
    const write = this.unsettled;
    if (!write) return null;
    return { name: String(write.name), reply: await this.sendWrite(write as { name: UnaryName; request: Request<UnaryName>; seq: number }) };
  }

  private async sendWrite<Name extends UnaryName>(write: { name: Name; request: Request<Name>; seq: number }): Promise<Reply<Name>> {
    try {
      const reply = await this.withFailover(write.name, write.request, write.seq);
      if (this.unsettled?.seq === write.seq) this.unsettled = null;
      return reply;
    } catch (error) {
      if (error instanceof ChatClientError && error.outcomeUnknown) this.unsettled = write as UnsettledWrite;
      else if (this.unsettled?.seq === write.seq) this.unsettled = null;
      throw error;
    }
  }

  /**
   * Sends the call to the current replica; on a redirect goes to the named
   * leader at once, on a lost or failed replica looks for the leader and
   * tries again, until `failoverDeadlineMs` has passed. A write that still
   * has no answer then has an unknown outcome, and says so.
   */
  private async withFailover<Name extends UnaryName>(name: Name, request: Request<Name>, seq?: number): Promise<Reply<Name>> {
    const giveUpAt = this.clock.now() + this.failoverDeadlineMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.hedgedCall(name, request, seq);
      } catch (error) {
        if (!(error instanceof ChatClientError) || !retryableCodes.has(error.code)) throw error;
        if (this.clock.now() >= giveUpAt) throw unknownOutcome(error, seq !== undefined);
        if (error.leaderAddress && error.leaderAddress !== this.currentAddress) {
          // Follow a redirect at once the first time; replicas with stale views could bounce us, so pause after.
          if (attempt > 0) await this.clock.sleep(retryPause(attempt));
          this.directory.useLeader(error.leaderAddress);
          continue;
        }
        await this.clock.sleep(retryPause(attempt));
        await this.directory.discoverLeader();
      }
    }
  }

  /**
   * One attempt: the call to the current replica, hedged (see
   * hedgeAfterMsDefault). Fails, with the last copy's error, only once
   * every copy sent has failed.
   */
  private hedgedCall<Name extends UnaryName>(name: Name, request: Request<Name>, seq: number | undefined): Promise<Reply<Name>> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let outstanding = 0;
      const tried = new Set<string>();
      const send = (address: string) => {
        tried.add(address);
        outstanding += 1;
        this.transport.call(address, name, request, this.metadata(seq), this.attemptDeadlineMs).then(
          (reply) => {
            if (settled) return;
            settled = true;
            resolve(reply);
          },
          (error: unknown) => {
            outstanding -= 1;
            if (settled || outstanding > 0) return;
            settled = true;
            reject(error);
          },
        );
      };
      send(this.currentAddress);
      if (this.hedgeAfterMs <= 0) return;
      void (async () => {
        while (!settled) {
          await this.clock.sleep(this.hedgeAfterMs);
          if (settled) return;
          const leader = await this.directory.discoverLeader();
          if (!settled && leader && !tried.has(leader)) send(leader);
        }
      })();
    });
  }
}

function retryPause(attempt: number): number {
  return Math.min(retryPauseMaxMs, retryPauseFirstMs * 2 ** attempt);
}

function followRetryPause(attemptsSoFar: number): number {
  return Math.min(followRetryPauseMaxMs, followRetryPauseFirstMs * 2 ** attemptsSoFar);
}

function unknownOutcome(error: ChatClientError, isWrite: boolean): ChatClientError {
  const what = isWrite
    ? "the write may or may not have been applied; resend it with the same request id (resendUnsettled) to be sure it lands once"
    : "no answer";
  return new ChatClientError(error.code, `${error.message} (gave up after failover attempts: ${what})`, undefined, isWrite);
}

interface UnsettledWrite {
  name: UnaryName;
  request: object;
  seq: number;
}
