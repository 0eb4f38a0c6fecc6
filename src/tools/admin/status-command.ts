/**
 * `admin status [--json] [--watch] [--interval SECONDS]`: asks every member
 * (cluster-status.ts), prints a table or JSON, and exits 1 when the cluster
 * has no leader or a member is unreachable, so scripts can rely on it.
 */
import * as grpc from "@grpc/grpc-js";
import { statusWatchIntervalMsMax, statusWatchIntervalMsMin } from "../../limits.ts";
import { clusterKeyHeader } from "../../rpc/cluster-secret.ts";
import type { AdminServiceClient } from "../../rpc/generated/chat/AdminService.ts";
import { chatProto } from "../../rpc/proto.ts";
import { channelSecurity, type TlsMaterial } from "../../rpc/tls.ts";
import { gatherStatus, type Answer, type ClusterStatus, type MemberRow } from "./cluster-status.ts";

/** Deadline of one member's answer: a dead member must not hold the report up for long. */
export const memberStatusDeadlineMs = 2_000;

export interface StatusOptions {
  seeds: string[];
  adminKey: string;
  json: boolean;
  /** Refresh this often until interrupted; undefined prints once. */
  watchIntervalMs?: number;
  /** The CA and the operator's certificate (mutual TLS); null or absent: plain text. */
  tls?: TlsMaterial | null;
}

/** Asks one replica for its own status, with the admin key. */
export function askMember(adminKey: string, tls: TlsMaterial | null = null): (address: string) => Promise<Answer> {
  const metadata = new grpc.Metadata();
  metadata.set(clusterKeyHeader, adminKey);
  return (address) => {
    const { credentials, options } = channelSecurity(tls, address);
    const stub = new chatProto.chat.AdminService(address, credentials, options) as AdminServiceClient;
    return new Promise<Answer>((resolve) => {
      stub.MemberStatus({}, metadata, { deadline: Date.now() + memberStatusDeadlineMs }, (error, reply) => {
        stub.close();
        if (error) resolve({ error: error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED ? "no answer" : error.details });
        else resolve({ reply: reply! });
      });
    });
  };
}

/** Prints the status once (or until interrupted with --watch); resolves with the exit code of the last report. */
export async function runStatus(options: StatusOptions): Promise<number> {
  const ask = askMember(options.adminKey, options.tls ?? null);
  for (;;) {
    const status = await gatherStatus(options.seeds, ask);
    if (options.json) console.log(JSON.stringify(toJson(status)));
    else {
      if (options.watchIntervalMs !== undefined && process.stdout.isTTY) process.stdout.write("\x1b[2J\x1b[H");
      console.log(renderStatus(status, new Date()));
    }
    const code = status.problems.length === 0 ? 0 : 1;
    if (options.watchIntervalMs === undefined) return code;
    await Bun.sleep(options.watchIntervalMs);
  }
}

/** `--interval SECONDS`, bounded so a typo neither floods the cluster nor looks frozen. */
export function parseWatchInterval(text: string): number {
  const ms = Number(text) * 1000;
  if (!Number.isFinite(ms) || ms < statusWatchIntervalMsMin || ms > statusWatchIntervalMsMax) {
    throw new Error(`--interval must be from ${statusWatchIntervalMsMin / 1000} to ${statusWatchIntervalMsMax / 1000} seconds, not "${text}"`);
  }
  return ms;
}

function toJson(status: ClusterStatus) {
  const row = (member: MemberRow) => ({
    id: member.id,
    address: member.address,
    membership: member.membership,
    reachable: member.reply !== null,
    error: member.error,
    lagEntries: member.lagEntries,
    ...(member.reply
      ? {
          role: member.reply.role,
          term: member.reply.term,
          leaderId: member.reply.leaderId,
          commitIndex: member.reply.commitIndex,
          appliedIndex: member.reply.appliedIndex,
          lastIndex: member.reply.lastIndex,
          snapshotIndex: member.reply.snapshotIndex,
          logEntries: member.reply.lastIndex - member.reply.snapshotIndex,
          lastContactMs: member.reply.lastContactMs,
          databaseBytes: member.reply.databaseBytes,
          version: member.reply.version,
        }
      : {}),
  });
  return {
    healthy: status.problems.length === 0,
    leader: status.leader,
    problems: status.problems,
    members: status.members.map(row),
    others: status.others.map(row),
  };
}

const columns = ["id", "address", "member", "reachable", "role", "term", "commit", "applied", "log", "snapshot", "lag", "last contact", "db size", "version"];

/** The report as text: a headline, one line per member, then the problems. */
export function renderStatus(status: ClusterStatus, at: Date): string {
  const headline = status.leader
    ? `leader ${status.leader.id} at ${status.leader.address}, term ${status.leader.term}`
    : "NO LEADER: the cluster cannot take writes or serve reads";
  const rows = [...status.members, ...status.others].map(cells);
  const widths = columns.map((name, at) => Math.max(name.length, ...rows.map((row) => row[at]!.length)));
  const line = (values: string[]) =>
    values
      .map((value, at) => value.padEnd(widths[at]!))
      .join("  ")
      .trimEnd();
  const lines = [`${headline}  (${at.toISOString()})`, "", line(columns), ...rows.map(line), ""];
  if (status.others.length > 0) lines.push("member none: answered, but is not in the cluster's membership (removed, or joining and not added yet)");
  lines.push(status.problems.length === 0 ? "healthy: a leader, and every member answers" : status.problems.map((problem) => `problem: ${problem}`).join("\n"));
  return lines.join("\n");
}

function cells(member: MemberRow): string[] {
  const reply = member.reply;
  if (!reply) return [String(member.id), member.address, member.membership, "NO", ...Array(columns.length - 4).fill("-")];
  return [
    String(member.id),
    member.address,
    member.membership,
    "yes",
    reply.role,
    String(reply.term),
    String(reply.commitIndex),
    String(reply.appliedIndex),
    String(reply.lastIndex - reply.snapshotIndex),
    String(reply.snapshotIndex),
    member.lagEntries === null ? "-" : String(member.lagEntries),
    lastContact(reply.role, reply.lastContactMs),
    bytes(reply.databaseBytes),
    reply.version,
  ];
}

function lastContact(role: string, ms: number): string {
  if (role === "leader") return "(leads)";
  if (ms < 0) return "never";
  return ms < 10_000 ? `${ms} ms ago` : `${Math.round(ms / 1000)} s ago`;
}

function bytes(count: number): string {
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(0)} KiB`;
  return `${(count / (1024 * 1024)).toFixed(1)} MiB`;
}
