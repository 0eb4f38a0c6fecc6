/**
 * The key a peer or admin call presents (derived from the cluster secret for
 * that purpose, src/keys.ts): sent as metadata, checked in constant time.
 */
import type { Metadata } from "@grpc/grpc-js";
import { createHash, timingSafeEqual } from "node:crypto";

export const clusterKeyHeader = "cluster-key";

/** Compares digests, so neither the length nor a prefix of the key leaks through timing. */
export function secretMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(expected), digest(presented));
}

export function presentedKey(metadata: Metadata): string | undefined {
  const value = metadata.get(clusterKeyHeader)[0];
  return value === undefined ? undefined : String(value);
}
