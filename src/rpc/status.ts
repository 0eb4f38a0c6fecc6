/** The one place where failures become gRPC statuses. */
import * as grpc from "@grpc/grpc-js";
import { MembershipChangeError, NotLeaderError, OverloadedError } from "../log/errors.ts";
import { ChatError, type ErrorCode } from "../projections/operations.ts";

/** Trailing metadata key that carries the leader's host:port on UNAVAILABLE. */
export const leaderAddressKey = "leader-address";

const statusByCode: Record<ErrorCode, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
};

export function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  if (error instanceof ChatError) return { code: statusByCode[error.code], details: error.message };
  if (error instanceof NotLeaderError) {
    const metadata = new grpc.Metadata();
    if (error.leaderAddress) metadata.set(leaderAddressKey, error.leaderAddress);
    return { code: grpc.status.UNAVAILABLE, details: error.message, metadata };
  }
  if (error instanceof OverloadedError) return { code: grpc.status.RESOURCE_EXHAUSTED, details: error.message };
  if (error instanceof MembershipChangeError) return { code: membershipStatus(error), details: error.message };
  console.error("internal error while serving a request:", error);
  return { code: grpc.status.INTERNAL, details: "internal error; see the replica's log" };
}

/**
 * An id or address another member has is ALREADY_EXISTS: retrying cannot
 * help (src/rpc/join-client.ts gives up on it). The other refusals pass once
 * a change in progress commits: FAILED_PRECONDITION, retried.
 */
function membershipStatus(error: MembershipChangeError): grpc.status {
  return error.reason === "idInUse" || error.reason === "addressInUse" ? grpc.status.ALREADY_EXISTS : grpc.status.FAILED_PRECONDITION;
}
