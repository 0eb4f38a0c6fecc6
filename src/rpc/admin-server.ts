/**
 * The operator's service: cluster status (the leader's view, and each
 * member's own), backups, removing a server, moving the
 * leadership. Authenticated with the admin key (derived from the cluster
 * secret, src/keys.ts), which opens no peer call; src/rpc/key-gate.ts checks
 * it before a request is read.
 */
import type * as grpc from "@grpc/grpc-js";
import type { Membership } from "../log/membership.ts";
import type { Logger } from "../logger.ts";
import { backupHandler, type BackupSource } from "./backup-server.ts";
import type { AdminServiceHandlers } from "./generated/chat/AdminService.ts";
import type { MemberStatusReply } from "./generated/chat/MemberStatusReply.ts";
import type { StatusReply } from "./generated/chat/StatusReply.ts";
import { toServiceError } from "./status.ts";

/** What the admin service needs of the node (and, for backups, of the projections). */
export interface AdminNode extends BackupSource {
  status(): StatusReply;
  /** Resolves once the removal is committed; throws NotLeaderError on a follower. */
  removeServer(id: number): Promise<Membership>;
  /** Resolves once `id` leads (or throws after an election timeout). */
  transferLeader(id: number): Promise<{ leaderId: number; leaderAddress: string }>;
}

function answered<Request, Reply>(handle: (request: Request) => Promise<Reply>): grpc.handleUnaryCall<Request, Reply> {
  return (call, callback) => {
    handle(call.request).then(
      (reply) => callback(null, reply),
      (error) => callback(toServiceError(error)),
    );
  };
}

/** `describe`: this replica's own status (any member answers it; the other calls want the leader). */
export function adminHandlers(node: AdminNode, describe: () => MemberStatusReply, logger: Logger): AdminServiceHandlers {
  return {
    Backup: backupHandler(node, logger),
    Status: answered(async () => node.status()),
    MemberStatus: answered(async () => describe()),
    RemoveServer: answered((request) => node.removeServer(request.id)),
    TransferLeader: answered((request) => node.transferLeader(request.id)),
  };
}
