/**
 * The chat use cases: validate a request at the edge, decide the operation
 * against current state (hashing passwords, minting session nonces), append
 * it through the replicated log, and answer from the projections. Knows
 * nothing of gRPC; failures are ChatError (or the log's NotLeaderError).
 */
import * as limits from "../limits.ts";
import type { ReplicaNode } from "../log/replica-node.ts";
import { stageTimings } from "../log/stage-timings.ts";
import type { AppliedResult, Projections } from "../projections/apply.ts";
import {
  ChatError,
  answerTo,
  type ChatOperation,
  type ChatOperationType,
  type OperationEnvelope,
  type OperationOf,
  type OperationValues,
} from "../projections/operations.ts";
import type { ChatQueries, ChatState, MessageRow } from "../projections/queries.ts";
import { checkClientSeq, checkOperation, checkSameRequest, differentRequest, sessionExpired, sessionIdle } from "../projections/rules.ts";
import { AttemptLimits } from "./attempt-limits.ts";
import { decisionState } from "./decision-state.ts";
import { type PasswordCheck, PasswordWork } from "./password-work.ts";
import { requestBinding, type RequestFields } from "./request-binding.ts";
import { type MessageSink, Subscription } from "./subscription.ts";
import { type NextTurn, TurnQueue } from "./turns.ts";
import { hashSessionSecret, hashToken, newSessionNonce, sessionToken } from "./tokens.ts";
import * as validate from "./validate.ts";
import { wallClock } from "../wall-clock.ts";

/** Who is asking: the session token and the write's (client id, seq), from request metadata. */
export interface Caller {
  token?: string;
  request?: validate.ClientRequestId;
  /** The client's network address (host, no port), for per-address limits; none for in-process callers. */
  peer?: string;
}

export interface PasswordHashing {
  memoryCost?: number;
  timeCost?: number;
}

/** How passwords are hashed and checked: argon2id by default; the simulator uses a deterministic stand-in. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

export function argon2Hasher(costs: PasswordHashing = {}): PasswordHasher {
  return {
    hash: (password) => Bun.password.hash(password, { algorithm: "argon2id", ...costs }),
    verify: (password, hash) => Bun.password.verify(password, hash),
  };
}

export interface ChatServiceOptions {
  /** Derives session tokens (src/keys.ts). */
  sessionKey: Buffer;
  passwordHashing?: PasswordHashing;
  /** Replaces argon2id (and passwordHashing) entirely: for the simulator only. */
  passwords?: PasswordHasher;
  /** The leader's clock, stamped into each operation (default the replica's wall clock, src/wall-clock.ts). */
  now?: () => number;
  /** A fresh session nonce (default: 32 random bytes). */
  newNonce?: () => string;
  /** A later turn of the event loop, where heavy reads run one at a time (default setImmediate). */
  nextTurn?: NextTurn;
  /** How long a session may go unused (default limits.sessionIdleMsDefault); stamped into each Login. */
  sessionIdleMs?: number;
}

/** What a transport decides about a stream being opened. */
export interface StreamGate {
  /** The caller went away while its session was being confirmed. */
  cancelled(): boolean;
  /** Counts the stream against the transport's bound; throws (RESOURCE_EXHAUSTED) past it. */
  admit(): void;
}

/** An open live stream: tell it when the sink can take more, release it when the caller is gone. */
export interface LiveStream {
  drained(): void;
  release(): void;
}

/** What a ReadNew entry answered: the messages it took, and how many were left unread at that point of the log. */
type StoredRead = OperationValues["ReadNew"];

/** Decides the operation to write on behalf of a caller (it may throw a ChatError instead). */
/** Decides a write's operation; `state` is the one the decision's checks read (see decisionState). */
type Build<T extends ChatOperationType> = (state: ChatState) => OperationOf<T> | Promise<OperationOf<T>>;

/** A write as its stored result is bound to it (src/service/request-binding.ts). */
interface BoundRequest<T extends ChatOperationType> {
  type: T;
  binding: string;
  /**
   * Checks what the binding leaves out (a password) before a stored answer
   * is given; throws a ChatError to refuse. `logIndex`: the entry that
   * stored it.
   */
  confirm?: (answer: OperationValues[T], logIndex: number) => Promise<void>;
}

interface Identity {
  username: string;
  tokenHash: string;
}

export class ChatService {
  readonly queries: ChatQueries;
  private readonly now: () => number;
  private readonly passwordWork: PasswordWork;
  private readonly newNonce: () => string;
  /** Heavy reads and catch-up slices, one per turn, so none holds the consensus clock's thread for long. */
  private readonly turns: TurnQueue;
  private readonly sessionIdleMs: number;
  /** Live streams registered and not yet released (metrics read it). */
  private liveStreams = 0;

  constructor(
    private readonly node: ReplicaNode<AppliedResult>,
    readonly projections: Projections,
    private readonly options: ChatServiceOptions,
  ) {
    this.queries = projections.queries;
    this.now = options.now ?? wallClock.now;
    this.passwordWork = new PasswordWork(options.passwords ?? argon2Hasher(options.passwordHashing), new AttemptLimits(this.now));
    this.newNonce = options.newNonce ?? newSessionNonce;
    this.turns = new TurnQueue({ queuedMax: limits.heavyReadsQueuedMax, perUserMax: limits.readsPerUserMax }, options.nextTurn);
    this.sessionIdleMs = options.sessionIdleMs ?? limits.sessionIdleMsDefault;
  }

  async createAccount(caller: Caller, username: string, password: string) {
    validate.validateUsername(username);
    validate.validatePassword(password);
    await this.node.writeBarrier();
    const request: BoundRequest<"CreateAccount"> = {
      type: "CreateAccount",
      binding: requestBinding("CreateAccount", [username], ""),
      // The same request created this account with this password.
      confirm: async (_answer, logIndex) => {
        const account = this.queries.account(username);
        if (account?.createdIndex !== logIndex || !(await this.passwordWork.check(caller.peer, password).matches(username, account.passwordHash))) {
          throw ChatError.from(differentRequest(caller.request!.seq));
        }
      },
    };
    return this.decideAndWrite(caller, request, async () => {
      this.check({ type: "CreateAccount", username, passwordHash: "" }, this.queries); // a taken name costs no hash
      const passwordHash = await this.passwordWork.hash(caller.peer, password);
      return { type: "CreateAccount", username, passwordHash };
    });
  }

  /** `sessionSecret`: the client's part of the token (see src/service/tokens.ts). */
  async login(caller: Caller, username: string, password: string, sessionSecret: string) {
    validate.validateUsername(username);
    validate.validateGivenPassword(password, "password is empty");
    validate.validateSessionSecret(sessionSecret);
    await this.node.writeBarrier();
    const check = this.passwordWork.check(caller.peer, password);
    const request: BoundRequest<"Login"> = {
      type: "Login",
      binding: requestBinding("Login", [username], hashSessionSecret(sessionSecret)),
      // A stored session is answered only to whoever proves the password again.
      confirm: async () => void (await this.checkPassword(username, check)),
    };
    const { nonce, unread } = await this.decideAndWrite(caller, request, () => this.loginOperation(username, check, sessionSecret));
    return { username, token: sessionToken(this.options.sessionKey, nonce, sessionSecret), unreadCount: unread };
  }

  /** An unknown name and a wrong password get one answer, after one verification each (src/service/password-work.ts). */
  private async checkPassword(username: string, check: PasswordCheck) {
    const account = this.queries.account(username);
    if (!(await check.matches(username, account?.passwordHash ?? null)) || !account) {
      throw new ChatError("UNAUTHENTICATED", "Incorrect username or password");
    }
    return account;
  }

  private async loginOperation(username: string, check: PasswordCheck, sessionSecret: string): Promise<OperationOf<"Login">> {
    const account = await this.checkPassword(username, check);
    const sessionNonce = this.newNonce();
    const tokenHash = hashToken(sessionToken(this.options.sessionKey, sessionNonce, sessionSecret));
    return { type: "Login", username, accountIndex: account.createdIndex, tokenHash, sessionNonce, sessionIdleMs: this.sessionIdleMs };
  }

  async logout(caller: Caller) {
    await this.authenticatedWrite(caller, "Logout", [], (identity) => ({ type: "Logout", ...identity }));
  }

  async listAccounts(caller: Caller, pattern: string, pageSize: number, pageToken: string) {
    const glob = validate.validateAccountPattern(pattern);
    const size = validate.validatePageSize(pageSize, limits.accountPageSizeDefault, limits.accountPageSizeMax);
    const after = decodePageToken(pageToken);
    await this.node.readBarrier();
    this.authenticate(caller);
    const usernames = this.queries.accounts(glob, after, size + 1);
    const more = usernames.length > size;
    const page = usernames.slice(0, size);
    return { usernames: page, nextPageToken: more ? encodePageToken(page[page.length - 1]!) : "" };
  }

  async sendMessage(caller: Caller, recipient: string, text: string) {
    validate.validateUsername(recipient, "recipient");
    validate.validateMessageText(text);
    return this.authenticatedWrite(caller, "SendMessage", [recipient, text], (identity) => ({ type: "SendMessage", ...identity, recipient, text }));
  }

  async readNewMessages(caller: Caller, count: number) {
    const limit = validate.validateCount(count);
    await this.node.writeBarrier();
    // A ReadNew entry takes the messages when it is applied; "nothing unread" and a retry's answer come from local state.
    const decision = await this.linearizable(
      () => this.decideRead(caller, limit),
      (decided) => "propose" in decided,
    );
    const read = "propose" in decision ? await this.propose(caller, readRequest(caller, limit), decision.propose) : decision;
    if (read.ids.length === 0) return { messages: [], unreadRemaining: read.unreadRemaining };
    // A retry's stored answer may outlive the session (a later logout): the share is then the token's.
    const share = (caller.token && this.queries.session(hashToken(caller.token))?.username) || `token:${caller.token ?? ""}`;
    const messages = await this.turns.run(share, () => read.ids.map((id) => this.queries.message(id)).filter((message) => message !== null));
    return { messages, unreadRemaining: read.unreadRemaining };
  }

  /** A retry's first answer, or a ReadNew to propose; none unread (here, now) answers at once. */
  private async decideRead(caller: Caller, limit: number): Promise<StoredRead | { propose: OperationOf<"ReadNew"> }> {
    const stored = await this.storedAnswer(caller, readRequest(caller, limit));
    if (stored) return stored;
    const identity = this.authenticate(caller);
    if (this.queries.unreadCount(identity.username) === 0) return { ids: [], unreadRemaining: 0 };
    return { propose: { type: "ReadNew", ...identity, count: limit } };
  }

  async markRead(caller: Caller, ids: number[]) {
    const unique = validate.validateIds(ids);
    return this.authenticatedWrite(caller, "MarkRead", [unique], (identity) => ({ type: "MarkRead", ...identity, ids: unique }));
  }

  async listMessages(caller: Caller, pageSize: number, beforeId: number) {
    const size = validate.validatePageSize(pageSize, limits.messagePageSizeDefault, limits.messagePageSizeMax);
    validate.validateMessageId(beforeId, "before_id");
    await this.node.readBarrier();
    const { username } = this.authenticate(caller);
    return this.turns.run(username, () => {
      // Decided in its turn: the account may have been deleted while the page waited.
      const account = this.queries.account(username);
      if (!account) throw new ChatError("UNAUTHENTICATED", "Session expired or logged out, log in again");
      const rows = this.queries.history(username, account.createdIndex, beforeId || Number.MAX_SAFE_INTEGER, size + 1);
      const page = rows.slice(0, size);
      return { messages: page, nextBeforeId: rows.length > size ? page[page.length - 1]!.id : 0 };
    });
  }

  async deleteMessages(caller: Caller, ids: number[]) {
    const unique = validate.validateIds(ids);
    return this.authenticatedWrite(caller, "DeleteMessages", [unique], (identity) => ({ type: "DeleteMessages", ...identity, ids: unique }));
  }

  async deleteAccount(caller: Caller, password: string) {
    validate.validateGivenPassword(password, "confirm with the account's password");
    const check = this.passwordWork.check(caller.peer, password);
    await this.authenticatedWrite(caller, "DeleteAccount", [], async (identity) => {
      const account = this.queries.account(identity.username)!;
      if (!(await check.matches(identity.username, account.passwordHash))) {
        throw new ChatError("UNAUTHENTICATED", "Incorrect password");
      }
      return { type: "DeleteAccount", ...identity };
    });
  }

  /**
   * A write on behalf of a logged-in user. A retry of a write that was
   * applied gets its first answer before the session is checked: the write
   * may itself have ended the session (logout, delete-account). The answer
   * is bound to the session token the caller presents, so only the holder
   * of that token gets it.
   */
  private async authenticatedWrite<T extends ChatOperationType>(
    caller: Caller,
    type: T,
    fields: RequestFields,
    build: (identity: Identity) => OperationOf<T> | Promise<OperationOf<T>>,
  ): Promise<OperationValues[T]> {
    stageTimings.mark("receive");
    await this.node.writeBarrier();
    const request = { type, binding: requestBinding(type, fields, sessionIdentity(caller)) };
    return this.decideAndWrite(caller, request, (state) => build(this.authenticate(caller, state)));
  }

  /**
   * Answers a write that passed the write barrier: a retry with its stored
   * first answer, anything else by appending the operation `build` decides.
   * Both stand at once (a committed entry's answer; a commit that confirms
   * leadership); a rejection is decided again on confirmed state first.
   */
  private async decideAndWrite<T extends ChatOperationType>(caller: Caller, request: BoundRequest<T>, build: Build<T>): Promise<OperationValues[T]> {
    const decision = await this.linearizable(() => this.decideWrite(caller, request, build));
    return "stored" in decision ? decision.stored : this.propose(caller, request, decision.propose);
  }

  private async decideWrite<T extends ChatOperationType>(
    caller: Caller,
    request: BoundRequest<T>,
    build: Build<T>,
  ): Promise<{ stored: OperationValues[T] } | { propose: OperationOf<T> }> {
    const stored = await this.storedAnswer(caller, request);
    if (stored) return { stored };
    const state = decisionState(this.queries);
    const op = await build(state);
    this.check(op, state);
    return { propose: op };
  }

  /**
   * Decides on this replica's state. A leader cut off from the majority keeps
   * its role for up to two election timeouts, and its state lacks what a newer
   * leader committed meanwhile. So a decision stands at once only if `stands`
   * says so (a proposal: its commit confirms leadership; a committed entry's
   * stored answer); a rejection (a thrown ChatError) or an answer from state
   * is decided again after a ReadIndex round (dissertation §6.4), on state
   * that holds everything committed before the request arrived, and that
   * second decision is the answer. A deposed leader fails the round with
   * NotLeaderError, so the client retries at the new leader.
   */
  private async linearizable<Decision>(decide: () => Decision | Promise<Decision>, stands: (decision: Decision) => boolean = () => true): Promise<Decision> {
    try {
      const decision = await decide();
      if (stands(decision)) return decision;
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
    }
    await this.node.readBarrier();
    return decide();
  }

  /** The caller's identity for a live stream; "no session" is confirmed like any rejection. */
  identify(caller: Caller): Promise<Identity> {
    return this.linearizable(() => this.authenticate(caller));
  }

  /**
   * Opens the caller's live stream on this leader (see Subscription for
   * where it starts and why nothing is missed). "No session" may wait for a
   * read barrier; after that the leadership check, `gate.admit` and the
   * registration happen in one turn, while this replica still leads. The
   * stream ends with UNAVAILABLE when this replica stops leading; the client
   * resumes it on the new leader. Null when the caller gave up meanwhile.
   */
  async subscribe(caller: Caller, afterId: number, sink: MessageSink, gate: StreamGate): Promise<LiveStream | null> {
    const identity = await this.identify(caller);
    if (gate.cancelled()) return null;
    this.node.assertLeader();
    const { username } = identity;
    this.turns.hold(username);
    try {
      gate.admit();
    } catch (error) {
      this.turns.release(username);
      throw error;
    }
    const subscription = new Subscription(this.projections, username, identity.tokenHash, afterId, sink, (work) => this.turns.continue(username, work));
    this.liveStreams += 1;
    const stopFollowing = this.node.onLeadershipLost(() =>
      subscription.close(new ChatError("UNAVAILABLE", "this replica is no longer the leader; subscribe again")),
    );
    let released = false;
    return {
      drained: () => subscription.drained(),
      release: () => {
        if (released) return;
        released = true;
        this.liveStreams -= 1;
        this.turns.release(username);
        stopFollowing();
        subscription.close();
      },
    };
  }

  /** Live streams open on this replica now. */
  get openSubscriptions(): number {
    return this.liveStreams;
  }

  /** The caller's identity, from the session token only. */
  private authenticate(caller: Caller, state: ChatState = this.queries): Identity {
    if (!caller.token) throw new ChatError("UNAUTHENTICATED", "Log in first: no session token was sent");
    const tokenHash = hashToken(caller.token);
    const session = state.session(tokenHash);
    if (!session) throw new ChatError("UNAUTHENTICATED", "Session expired or logged out, log in again");
    // No idle time: a Login from before sessions expired, whose token came from the cluster secret alone (see tokens.ts).
    if (session.idleMs === 0 || sessionIdle(session, this.now())) throw ChatError.from(sessionExpired());
    return { username: session.username, tokenHash };
  }

  /**
   * The first answer to a retried write, so a retry appends nothing; given
   * only to the same request from the same caller (INVALID_ARGUMENT
   * otherwise), and only once `confirm` accepts it. Null for a new write,
   * after its seq was checked against the client's window (refused before
   * anything is appended). The window comes first: a seq above its newest
   * has no result stored, and most writes are new, so they cost one lookup.
   */
  private async storedAnswer<T extends ChatOperationType>(caller: Caller, request: BoundRequest<T>): Promise<OperationValues[T] | null> {
    if (!caller.request) return null;
    const { clientId, seq } = caller.request;
    const window = this.queries.clientWindow(clientId);
    const stored = seq <= window.newestSeq ? this.queries.clientResult(clientId, seq) : null;
    if (!stored) {
      const outsideWindow = checkClientSeq(window, seq);
      if (outsideWindow) throw ChatError.from(outsideWindow);
      return null;
    }
    const mismatch = checkSameRequest(stored.binding, request.binding, seq);
    if (mismatch) throw ChatError.from(mismatch);
    const answer = answerTo(request.type, stored.result);
    await request.confirm?.(answer, stored.logIndex);
    return answer;
  }

  private check(op: ChatOperation, state: ChatState): void {
    const rejection = checkOperation(state, op, this.now());
    if (rejection) throw ChatError.from(rejection);
  }

  /**
   * Appends a decided and checked operation and waits for its result. A
   * retry that raced past the stored-result lookup is still applied once
   * (the apply loop answers a seen (client id, seq) with its first result,
   * if the entry carries the same binding).
   */
  private async propose<T extends ChatOperationType>(caller: Caller, request: BoundRequest<T>, op: OperationOf<T>): Promise<OperationValues[T]> {
    const envelope: OperationEnvelope = { atMs: this.now(), ...(caller.request && { ...caller.request, binding: request.binding }), op };
    const payload = JSON.stringify(envelope);
    stageTimings.mark("validate");
    const applied = await this.node.propose(payload);
    return answerTo(request.type, applied.result!);
  }
}

/** Who the caller of a session's operation is: the digest of the token it presents ("" for none). */
function sessionIdentity(caller: Caller): string {
  return caller.token ? hashToken(caller.token) : "";
}

function readRequest(caller: Caller, limit: number): BoundRequest<"ReadNew"> {
  return { type: "ReadNew", binding: requestBinding("ReadNew", [limit], sessionIdentity(caller)) };
}

function encodePageToken(username: string): string {
  return Buffer.from(username, "utf8").toString("base64url");
}

function decodePageToken(token: string): string {
  if (token === "") return "";
  const username = Buffer.from(token, "base64url").toString("utf8");
  if (!limits.usernamePattern.test(username)) throw new ChatError("INVALID_ARGUMENT", "invalid page token");
  return username;
}

export type { MessageRow };
