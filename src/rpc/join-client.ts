/**
 * The joining side of JoinCluster: find the leader among the servers we
 * know (all asked at once), ask it to add us as a learner, follow
 * redirects, and retry until a deadline. Adding a learner changes nothing
 * for the cluster's safety, so a join that fails half-way can simply be
 * retried.
 */
import * as grpc from "@grpc/grpc-js";
import { GrpcChatTransport } from "../client/grpc-transport.ts";
import { ReplicaDirectory } from "../client/replica-directory.ts";
import type { Logger } from "../logger.ts";
import { clusterKeyHeader } from "./cluster-secret.ts";
import type { JoinReply__Output } from "./generated/chat/JoinReply.ts";
import { chatProto } from "./proto.ts";
import { leaderAddressKey } from "./status.ts";
import { channelSecurity, type TlsMaterial } from "./tls.ts";

/** How long a new server keeps trying to join before it gives up. */
export const joinDeadlineMs = 60_000;
/** Deadline of one JoinCluster call: it waits for a commit. */
const joinCallDeadlineMs = 10_000;
const joinRetryPauseMs = 500;
/** Refusals a retry cannot change: a wrong secret, a malformed request, an id or address another member has. */
const refusedForGood = new Set([grpc.status.UNAUTHENTICATED, grpc.status.INVALID_ARGUMENT, grpc.status.ALREADY_EXISTS]);

export interface JoinTarget {
  id: number;
  address: string;
}

/** What the joiner shows the leader: the peer key, and its certificate under mutual TLS (null: plain text). */
export interface JoinCredentials {
  peerKey: string;
  tls: TlsMaterial | null;
}

/** The join was called off because the replica is stopping. */
export class JoinCancelledError extends Error {
  override name = "JoinCancelledError";
}

export async function joinCluster(
  seeds: string[],
  self: JoinTarget,
  credentials: JoinCredentials,
  logger: Logger,
  signal?: AbortSignal,
): Promise<JoinReply__Output> {
  const transport = new GrpcChatTransport(credentials.tls);
  const directory = new ReplicaDirectory(seeds, transport);
  const giveUpAt = Date.now() + joinDeadlineMs;
  try {
    for (let attempt = 1; Date.now() < giveUpAt; attempt++) {
      if (signal?.aborted) throw new JoinCancelledError("the replica stopped before it joined");
      const leader = await directory.discoverLeader();
      if (!leader) {
        logger.info("looking for the leader", { asked: directory.addresses.join(","), attempt });
        await Bun.sleep(joinRetryPauseMs);
        continue;
      }
      try {
        const reply = await askToJoin(leader, self, credentials);
        logger.info("joined as a learner", { leader: reply.leaderAddress, voters: reply.voters.map((voter) => voter.id).join(",") });
        return reply;
      } catch (error) {
        const failure = error as grpc.ServiceError;
        const redirect = failure.metadata?.get(leaderAddressKey)[0];
        if (redirect) directory.useLeader(String(redirect));
        if (refusedForGood.has(failure.code)) {
          throw new Error(`the cluster refused the join: ${failure.details}`);
        }
        logger.info("join not accepted yet, retrying", { leader, reason: failure.details });
        await Bun.sleep(joinRetryPauseMs);
      }
    }
    throw new Error(`could not join within ${joinDeadlineMs / 1000} s: no leader accepted the request`);
  } finally {
    transport.close();
  }
}

function askToJoin(leader: string, self: JoinTarget, { peerKey, tls }: JoinCredentials): Promise<JoinReply__Output> {
  const { credentials, options } = channelSecurity(tls, leader);
  const stub = new chatProto.chat.PeerService(leader, credentials, options);
  const metadata = new grpc.Metadata();
  metadata.set(clusterKeyHeader, peerKey);
  return new Promise<JoinReply__Output>((resolve, reject) => {
    stub.JoinCluster(self, metadata, { deadline: Date.now() + joinCallDeadlineMs }, (error, reply) => {
      stub.close();
      if (error) reject(error);
      else resolve(reply!);
    });
  });
}
