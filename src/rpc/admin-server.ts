/**
 * The operator's service: cluster status, removing a server, moving the
 * leadership. Authenticated with the admin key (derived from the cluster
 * secret, src/keys.ts), which opens no peer call.
 */
import type * as grpc from "@grpc/grpc-js";
import type { Membership } from "../log/membership.ts";
import { refusedWithoutKey } from "./cluster-secret.ts";
import type { AdminServiceHandlers } from "./generated/chat/AdminService.ts";
import type { StatusReply } from "./generated/chat/StatusReply.ts";
import { toServiceError } from "./status.ts";

/** What the admin service needs of the node. */
export interface AdminNode {
  status(): StatusReply;
  /** Resolves once the removal is committed; throws NotLeaderError on a follower. */
  removeServer(id: number): Promise<Membership>;
  /** Resolves once `id` leads (or throws after an election timeout). */
  transferLeader(id: number): Promise<{ leaderId: number; leaderAddress: string }>;
}

function guarded<Request, Reply>(adminKey: string, handle: (request: Request) => Promise<Reply>): grpc.handleUnaryCall<Request, Reply> {
  return (call, callback) => {
    if (refusedWithoutKey(adminKey, call, callback, "admin calls")) return;
    handle(call.request).then(
      (reply) => callback(null, reply),
      (error) => callback(toServiceError(error)),
    );
  };
}

export function adminHandlers(adminKey: string, node: AdminNode): AdminServiceHandlers {
  return {
    Status: guarded(adminKey, async () => node.status()),
    RemoveServer: guarded(adminKey, (request) => node.removeServer(request.id)),
    TransferLeader: guarded(adminKey, (request) => node.transferLeader(request.id)),
  };
}
