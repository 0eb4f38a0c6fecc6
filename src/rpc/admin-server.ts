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

function answered<Request, Reply>(handle: (request: Request, caller: string) => Promise<Reply>): grpc.handleUnaryCall<Request, Reply> {
  return (call, callback) => {
    handle(call.request, call.getPeer()).then(
      (reply) => callback(null, reply),
      (error) => callback(toServiceError(error)),
    );
  };
}

/** An operator's change, logged when asked and when done or refused: who changed the cluster, and how it ended. */
function audited<Reply>(logger: Logger, action: string, caller: string, work: () => Promise<Reply>): Promise<Reply> {
  logger.info(`admin: ${action} asked`, { from: caller });
  return work().then(
    (reply) => {
      logger.info(`admin: ${action} done`, { from: caller });
      return reply;
    },
    (error: Error) => {
      logger.warn(`admin: ${action} refused`, { from: caller, reason: error.message });
      throw error;
    },
  );
}

/** `describe`: this replica's own status (any member answers it; the other calls want the leader). */
export function adminHandlers(node: AdminNode, describe: () => MemberStatusReply, logger: Logger): AdminServiceHandlers {
  return {
    Backup: backupHandler(node, logger),
    // Status and MemberStatus are asked every few seconds by monitors: not logged.
    Status: answered(async () => node.status()),
    MemberStatus: answered(async () => describe()),
    RemoveServer: answered((request, caller) => audited(logger, `remove server ${request.id}`, caller, () => node.removeServer(request.id))),
    TransferLeader: answered((request, caller) => audited(logger, `transfer the leadership to ${request.id}`, caller, () => node.transferLeader(request.id))),
  };
}
