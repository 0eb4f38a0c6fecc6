/**
 * One chaos run: real replicas behind fault proxies, users running the
 * client library, a seeded nemesis; then every fault heals, the cluster
 * settles, the replicas stop, and the history checker (src/check) judges
 * what the users saw against what every replica holds, with two checks of
 * the chaos run's own: each replica's tables equal a replay of its log, and
 * no replica died by itself. A failed run keeps its folder: the history,
 * the nemesis's schedule, the summary and every replica's log and data.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkHistory, summarizeCheck, type CheckResult, type History } from "../check/history.ts";
import { SimRandom } from "../tools/sim/random.ts";
import { ChaosAdmin } from "./admin.ts";
import { ChaosCluster, chaosSecret } from "./cluster.ts";
import { ChaosUser } from "./clients.ts";
import { appliedIndex, readReplica, type ReplicaReport } from "./final-state.ts";
import { ChaosNetwork } from "./network.ts";
import { Nemesis } from "./nemesis.ts";
import { Recorder } from "./recorder.ts";

export interface ChaosOptions {
  seed: number;
  durationS: number;
  replicas: 3 | 5;
  /** Users, each a client with links of its own (default usersDefault). */
  users?: number;
  /** Keep the run's folder even when it passes. */
  keep?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface ChaosResult {
  ok: boolean;
  seed: number;
  /** Where the history, schedule, summary and replica logs are (deleted after a pass unless kept). */
  folder: string;
  kept: boolean;
  summary: string;
  operations: Record<string, number>;
  faults: Record<string, number>;
  /** Each property's verdict: the checker's six and the chaos run's own. */
  properties: Record<string, string>;
}

export const usersDefault = 6;
/** After healing, each user must get an operation through, and the replicas agree, within this long. */
export const settleMsMax = 90_000;
/** A user pauses this long at most between operations (ms). */
const thinkMsMax = 40;
/** Operations one user runs at most: every load loop is bounded in count as well as time. */
const operationsPerUserMax = 200_000;
/** Spare server slots for joins: one per minute of faults, a few at most. */
const sparesMax = 4;

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => {});
  const random = new SimRandom(options.seed);
  const spares = Math.min(sparesMax, 1 + Math.floor(options.durationS / 60));
  const userCount = options.users ?? usersDefault;
  const cluster = await ChaosCluster.create(options.replicas, spares);
  const network = new ChaosNetwork(cluster.ports(), userCount);
  cluster.network = network;
  const admin = new ChaosAdmin(chaosSecret);
  const recorder = new Recorder();
  const nemesis = new Nemesis(cluster, network, admin, random.fork(), userCount, options.replicas, () => recorder.elapsedMs);
  const names = Array.from({ length: userCount }, (_, i) => `user${i + 1}`);
  const founders = [...cluster.slots.values()].filter((slot) => slot.founder).map((slot) => slot.address);
  const users = names.map(
    (name, index) =>
      new ChaosUser(
        name,
        names.filter((other) => other !== name),
        founders,
        network.clientRoute(index),
        random.fork(),
        recorder,
      ),
  );
  const findings: Record<string, string[]> = { replayEqualsTables: [], noReplicaDied: [], noUnexpectedStatus: recorder.unexpected, settlesAfterHealing: [] };
  let check: CheckResult | null = null;
  let reports: ReplicaReport[] = [];
  try {
    log(`chaos: seed ${options.seed}, ${options.replicas} replicas, ${userCount} users, ${options.durationS} s of faults, folder ${cluster.layout.directory}`);
    await cluster.startFounders();
    const stopUsers = { now: false };
    const loops = users.map((user) => userLoop(user, stopUsers, random.fork()));
    await nemesis.run(options.durationS * 1000);
    log(`chaos: faults over at ${recorder.elapsedMs} ms; healing`);
    await healAll(cluster, network, nemesis, admin);
    const settled = await settle(users, cluster, admin, nemesis, stopUsers);
    if (settled) findings.settlesAfterHealing!.push(settled);
    stopUsers.now = true;
    await Promise.all(loops);
    log(`chaos: settled at ${recorder.elapsedMs} ms; stopping replicas`);
    findings.noReplicaDied!.push(...cluster.unexpectedExits());
    await cluster.stopAll("SIGTERM");
    reports = cluster.members().map((slot) => readReplica(slot.id, cluster.dataDir(slot.id)));
    for (const report of reports) {
      if (report.replayEqual === false)
        findings.replayEqualsTables!.push(`${report.state.replica}: tables differ from a replay of its log in ${report.differingTables.join(", ")}`);
    }
    const history: History = { events: recorder.events, replicas: reports.map((report) => report.state) };
    check = checkHistory(history);
  } catch (error) {
    findings.settlesAfterHealing!.push(`the run stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    for (const user of users) user.close();
    admin.close();
    await cluster.stopAll("SIGKILL");
    network.close();
  }
  return finish(options, cluster, recorder, nemesis, check, reports, findings);
}

/** A user's operations, one after another with a short pause, until told to stop (or its bound). */
async function userLoop(user: ChaosUser, stop: { now: boolean }, random: SimRandom): Promise<void> {
  for (let count = 0; !stop.now && count < operationsPerUserMax; count++) {
    await user.step();
    await Bun.sleep(random.int(0, thinkMsMax));
  }
}

/**
 * Every fault ends: links pass, paused replicas run, clocks are true again;
 * every server the membership still lists runs (the down ones restart),
 * and a server it no longer lists is stopped.
 */
async function healAll(cluster: ChaosCluster, network: ChaosNetwork, nemesis: Nemesis, admin: ChaosAdmin): Promise<void> {
  network.heal();
  for (const slot of cluster.members()) {
    if (slot.state === "paused") cluster.resume(slot.id);
    if (slot.skewMs !== 0) cluster.skewClock(slot.id, 0);
  }
  for (const slot of cluster.members()) {
    if (slot.state === "down" || (slot.state === "running" && !slot.process?.running())) {
      if (slot.state === "running") slot.state = "down"; // it exited by itself: removed (status 0) or a crash, counted apart
      await cluster.restart(slot.id).catch((error) => nemesis.note("healed-all", `server ${slot.id} did not restart: ${String(error).slice(0, 300)}`));
    }
  }
  const membership = await settledMembership(cluster, admin);
  for (const slot of cluster.members()) {
    if (membership && !membership.has(slot.id)) {
      await cluster.markRemoved(slot.id);
      nemesis.note("healed-all", `server ${slot.id} is not in the membership: stopped`);
    }
  }
  nemesis.note("healed-all", `every fault healed; members ${cluster.members().map((slot) => slot.id)}`);
}

/** The membership the leader reports, once one answers (null if none does within settleMsMax). */
async function settledMembership(cluster: ChaosCluster, admin: ChaosAdmin): Promise<Set<number> | null> {
  const giveUpAt = performance.now() + settleMsMax;
  while (performance.now() < giveUpAt) {
    for (const slot of cluster.running()) {
      const status = await admin.status(slot.address);
      if (status && status.leaderId === slot.id) return new Set(status.replicas.map((replica) => replica.id));
    }
    await Bun.sleep(200);
  }
  return null;
}

/**
 * After healing: every user gets an operation through, then every member
 * applies everything the leader committed. Returns what failed to happen, or null.
 */
async function settle(users: ChaosUser[], cluster: ChaosCluster, admin: ChaosAdmin, nemesis: Nemesis, stopUsers: { now: boolean }): Promise<string | null> {
  const giveUpAt = performance.now() + settleMsMax;
  const okBefore = new Map(users.map((user) => [user, user.okCount]));
  while (users.some((user) => user.okCount === okBefore.get(user))) {
    if (performance.now() > giveUpAt) {
      const stuck = users.filter((user) => user.okCount === okBefore.get(user)).map((user) => user.name);
      return `users ${stuck.join(", ")} got nothing through within ${settleMsMax} ms of healing`;
    }
    await Bun.sleep(100);
  }
  stopUsers.now = true;
  let last = "";
  let quietAt = "";
  while (performance.now() < giveUpAt) {
    const leader = await nemesis.leader();
    const status = leader ? await admin.status(leader.address) : null;
    if (status && status.leaderId === leader?.id) {
      const commitIndex = Number(status.commitIndex);
      const applied = cluster.members().map((slot) => ({ id: slot.id, applied: appliedIndex(cluster.dataDir(slot.id)) }));
      const learners = status.replicas.filter((replica) => replica.role !== "voter").map((replica) => replica.id);
      last = `commit ${commitIndex}, last ${status.lastIndex}, applied ${applied.map((entry) => `${entry.id}:${entry.applied}`).join(" ")}, learners ${learners}`;
      // Quiet: nothing appended past the commit, no learner left to promote (a promotion is an entry of its own), all applied;
      // and still so one poll later, so that no entry lands between this look and the stop.
      const quiet = Number(status.lastIndex) === commitIndex && learners.length === 0 && applied.every((entry) => entry.applied === commitIndex);
      if (quiet && quietAt === last) return null;
      quietAt = quiet ? last : "";
    }
    await Bun.sleep(300);
  }
  return `the replicas did not all apply the leader's commit index within ${settleMsMax} ms (${last || "no leader"})`;
}

function finish(
  options: ChaosOptions,
  cluster: ChaosCluster,
  recorder: Recorder,
  nemesis: Nemesis,
  check: CheckResult | null,
  reports: ReplicaReport[],
  findings: Record<string, string[]>,
): ChaosResult {
  const properties: Record<string, string> = {};
  for (const [name, property] of Object.entries(check?.properties ?? {})) properties[name] = property.verdict;
  if (!check) properties.historyChecked = "fail";
  for (const [name, list] of Object.entries(findings)) properties[name] = list.length === 0 ? "pass" : "fail";
  const ok = Object.values(properties).every((verdict) => verdict !== "fail");
  const folder = cluster.layout.directory;
  const lines = [
    `chaos run: seed ${options.seed}, ${options.replicas} replicas, ${options.durationS} s of faults, ${recorder.elapsedMs} ms in all`,
    `faults injected: ${Object.entries(nemesis.counts)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(", ")}`,
  ];
  if (check) lines.push(summarizeCheck({ events: recorder.events, replicas: reports.map((report) => report.state) }, check));
  for (const [name, list] of Object.entries(findings)) {
    lines.push(`  ${name}: ${list.length === 0 ? "pass" : "fail"}`);
    for (const finding of list.slice(0, 20)) lines.push(`    - ${finding}`);
  }
  lines.push(ok ? "PASS" : `FAIL: replay with  bun run chaos -- --seed ${options.seed} --duration ${options.durationS} --replicas ${options.replicas}`);
  const kept = !ok || options.keep === true;
  lines.push(kept ? `history, nemesis schedule, replica logs and data in ${folder}` : "");
  const summary = lines.filter((line) => line !== "").join("\n");
  if (kept) {
    writeFileSync(join(folder, "history.json"), JSON.stringify({ seed: options.seed, events: recorder.events, replicas: reports.map((r) => r.state) }));
    writeFileSync(join(folder, "schedule.json"), JSON.stringify(nemesis.schedule, null, 1));
    writeFileSync(join(folder, "summary.txt"), `${summary}\n`);
  } else {
    cluster.layout.remove();
  }
  return { ok, seed: options.seed, folder, kept, summary, operations: recorder.counts, faults: nemesis.counts, properties };
}
