/**
 * Which replicas a client knows and which one leads. Starts from a fallback
 * list (config_client.json), asks every known replica at once for
 * GetLeaderInfo, believes the answer with the highest term, and merges the
 * replica lists it learns. Asks through a ChatTransport (transport.ts), so
 * the same policy runs over gRPC and in the whole-replica simulation.
 */
import type { GetLeaderInfoReply__Output } from "../rpc/generated/chat/GetLeaderInfoReply.ts";
import { ChatClientError, type ChatTransport } from "./transport.ts";

/** Deadline of one GetLeaderInfo during discovery: a dead replica must not hold it up. */
export const discoveryCallDeadlineMs = 500;
/** Replicas a client remembers at most (the fallback list plus what it learns). */
export const knownReplicasMax = 64;

export class ReplicaDirectory {
  private readonly known: string[];
  private current: string;
  private discovery: Promise<string | null> | null = null;

  /** Runs when the client turns to another replica. */
  onChange: (address: string) => void = () => {};

  constructor(
    addresses: readonly string[],
    private readonly transport: ChatTransport,
  ) {
    if (addresses.length === 0) throw new Error("a client needs at least one replica address");
    this.known = [...new Set(addresses)].slice(0, knownReplicasMax);
    this.current = this.known[0]!;
  }

  get currentAddress(): string {
    return this.current;
  }

  get addresses(): readonly string[] {
    return this.known;
  }

  /** A replica told us who leads. */
  useLeader(address: string): void {
    this.remember(address);
    this.switchTo(address);
  }

  /**
   * One heartbeat: asks the current replica who leads; if it does not
   * answer, or names another leader, looks for the leader everywhere.
   */
  async checkLeader(): Promise<void> {
    const reply = await this.askLeaderInfo(this.current);
    if (!reply || reply.leaderAddress !== this.current) await this.discoverLeader();
  }

  /**
   * Asks every known replica who leads; switches to the leader of the
   * highest term reported. Concurrent callers share one round. Resolves
   * with the leader's address, or null when no replica knows one yet.
   */
  discoverLeader(): Promise<string | null> {
    this.discovery ??= this.discoveryRound().finally(() => (this.discovery = null));
    return this.discovery;
  }

  /**
   * Ends once every replica answered or gave up, or earlier, once a
   * majority of them answered and one of those names a leader: a frozen
   * replica (SIGSTOP) would otherwise hold every round for the whole
   * discovery deadline. Answers that come later are still remembered.
   */
  private discoveryRound(): Promise<string | null> {
    const asked = [...this.known];
    const majority = Math.floor(asked.length / 2) + 1;
    return new Promise((resolve) => {
      let best: GetLeaderInfoReply__Output | null = null;
      let answered = 0;
      let pending = asked.length;
      let done = false;
      const finish = () => {
        done = true;
        if (!best) return resolve(null);
        this.remember(best.leaderAddress);
        this.switchTo(best.leaderAddress);
        resolve(best.leaderAddress);
      };
      for (const address of asked) {
        // A bug in the transport counts as no answer here rather than a round that never ends.
        void this.askLeaderInfo(address)
          .catch(() => null)
          .then((reply) => {
            pending -= 1;
            if (reply) {
              for (const replica of reply.replicas) this.remember(replica.address);
              if (!done) {
                answered += 1;
                if (reply.leaderAddress && (!best || reply.term > best.term)) best = reply;
              }
            }
            if (!done && (pending === 0 || (best && answered >= majority))) finish();
          });
      }
    });
  }

  /** The replica's answer, or null when it gives none (down, hung, refusing). */
  private async askLeaderInfo(address: string): Promise<GetLeaderInfoReply__Output | null> {
    try {
      return await this.transport.call(address, "GetLeaderInfo", {}, {}, discoveryCallDeadlineMs);
    } catch (error) {
      if (error instanceof ChatClientError) return null;
      throw error;
    }
  }

  private switchTo(address: string): void {
    if (address === this.current) return;
    this.current = address;
    this.onChange(address);
  }

  private remember(address: string): void {
    if (address && !this.known.includes(address) && this.known.length < knownReplicasMax) this.known.push(address);
  }
}
