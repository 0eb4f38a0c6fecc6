/**
 * The cluster view: every poll asks each replica who leads (GetLeaderInfo,
 * straight to that replica, no redirect) and, with the cluster secret, the
 * leader for its status (AdminService.Status: commit index, each replica's
 * log position). A leader is a replica that names itself; when the one
 * seen last stops doing so, the view counts how long the cluster has no
 * leader, and when another is seen it records a failover. Times are
 * measured to within one poll (clusterPollMs).
 */
import * as grpc from "@grpc/grpc-js";
import { deriveClusterKeys } from "../keys.ts";
import { clusterKeyHeader } from "../rpc/cluster-secret.ts";
import type { AdminServiceClient } from "../rpc/generated/chat/AdminService.ts";
import type { ChatServiceClient } from "../rpc/generated/chat/ChatService.ts";
import type { GetLeaderInfoReply__Output } from "../rpc/generated/chat/GetLeaderInfoReply.ts";
import type { StatusReply__Output } from "../rpc/generated/chat/StatusReply.ts";
import { chatProto } from "../rpc/proto.ts";
import { channelSecurity, type TlsMaterial } from "../rpc/tls.ts";
import { clusterCallDeadlineMs, clusterPollMs, clusterReplicasMax, failoversShownMax } from "./constants.ts";
import type { ClusterView, FailoverView, ReplicaView } from "./protocol.ts";

type Reply = GetLeaderInfoReply__Output | null;

interface Leader {
  id: number;
  address: string;
  term: number;
}

export class ClusterMonitor {
  private readonly known: string[];
  private readonly stubs = new Map<string, ChatServiceClient>();
  private adminStub: { address: string; stub: AdminServiceClient } | null = null;
  private secret: string | null;
  private note: string | null = null;
  private lastLeader: Leader | null = null;
  private leaderlessSinceMs: number | null = null;
  private readonly failovers: FailoverView[] = [];
  private view: ClusterView | null = null;
  private viewKey = "";
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  /** Runs with every view that differs from the previous one. */
  onChange: (view: ClusterView) => void = () => {};

  /** `tls`: the CA (and a client certificate, which the admin status needs under mutual TLS); null: plain text. */
  constructor(
    addresses: string[],
    secret: string | null,
    private readonly tls: TlsMaterial | null = null,
  ) {
    this.known = [...new Set(addresses)].slice(0, clusterReplicasMax);
    this.secret = secret;
  }

  current(): ClusterView | null {
    return this.view;
  }

  /** Polls every clusterPollMs (the next poll starts once the last one has finished) until `stop`. */
  start(): void {
    const next = async () => {
      await this.poll();
      if (!this.stopped) this.timer = setTimeout(next, clusterPollMs);
    };
    void next();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
    this.adminStub?.stub.close();
    this.adminStub = null;
  }

  /** One round: ask, compare with what was seen before, and tell `onChange` if anything changed. */
  async poll(): Promise<ClusterView> {
    const replies = await Promise.all(this.known.map((address) => this.leaderInfo(address)));
    const now = Date.now();
    const repliesByAddress = new Map(this.known.map((address, at) => [address, replies[at] ?? null]));
    const members = this.learnMembers(replies);
    const leader = leaderOf(replies);
    const status = leader && this.secret ? await this.status(leader.address) : null;
    this.track(leader, now);
    const view: ClusterView = {
      source: this.secret ? "admin" : "leader-info",
      observedAtMs: now,
      pollMs: clusterPollMs,
      leader,
      commitIndex: status ? Number(status.commitIndex) : null,
      lastIndex: status ? Number(status.lastIndex) : null,
      leaderlessForMs: this.leaderlessSinceMs === null ? null : now - this.leaderlessSinceMs,
      replicas: members.map((member) => replicaView(member, repliesByAddress.get(member.address) ?? null, leader, status)),
      failovers: [...this.failovers],
      note: this.note,
    };
    this.publish(view);
    return view;
  }

  /** The membership of the reply with the highest term (the log's), else every address known; new addresses are polled from now on. */
  private learnMembers(replies: Reply[]): { id: number | null; address: string }[] {
    const newest = replies.reduce<Reply>((best, reply) => (reply && reply.replicas.length > 0 && (!best || reply.term > best.term) ? reply : best), null);
    if (!newest) return this.known.map((address) => ({ id: null, address }));
    for (const { address } of newest.replicas) {
      if (!this.known.includes(address) && this.known.length < clusterReplicasMax) this.known.push(address);
    }
    return newest.replicas.slice(0, clusterReplicasMax).map(({ id, address }) => ({ id, address }));
  }

  /** A failover is a leader other than the last one seen (another server, or the same one in a new term). */
  private track(leader: Leader | null, now: number): void {
    if (!leader) {
      this.leaderlessSinceMs ??= now;
      return;
    }
    const last = this.lastLeader;
    if (last && (last.id !== leader.id || last.term !== leader.term)) {
      const leaderlessMs = this.leaderlessSinceMs === null ? 0 : now - this.leaderlessSinceMs;
      this.failovers.unshift({ atMs: now, fromId: last.id, toId: leader.id, term: leader.term, leaderlessMs });
      this.failovers.splice(failoversShownMax);
    }
    this.lastLeader = leader;
    this.leaderlessSinceMs = null;
  }

  private publish(view: ClusterView): void {
    this.view = view;
    const key = JSON.stringify({ ...view, observedAtMs: 0 });
    if (key === this.viewKey) return;
    this.viewKey = key;
    this.onChange(view);
  }

  private leaderInfo(address: string): Promise<Reply> {
    let stub = this.stubs.get(address);
    if (!stub) {
      const { credentials, options } = channelSecurity(this.tls, address);
      stub = new chatProto.chat.ChatService(address, credentials, options);
      this.stubs.set(address, stub);
    }
    const deadline = Date.now() + clusterCallDeadlineMs;
    return new Promise((resolve) => stub.GetLeaderInfo({}, { deadline }, (error, reply) => resolve(error || !reply ? null : reply)));
  }

  /** The leader's status; null when it does not answer. A refused secret is not tried again. */
  private status(address: string): Promise<StatusReply__Output | null> {
    if (this.adminStub?.address !== address) {
      this.adminStub?.stub.close();
      const { credentials, options } = channelSecurity(this.tls, address);
      this.adminStub = { address, stub: new chatProto.chat.AdminService(address, credentials, options) };
    }
    const { stub } = this.adminStub;
    const metadata = new grpc.Metadata();
    // The admin key only (src/keys.ts): the secret itself is never sent.
    metadata.set(clusterKeyHeader, this.secret === null ? "" : deriveClusterKeys(this.secret).admin);
    const deadline = Date.now() + clusterCallDeadlineMs;
    return new Promise((resolve) =>
      stub.Status({}, metadata, { deadline }, (error, reply) => {
        if (error?.code === grpc.status.UNAUTHENTICATED) {
          this.secret = null;
          this.note = "The cluster refused the gateway's cluster secret, so only what GetLeaderInfo tells is shown (no log positions).";
        }
        resolve(error || !reply ? null : reply);
      }),
    );
  }
}

/** The replica of the highest term that names itself the leader. */
function leaderOf(replies: Reply[]): Leader | null {
  let leader: Leader | null = null;
  for (const reply of replies) {
    if (!reply || reply.leaderId === 0 || reply.leaderId !== reply.replyingId) continue;
    if (!leader || reply.term > leader.term) leader = { id: reply.leaderId, address: reply.leaderAddress, term: Number(reply.term) };
  }
  return leader;
}

function replicaView(member: { id: number | null; address: string }, reply: Reply, leader: Leader | null, status: StatusReply__Output | null): ReplicaView {
  const id = member.id ?? reply?.replyingId ?? null;
  const fromStatus = status?.replicas.find((replica) => replica.id === id);
  const matchIndex = fromStatus ? Number(fromStatus.matchIndex) : null;
  return {
    id,
    address: member.address,
    role: roleOf(id, reply, leader, fromStatus?.role),
    term: reply ? Number(reply.term) : null,
    matchIndex,
    behind: status && matchIndex !== null ? Math.max(0, Number(status.lastIndex) - matchIndex) : null,
  };
}

function roleOf(id: number | null, reply: Reply, leader: Leader | null, membershipRole: string | undefined): string {
  if (!reply) return "unreachable";
  if (leader && id === leader.id && reply.leaderId === id) return "leader";
  // It still leads an older term: it has not heard of the newer leader yet.
  if (reply.leaderId === reply.replyingId) return "former leader";
  if (membershipRole === "learner") return "learner";
  if (reply.leaderId === 0) return "no leader known";
  return "follower";
}
