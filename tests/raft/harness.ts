// A scripted in-process network for RaftCore scenario tests, after etcd-io/raft's
// test network: every node persists its Ready into a MemoryStorage "disk", and
// messages wait in a queue the test delivers, drops, cuts or isolates by hand.

import {
  configFromMembership,
  MemoryStorage,
  RaftCore,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type RaftOptions,
  type ReadState,
  type SnapshotMeta,
} from "../../src/log/raft/index.ts";
import { MemoryDriverLog } from "../../src/tools/sim/memory-log.ts";
import { SimRandom } from "../../src/tools/sim/random.ts";

export function seededRandom(seed: number): () => number {
  return new SimRandom(seed).asFunction();
}

export function entry(index: number, term: number, data = `e${index}`): Entry {
  return { index, term, type: "command", data };
}

/**
 * A disk whose membership is `voters` before any entry, as etcd-io/raft's
 * tests set a ConfState on the storage's initial snapshot: the scenario tests
 * keep the paper's index numbering (the first entry is the first leader's
 * no-op). Replicas and the simulator bootstrap with a config entry at index 1.
 */
export function bootstrappedDisk(voters: NodeId[], log: Entry[] = [], hardState?: HardState): MemoryStorage {
  const membership = { voters: voters.map((id) => ({ id, address: "" })), learners: [] };
  return new MemoryStorage(log, hardState, voters.length > 0 ? { index: 0, term: 0, membership } : undefined);
}

export interface TestNode {
  id: NodeId;
  core: RaftCore;
  disk: MemoryStorage;
  applied: Entry[];
  readStates: ReadState[];
  /** Snapshots this node installed (Ready.snapshot), in order. */
  snapshots: SnapshotMeta[];
}

export type NodeSetup = Partial<Omit<RaftOptions, "id" | "storage" | "hardState">> & { log?: Entry[]; hardState?: HardState };

export class TestCluster {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Sent but not yet delivered, oldest first. */
  queue: Message[] = [];
  /** Directed links that lose messages: "from>to". */
  private readonly cut = new Set<string>();

  constructor(
    readonly ids: NodeId[],
    setup: (id: NodeId) => NodeSetup = () => ({}),
    private readonly seed = 1,
  ) {
    const voters = [...ids];
    for (const id of ids) this.addNode(id, voters, setup(id));
  }

  /**
   * Starts a node. A node joining a running cluster starts with no voters: it
   * learns its membership from the log (or a snapshot) the leader sends it.
   */
  addNode(id: NodeId, voters: NodeId[] = [], setup: NodeSetup = {}): TestNode {
    const { log = [], hardState = { term: 0, vote: 0, commit: 0 }, ...rest } = setup;
    const disk = bootstrappedDisk(voters, log, hardState);
    const core = new RaftCore({
      id,
      storage: disk,
      hardState,
      applied: 0,
      random: seededRandom(this.seed * 100 + id),
      electionTicks: 10,
      heartbeatTicks: 1,
      ...rest,
    });
    const node = { id, core, disk, applied: [], readStates: [], snapshots: [] };
    this.nodes.set(id, node);
    if (!this.ids.includes(id)) this.ids.push(id);
    return node;
  }

  /** Compacts a node's disk up to its applied index, as a driver does after snapshotting its state machine. */
  compact(id: NodeId, index = this.core(id).appliedIndex): void {
    const { core, disk } = this.node(id);
    disk.compact(index, disk.term(index)!, configFromMembership(core.membership()));
  }

  node(id: NodeId): TestNode {
    return this.nodes.get(id)!;
  }

  core(id: NodeId): RaftCore {
    return this.node(id).core;
  }

  /**
   * Steps through a Ready as the driver does (persist, then queue messages,
   * then apply, then advance), writing through the simulator's disk
   * (src/tools/sim/memory-log.ts); the barriers, proposals and membership
   * operations of the driver (src/log/raft-node.ts) are exercised by the
   * simulator and the replica's tests, while these scenarios look at the
   * core's messages one by one.
   */
  flush(id: NodeId): void {
    const node = this.node(id);
    const log = new MemoryDriverLog(node.disk);
    while (node.core.hasReady()) {
      const ready = node.core.ready();
      if (ready.snapshot) {
        log.persistSnapshot(ready.snapshot, ready.entries, ready.hardState);
        node.snapshots.push(ready.snapshot);
      } else log.persist(ready.entries, ready.hardState);
      for (const message of ready.messages) this.send(message);
      node.applied.push(...ready.committedEntries);
      node.readStates.push(...ready.readStates);
      node.core.advance();
    }
  }

  flushAll(): void {
    for (const id of this.ids) this.flush(id);
  }

  private send(message: Message): void {
    if (this.cut.has(`${message.from}>${message.to}`)) return;
    this.queue.push(JSON.parse(JSON.stringify(message)) as Message);
  }

  /** Delivers queued messages (and the ones they cause) until the network is quiet. */
  deliverAll(maxMessages = 10_000): number {
    let delivered = 0;
    while (this.queue.length > 0) {
      if (delivered++ >= maxMessages) throw new Error("network did not quiesce");
      this.deliver(this.queue.shift()!);
    }
    return delivered;
  }

  /** Delivers the first queued message matching the predicate; returns it. */
  deliverFirst(predicate: (message: Message) => boolean): Message | undefined {
    const position = this.queue.findIndex(predicate);
    if (position < 0) return undefined;
    const [message] = this.queue.splice(position, 1);
    this.deliver(message!);
    return message;
  }

  deliver(message: Message): void {
    if (this.cut.has(`${message.from}>${message.to}`)) return;
    this.core(message.to).step(message);
    this.flush(message.to);
  }

  drop(predicate: (message: Message) => boolean): Message[] {
    const dropped = this.queue.filter(predicate);
    this.queue = this.queue.filter((message) => !predicate(message));
    return dropped;
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.core(id).tick();
      this.flush(id);
    }
  }

  /** Ticks every node once per round and delivers everything in between. */
  run(rounds: number): void {
    for (let round = 0; round < rounds; round++) {
      for (const id of this.ids) this.tick(id);
      this.deliverAll();
    }
  }

  /** Ticks until some node leads (or throws). */
  electLeader(maxRounds = 200): NodeId {
    for (let round = 0; round < maxRounds; round++) {
      const leader = this.leader();
      if (leader !== undefined) return leader;
      this.run(1);
    }
    throw new Error("no leader elected");
  }

  /** Makes `id` campaign now: ticks only it until it leaves the follower role, then delivers. */
  campaign(id: NodeId): void {
    for (let i = 0; i < 100 && this.core(id).currentRole === "follower"; i++) this.tick(id);
    this.deliverAll();
  }

  leader(): NodeId | undefined {
    return this.ids.find((id) => this.core(id).currentRole === "leader");
  }

  isolate(id: NodeId): void {
    for (const other of this.ids) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`).add(`${other}>${id}`);
    }
    this.queue = this.queue.filter((message) => message.from !== id && message.to !== id);
  }

  recover(): void {
    this.cut.clear();
  }

  messagesOfType<T extends Message["type"]>(type: T): Array<Extract<Message, { type: T }>> {
    return this.queue.filter((message): message is Extract<Message, { type: T }> => message.type === type);
  }
}
