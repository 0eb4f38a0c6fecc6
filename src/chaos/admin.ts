/**
 * The chaos nemesis's operator: AdminService calls (status, remove a
 * server, transfer the leadership) and GetLeaderInfo, straight to one
 * replica's real address (an operator's own link, never through a fault
 * proxy), with the admin key, under a short deadline so a stopped replica
 * never holds the nemesis up.
 */
import * as grpc from "@grpc/grpc-js";
import { deriveClusterKeys } from "../keys.ts";
import { clusterKeyHeader } from "../rpc/cluster-secret.ts";
import type { AdminServiceClient } from "../rpc/generated/chat/AdminService.ts";
import type { ChatServiceClient } from "../rpc/generated/chat/ChatService.ts";
import type { StatusReply__Output } from "../rpc/generated/chat/StatusReply.ts";
import { channelOptions, chatProto } from "../rpc/proto.ts";

/** Deadline of a status or leader query. */
const queryDeadlineMs = 1000;
/** Deadline of a removal or transfer: it waits for a commit or an election. */
const changeDeadlineMs = 10_000;

export class ChaosAdmin {
  private readonly metadata = new grpc.Metadata();
  private readonly adminStubs = new Map<string, AdminServiceClient>();
  private readonly chatStubs = new Map<string, ChatServiceClient>();

  constructor(secret: string) {
    this.metadata.set(clusterKeyHeader, deriveClusterKeys(secret).admin);
  }

  /** The replica's own status; null when it does not answer in time (or is not the leader: followers answer too). */
  status(address: string): Promise<StatusReply__Output | null> {
    const stub = this.admin(address);
    return new Promise((resolve) =>
      stub.Status({}, this.metadata, { deadline: Date.now() + queryDeadlineMs }, (error, reply) => resolve(error ? null : reply!)),
    );
  }

  /** Who the replica says leads, and in which term; null when it does not answer. */
  leaderInfo(address: string): Promise<{ leaderId: number; term: number; replicas: { id: number; address: string }[] } | null> {
    const stub = this.chat(address);
    return new Promise((resolve) =>
      stub.GetLeaderInfo({}, { deadline: Date.now() + queryDeadlineMs }, (error, reply) =>
        resolve(error || !reply ? null : { leaderId: reply.leaderId, term: Number(reply.term), replicas: reply.replicas }),
      ),
    );
  }

  /** Removes server `id` through the leader at `address`; the error's text when refused. */
  removeServer(address: string, id: number): Promise<string | null> {
    const stub = this.admin(address);
    return new Promise((resolve) =>
      stub.RemoveServer({ id }, this.metadata, { deadline: Date.now() + changeDeadlineMs }, (error) =>
        resolve(error ? `${grpc.status[error.code]}: ${error.details}` : null),
      ),
    );
  }

  /** Moves the leadership to `id` through the leader at `address`; the error's text when it did not happen. */
  transferLeader(address: string, id: number): Promise<string | null> {
    const stub = this.admin(address);
    return new Promise((resolve) =>
      stub.TransferLeader({ id }, this.metadata, { deadline: Date.now() + changeDeadlineMs }, (error) =>
        resolve(error ? `${grpc.status[error.code]}: ${error.details}` : null),
      ),
    );
  }

  close(): void {
    for (const stub of this.adminStubs.values()) stub.close();
    for (const stub of this.chatStubs.values()) stub.close();
  }

  private admin(address: string): AdminServiceClient {
    let stub = this.adminStubs.get(address);
    if (!stub) {
      stub = new chatProto.chat.AdminService(address, grpc.credentials.createInsecure(), channelOptions);
      this.adminStubs.set(address, stub);
    }
    return stub;
  }

  private chat(address: string): ChatServiceClient {
    let stub = this.chatStubs.get(address);
    if (!stub) {
      stub = new chatProto.chat.ChatService(address, grpc.credentials.createInsecure(), channelOptions);
      this.chatStubs.set(address, stub);
    }
    return stub;
  }
}
