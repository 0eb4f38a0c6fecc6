// The simulator's toy replicated state machine: it applies client commands
// {clientId, seq} at most once (a dedup table of the last seq per client, as
// the chat projections will keep) and records the order it applied them in.

import type { ConfigEntryData, Entry } from "../../log/raft/index.ts";

export interface ClientCommand {
  clientId: string;
  seq: number;
}

/** What applying one entry gave: for a command, its client's last applied seq after it (the acknowledgement's evidence), and the entry's term. */
export interface ToyResult {
  outcome: "applied" | "duplicate" | "noop";
  seen: number;
  term: number;
}

export class SimViolation extends Error {
  override name = "SimViolation";
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

export class ToyStateMachine {
  /** Index of the last entry applied; durable together with the state (one transaction). */
  appliedIndex = 0;
  /** Membership as of appliedIndex (config entries are applied too), and its config entry's index. */
  membership: ConfigEntryData;
  configIndex = 0;

  /** `genesis` is the cluster's initial membership, in force before any config entry. */
  constructor(genesis: ConfigEntryData = { voters: [], learners: [] }) {
    this.membership = genesis;
  }
  /** Last applied seq per client: the dedup table. */
  readonly lastSeq = new Map<string, number>();
  /** "clientId:seq" in apply order. */
  readonly order: string[] = [];
  private hashValue = 2166136261;

  /** "applied", or "duplicate" for a retry of something applied before. */
  apply(entry: Entry): ToyResult {
    if (entry.index !== this.appliedIndex + 1) {
      throw new SimViolation("apply in log order", `applied ${entry.index} after ${this.appliedIndex}`);
    }
    this.appliedIndex = entry.index;
    if (entry.type === "noop") return { outcome: "noop", seen: 0, term: entry.term };
    if (entry.type === "config") {
      this.membership = JSON.parse(entry.data) as ConfigEntryData;
      this.configIndex = entry.index;
      this.hashValue = fnv1a(this.hashValue, `config@${entry.index}:${entry.data}`);
      return { outcome: "noop", seen: 0, term: entry.term };
    }
    const command = JSON.parse(entry.data) as ClientCommand;
    const last = this.lastSeq.get(command.clientId) ?? 0;
    if (command.seq <= last) return { outcome: "duplicate", seen: last, term: entry.term };
    // Clients send seq n+1 only after n was acknowledged, so a gap means an
    // acknowledged write is missing from this replica's history.
    if (command.seq !== last + 1) {
      throw new SimViolation("per-client order", `${command.clientId} seq ${command.seq} applied after ${last} at index ${entry.index}`);
    }
    this.lastSeq.set(command.clientId, command.seq);
    const key = `${command.clientId}:${command.seq}`;
    this.order.push(key);
    this.hashValue = fnv1a(this.hashValue, key);
    return { outcome: "applied", seen: command.seq, term: entry.term };
  }

  /** Whether the membership as of the applied index names server `id`. */
  includes(id: number): boolean {
    const { voters, learners } = this.membership;
    return voters.some((member) => member.id === id) || learners.some((member) => member.id === id);
  }

  hash(): string {
    return `${this.order.length}:${(this.hashValue >>> 0).toString(16)}`;
  }

  clone(): ToyStateMachine {
    const copy = new ToyStateMachine(this.membership);
    copy.appliedIndex = this.appliedIndex;
    copy.configIndex = this.configIndex;
    for (const [client, seq] of this.lastSeq) copy.lastSeq.set(client, seq);
    copy.order.push(...this.order);
    copy.hashValue = this.hashValue;
    return copy;
  }
}

function fnv1a(seed: number, text: string): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  // Separator so "a:1"+"2" differs from "a:12".
  return Math.imul(hash ^ 0x2c, 16777619);
}
