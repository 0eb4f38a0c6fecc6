// Safety invariants checked while the simulation runs. Each check throws a
// SimViolation naming the invariant; the runner prints it with the seed.
//
// The "known committed log" is the union of every prefix some node has durably
// marked committed (HardState.commit). Raft's State Machine Safety says all
// nodes agree on it, and it only grows (paper §5.4.3).
//
// Quorums are those of the voter set in force on the node that commits (its
// latest config entry, dissertation §4.1); a disk "holds" an entry if it has
// it or a snapshot covering it.

import type { Entry, HardState, NodeId, Ready, SnapshotMeta } from "../../log/raft/index.ts";
import type { MemoryStorage } from "../../log/raft/index.ts";
import { SimViolation } from "./state-machine.ts";

export interface DiskView {
  id: NodeId;
  disk: MemoryStorage;
}

export class InvariantChecker {
  /** term -> the one node that led it (paper §5.2 Election Safety). */
  readonly leaders = new Map<number, NodeId>();
  /** committed[i - 1] is the entry known committed at index i. */
  readonly committed: Entry[] = [];
  /**
   * commitTerms[i - 1]: the term of the node that first persisted index i as
   * committed. Only a leader persists a new commit index before anyone else
   * can learn it, so this is the term in which the entry was committed.
   */
  private readonly commitTerms: number[] = [];
  /** "term:candidate" -> nodes that sent it a granted vote. */
  private readonly grants = new Map<string, Set<NodeId>>();
  /** State-machine hash at each applied index, as the first node to reach it had it. */
  private readonly hashes = new Map<number, string>();

  /**
   * Election Safety and Leader Completeness (paper §5.4.1) for a node seen
   * acting as leader; also that it won with the votes of its own voters only
   * (learners and non-members never count, dissertation §4.2.1).
   */
  onLeader(id: NodeId, term: number, termAt: (index: number) => number | undefined, firstIndex: number, voters: readonly NodeId[]): void {
    const known = this.leaders.get(term);
    if (known === id) return;
    if (known !== undefined) throw new SimViolation("at most one leader per term", `term ${term}: ${known} and ${id}`);
    this.leaders.set(term, id);
    const granted = this.grants.get(`${term}:${id}`) ?? new Set<NodeId>();
    const votes = voters.filter((voter) => voter === id || granted.has(voter)).length;
    if (!voters.includes(id) || votes < quorumOf(voters)) {
      throw new SimViolation(
        "leaders are elected by their voters only",
        `node ${id} leads term ${term} with voters ${voters.join(",")} but grants from ${[...granted].join(",")}`,
      );
    }
    // Only entries committed in earlier terms: a candidate of an old term may
    // still win with votes granted long ago, after a newer term committed more.
    this.committed.forEach((entry, position) => {
      if (entry.index < firstIndex - 1) return; // compacted into its snapshot, checked when taken
      if (this.commitTerms[position]! < term && termAt(entry.index) !== entry.term) {
        throw new SimViolation(
          "leader completeness",
          `leader ${id} of term ${term} lacks ${describe(entry)} committed in term ${this.commitTerms[position]} (has term ${termAt(entry.index)})`,
        );
      }
    });
  }

  /** Durable state only moves forward: terms, one vote per term, commit, and no overwrite of committed entries. */
  beforePersist(id: NodeId, ready: Ready, disk: MemoryStorage): void {
    const old = disk.hardState;
    if (ready.hardState) checkHardStateStep(id, old, ready.hardState);
    const first = ready.entries[0];
    if (first && first.index <= old.commit) {
      throw new SimViolation("committed entries never change", `node ${id} overwrites from ${first.index} at or below its commit ${old.commit}`);
    }
  }

  /** A granted (real) vote, as sent. A node outside its own membership must never grant one. */
  onVoteGranted(voter: NodeId, candidate: NodeId, term: number, voterIsMember: boolean): void {
    if (!voterIsMember)
      throw new SimViolation("non-members never vote", `node ${voter} is in no membership of its own but granted ${candidate} a vote in term ${term}`);
    const key = `${term}:${candidate}`;
    const set = this.grants.get(key) ?? new Set<NodeId>();
    this.grants.set(key, set);
    set.add(voter);
  }

  /** A snapshot (taken or installed) covers only committed entries, and agrees with them at its index. */
  onSnapshot(id: NodeId, snapshot: SnapshotMeta): void {
    const known = this.committed[snapshot.index - 1];
    if (!known || known.term !== snapshot.term) {
      throw new SimViolation(
        "snapshots hold committed entries only",
        `node ${id} snapshot ${snapshot.index}@${snapshot.term}, known ${known ? describe(known) : "nothing"}`,
      );
    }
  }

  /** Every state machine has the same state at the same applied index (including right after a snapshot install). */
  onStateHash(id: NodeId, index: number, hash: string): void {
    const known = this.hashes.get(index);
    if (known === undefined) this.hashes.set(index, hash);
    else if (known !== hash) throw new SimViolation("state machines agree at every applied index", `node ${id} at ${index} has ${hash}, another had ${known}`);
  }

  /** A new cluster's founding entry (index 1), committed on every founder's disk before any election. */
  onFounded(entry: Entry, foundedTerm: number): void {
    if (this.committed.length === 0) {
      this.committed.push(entry);
      this.commitTerms.push(foundedTerm);
    }
  }

  /**
   * Records what the node's disk now marks committed; it must agree with
   * everything known and sit on a majority of its voters. `votersBefore`: the
   * voters before the node's latest config entry while that entry is not
   * committed. A leader may have counted a commit under them just before it
   * appended the change, in the same Ready; with one-server changes a
   * majority of either set is safe (dissertation §4.1).
   */
  afterPersist(
    id: NodeId,
    previousCommit: number,
    disk: MemoryStorage,
    disks: readonly DiskView[],
    voters: readonly NodeId[],
    votersBefore: readonly NodeId[] | null = null,
  ): void {
    const commit = disk.hardState.commit;
    if (commit > disk.lastIndex()) throw new SimViolation("commit within the durable log", `node ${id} commit ${commit} > last ${disk.lastIndex()}`);
    // Entries covered by an installed snapshot were committed before it was taken.
    for (let index = Math.max(previousCommit, disk.snapshot().index) + 1; index <= commit; index++) {
      const entry = disk.entries(index, index + 1)[0]!;
      const among = (ids: readonly NodeId[]) => disks.filter((view) => ids.includes(view.id));
      this.recordCommitted(id, entry, disk.hardState.term, among(voters), votersBefore ? among(votersBefore) : null);
    }
  }

  private recordCommitted(id: NodeId, entry: Entry, commitTerm: number, disks: readonly DiskView[], disksBefore: readonly DiskView[] | null): void {
    const known = this.committed[entry.index - 1];
    if (known) {
      if (!sameEntry(known, entry)) {
        throw new SimViolation(
          "no two replicas commit different entries at one index",
          `index ${entry.index}: ${describe(known)} vs node ${id} ${describe(entry)}`,
        );
      }
      return;
    }
    if (entry.index !== this.committed.length + 1) {
      throw new SimViolation("committed prefix is contiguous", `node ${id} commits ${entry.index} with only ${this.committed.length} known`);
    }
    // Committed means durable on a majority (paper §5.3); a leader that counted
    // itself before its fsync would fail this after a crash.
    const holders = (among: readonly DiskView[]) => among.filter(({ disk }) => holds(disk, entry)).length;
    if (holders(disks) < quorumOf(disks) && (!disksBefore || holders(disksBefore) < quorumOf(disksBefore))) {
      throw new SimViolation("a committed entry is durable on a majority", `index ${entry.index} on ${holders(disks)} of ${disks.length} voters' disks`);
    }
    this.checkNoElectionCanLose(entry, disks);
    if (disksBefore) this.checkNoElectionCanLose(entry, disksBefore);
    this.committed.push(entry);
    this.commitTerms.push(commitTerm);
  }

  /**
   * The heart of Raft's safety argument (paper §5.4.3): once an entry commits,
   * no node lacking it can collect a majority of votes, because every holder
   * has a more up-to-date log (§5.4.1). Checked from the durable state at the
   * moment of commit, this catches an unsafe commit (figure 8) before any
   * election has to exploit it.
   */
  private checkNoElectionCanLose(entry: Entry, disks: readonly DiskView[]): void {
    for (const candidate of disks) {
      if (holds(candidate.disk, entry)) continue;
      const lastIndex = candidate.disk.lastIndex();
      const lastTerm = candidate.disk.term(lastIndex)!;
      const voters = disks.filter(({ disk }) => {
        const voterLastTerm = disk.term(disk.lastIndex())!;
        return lastTerm > voterLastTerm || (lastTerm === voterLastTerm && lastIndex >= disk.lastIndex());
      });
      if (voters.length >= quorumOf(disks)) {
        const ids = voters.map(({ id }) => id).join(",");
        throw new SimViolation(
          "no future leader can lack a committed entry",
          `${describe(entry)} just committed, but node ${candidate.id} lacks it and nodes ${ids} would elect it`,
        );
      }
    }
  }

  /** What a state machine applies must be the known committed entry at that index. */
  onApply(id: NodeId, entry: Entry): void {
    const known = this.committed[entry.index - 1];
    if (!known || !sameEntry(known, entry)) {
      throw new SimViolation("apply only committed entries", `node ${id} applies ${describe(entry)}, known ${known ? describe(known) : "nothing"}`);
    }
  }

  /** At the end: every committed entry still on a majority of the voters' disks, and on every member's disk up to its commit. */
  checkDisks(disks: readonly DiskView[], voters: readonly NodeId[]): void {
    const voterDisks = disks.filter((view) => voters.includes(view.id));
    for (const entry of this.committed) {
      const holders = voterDisks.filter(({ disk }) => holds(disk, entry)).length;
      if (holders < quorumOf(voterDisks)) throw new SimViolation("committed entries never vanish", `index ${entry.index} left on ${holders} voters' disks`);
    }
    for (const { id, disk } of disks) {
      for (let index = disk.snapshot().index + 1; index <= disk.hardState.commit; index++) {
        const entry = disk.entries(index, index + 1)[0]!;
        if (!sameEntry(entry, this.committed[index - 1]!)) throw new SimViolation("committed entries never change", `node ${id} index ${index}`);
      }
    }
  }
}

function checkHardStateStep(id: NodeId, old: HardState, next: HardState): void {
  if (next.term < old.term) throw new SimViolation("terms never go back", `node ${id}: ${old.term} -> ${next.term}`);
  if (next.term === old.term && old.vote !== 0 && next.vote !== old.vote) {
    throw new SimViolation("at most one vote per term", `node ${id} term ${next.term}: voted ${old.vote} then ${next.vote}`);
  }
  if (next.commit < old.commit) throw new SimViolation("commit never goes back", `node ${id}: ${old.commit} -> ${next.commit}`);
}

function quorumOf(voters: readonly unknown[]): number {
  return Math.floor(voters.length / 2) + 1;
}

/** The disk has the entry, or a snapshot that covers it. */
function holds(disk: MemoryStorage, entry: Entry): boolean {
  return entry.index <= disk.snapshot().index || disk.term(entry.index) === entry.term;
}

function sameEntry(a: Entry, b: Entry): boolean {
  return a.index === b.index && a.term === b.term && a.type === b.type && a.data === b.data;
}

function describe(entry: Entry): string {
  return `${entry.index}@${entry.term}:${entry.type}${entry.data ? ` ${entry.data}` : ""}`;
}
