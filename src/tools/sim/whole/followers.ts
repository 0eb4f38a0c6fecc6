// Simulated live subscribers. Each follows one user's messages as the
// client library's follow() does (src/client/chat-client.ts): it opens a
// stream on the replica it believes leads, adopts the stream's position if
// it has received nothing yet, resumes from the last id it received after
// the stream breaks (a step-down, a crash), and never gives up. Every
// (re)open and every delivery goes into the history the checker reads.

import type { HistoryEvent, SeenMessage } from "../../../check/history.ts";
import { NotLeaderError } from "../../../log/errors.ts";
import { ChatError } from "../../../projections/operations.ts";
import type { ChatService, LiveStream } from "../../../service/chat-service.ts";
import type { SimRandom } from "../random.ts";

/** What a follower needs from the simulation. */
export interface FollowerWorld {
  /** The service of replica `id` if the follower can reach it now (up, not paused). */
  reach(id: number): ChatService | null;
  /** Whether replica `id` is up (a crashed replica's streams are broken). */
  isUp(id: number): boolean;
  replicaIds(): number[];
  record(event: DistributiveOmit<HistoryEvent, "seq">): void;
  unexpected(error: unknown): void;
}

export type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** Ticks a follower waits before opening again after a failure. */
const reopenPauseTicks = 3;

export class SimFollower {
  readonly process: string;
  private lastId = 0;
  private stream: { replica: number; live: LiveStream | null } | null = null;
  private target: number;
  private resumeAt = 0;
  private tick = 0;

  constructor(
    readonly user: string,
    private readonly token: () => string | null,
    private readonly random: SimRandom,
    private readonly world: FollowerWorld,
  ) {
    this.process = `follow-${user}`;
    this.target = random.pick(world.replicaIds());
  }

  /** Once a tick: notice a broken stream, or open one when it is time. */
  step(): void {
    this.tick++;
    if (this.stream && !this.world.isUp(this.stream.replica)) this.broken(); // the connection died with the process
    if (this.stream || this.tick < this.resumeAt) return;
    const token = this.token();
    if (!token) return;
    const service = this.world.reach(this.target);
    if (service) this.open(service, this.target, token);
    else this.retryElsewhere();
  }

  private open(service: ChatService, replica: number, token: string): void {
    const opening = { replica, live: null as LiveStream | null };
    this.stream = opening;
    const afterId = this.lastId;
    service.subscribe({ token }, afterId, this.sink(opening, afterId), { cancelled: () => this.stream !== opening, admit: () => {} }).then(
      (live) => {
        if (this.stream === opening) opening.live = live;
        else live?.release();
      },
      (error: unknown) => {
        if (this.stream !== opening) return;
        this.stream = null;
        if (error instanceof NotLeaderError) this.redirect(error.leaderAddress);
        else if (!(error instanceof ChatError)) this.world.unexpected(error);
        this.resumeAt = this.tick + reopenPauseTicks;
      },
    );
  }

  private sink(opening: { replica: number }, afterId: number) {
    return {
      open: ({ position }: { position: number }) => {
        this.world.record({ type: "subscribe", process: this.process, user: this.user, afterId, position });
        // A follower that has received nothing starts from the stream's position, so no message is ever skipped.
        if (this.lastId === 0) this.lastId = position;
      },
      write: (message: SeenMessage) => {
        if (this.stream !== opening) return true;
        const { id, sender, recipient, text } = message;
        this.world.record({ type: "deliver", process: this.process, user: this.user, message: { id, sender, recipient, text } });
        this.lastId = id;
        return true;
      },
      end: () => {
        if (this.stream === opening) this.broken();
      },
    };
  }

  private broken(): void {
    this.stream?.live?.release();
    this.stream = null;
    this.retryElsewhere();
  }

  private retryElsewhere(): void {
    this.target = this.random.pick(this.world.replicaIds());
    this.resumeAt = this.tick + reopenPauseTicks;
  }

  private redirect(leaderAddress: string | null): void {
    const match = leaderAddress ? /^sim:(\d+)$/.exec(leaderAddress) : null;
    this.target = match ? Number(match[1]) : this.random.pick(this.world.replicaIds());
  }
}
