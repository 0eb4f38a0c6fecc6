/**
 * Logs an operator can read and a machine can parse: JSON lines or text,
 * a level below which nothing is written, the replica's id and term on
 * every line, and the reasons behind role changes and peer trouble.
 */
import { describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { createLogger, parseLogOption, logLevels } from "../../src/logger.ts";
import { roleChangeReason } from "../../src/log/raft-node.ts";
import { PeerReachability } from "../../src/rpc/peer-reachability.ts";

function collected(options: Parameters<typeof createLogger>[1]) {
  const lines: string[] = [];
  const logger = createLogger("replica-2", { ...(typeof options === "string" ? { level: options } : options), write: (line) => lines.push(line) });
  return { logger, lines };
}

describe("the logger", () => {
  test("JSON lines carry time, level, name, the fixed fields, the term from the context, the message and its fields", () => {
    const { logger, lines } = collected({ format: "json", fields: { replica: 2 } });
    logger.info("before the node runs");
    let term = 4;
    logger.setContext(() => ({ term }));
    logger.warn("slow fsync", { ms: 250, error: new Error("disk busy") });
    term = 5;
    logger.info("role leader");
    const parsed = lines.map((line) => JSON.parse(line));
    expect(lines.every((line) => line.endsWith("\n") && line.indexOf("\n") === line.length - 1)).toBe(true);
    expect(parsed[0]).toMatchObject({ level: "info", name: "replica-2", replica: 2, msg: "before the node runs" });
    expect(parsed[1]).toMatchObject({ level: "warn", replica: 2, term: 4, msg: "slow fsync", ms: 250, error: "disk busy" });
    expect(parsed[2]).toMatchObject({ term: 5, msg: "role leader" });
    expect(Number.isNaN(Date.parse(parsed[1].time))).toBe(false);
  });

  test("text lines name the replica and its term", () => {
    const { logger, lines } = collected({ format: "text" });
    logger.setContext(() => ({ term: 7 }));
    logger.info("serving", { address: "127.0.0.1:5000", peers: "2@a b" });
    expect(lines[0]).toMatch(/^\S+ INFO {2}replica-2 term 7: serving address=127.0.0.1:5000 peers="2@a b"\n$/);
  });

  test("lines below the level are not written", () => {
    const { logger, lines } = collected({ level: "warn", format: "json" });
    logger.debug("tick");
    logger.info("role follower");
    logger.warn("peer unreachable");
    logger.error("fatal");
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["peer unreachable", "fatal"]);
  });

  test("a bad --log-level or --log-format names the flag and the choices", () => {
    expect(parseLogOption("log-level", "warn", logLevels)).toBe("warn");
    expect(() => parseLogOption("log-level", "loud", logLevels)).toThrow('--log-level must be one of debug, info, warn, error, not "loud"');
  });
});

describe("why the role changed", () => {
  const follower = (leaderId: number) => ({ role: "follower" as const, leaderId });
  test.each([
    [follower(2), { role: "preCandidate", leaderId: 0 }, false, "election timeout: no word from leader 2"],
    [follower(0), { role: "preCandidate", leaderId: 0 }, true, "campaigning at once at start"],
    [{ role: "preCandidate", leaderId: 0 }, { role: "candidate", leaderId: 0 }, false, "pre-vote won"],
    [follower(1), { role: "candidate", leaderId: 0 }, false, "handed its leadership over (transfer)"],
    [{ role: "candidate", leaderId: 0 }, { role: "leader", leaderId: 3 }, false, "won the election"],
    [{ role: "leader", leaderId: 3 }, follower(0), false, "stepped down: quorum lost"],
    [{ role: "leader", leaderId: 3 }, follower(1), false, "stepped down: replica 1 leads a newer term"],
    [{ role: "candidate", leaderId: 0 }, follower(1), false, "replica 1 won the election"],
  ] as const)("%o to %o says why", (before, after, atStart, expected) => {
    expect(roleChangeReason(before, after, atStart)).toContain(expected);
  });
});

describe("peer reachability", () => {
  const unavailable = Object.assign(new Error("down"), { code: grpc.status.UNAVAILABLE, details: "connection refused", metadata: new grpc.Metadata() });
  const refused = Object.assign(new Error("no"), { code: grpc.status.UNAUTHENTICATED, details: "wrong key", metadata: new grpc.Metadata() });
  const peers = new Map([
    [2, "127.0.0.1:5002"],
    [3, "127.0.0.1:5003"],
  ]);

  test("a peer is reported unreachable once, back once with how long it was gone, and quorum lost and regained as they cross a majority", () => {
    const { logger, lines } = collected({ format: "json" });
    const reachability = new PeerReachability(logger, () => peers);
    reachability.failed(2, unavailable);
    reachability.failed(2, unavailable);
    reachability.answered(3);
    reachability.failed(3, unavailable);
    reachability.answered(2);
    reachability.answered(2);
    const messages = lines.map((line) => JSON.parse(line));
    expect(messages.map((message) => message.msg.split(":")[0])).toEqual([
      "peer unreachable",
      "peer unreachable",
      "quorum lost",
      "peer reachable again",
      "quorum regained",
    ]);
    expect(messages[0]).toMatchObject({ peer: 2, address: "127.0.0.1:5002", reason: "connection refused" });
    expect(messages[2]).toMatchObject({ reaches: 1, of: 3, unreachable: "2,3" });
    expect(typeof messages[3].downMs).toBe("number");
  });

  test("a refusal is not unreachability, and a peer removed from the membership is no longer missed", () => {
    const { logger, lines } = collected({ format: "json" });
    let current: Map<number, string> = peers;
    const reachability = new PeerReachability(logger, () => current);
    reachability.failed(2, refused);
    expect(lines).toEqual([]);
    reachability.failed(2, unavailable);
    reachability.failed(3, unavailable);
    current = new Map([[2, "127.0.0.1:5002"]]);
    reachability.forgetAllBut(current);
    reachability.answered(3);
    expect(lines.map((line) => JSON.parse(line).msg.split(":")[0])).toEqual(["peer unreachable", "peer unreachable", "quorum lost"]);
  });
});
