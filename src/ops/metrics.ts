/**
 * Prometheus metrics of one replica (prom-client), served over HTTP at
 * /metrics. Two kinds of source:
 *
 * - events the driver and the peer transport report through their observer
 *   interfaces (src/log/driver-observer.ts, src/rpc/peer-transport.ts):
 *   counters and histograms, each updated with a number the caller already
 *   had. Labelled series are resolved once, here, so the hot path never
 *   hashes a label set.
 * - state read only when scraped (term, indexes, sizes, subscriptions):
 *   gauges with a `collect` callback, so a write costs nothing for them.
 *
 * Names follow Prometheus conventions: `chat_` prefix, `_total` for
 * counters, base units (`_seconds`, `_bytes`).
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { DriverObserver } from "../log/driver-observer.ts";
import type { NodeId, Role } from "../log/raft/types.ts";
import type { PeerCallKind, PeerCallObserver } from "../rpc/peer-transport.ts";

/** The replica's state, read at scrape time. */
export interface MetricsSource {
  term(): number;
  commitIndex(): number;
  appliedIndex(): number;
  /** Entries the log holds now (past its compaction point). */
  logEntries(): number;
  /** The database file and its write-ahead log, on disk. */
  databaseBytes(): number;
  openSubscriptions(): number;
}

/** Bucket bounds (seconds): an fsync takes 0.2-5 ms on a good disk and far longer on a loaded one. */
const fsyncBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** A peer call on a LAN takes about a millisecond; past the election timeout it is as good as lost. */
const peerCallBuckets = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** A tick late by more than the election timeout's fraction can depose a healthy leader. */
const eventLoopBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class ReplicaMetrics implements DriverObserver, PeerCallObserver {
  readonly registry = new Registry();
  private readonly proposals: Counter;
  private readonly proposalsRefused: Counter;
  private readonly appendedEntries: Counter;
  private readonly committedEntries: Counter;
  private readonly elections: Counter;
  private readonly leaderChanges: Counter;
  private readonly fsyncSeconds: Histogram;
  private readonly eventLoopLagSeconds: Histogram;
  /** [kind][ok ? 1 : 0] → the series' observe function, resolved once. */
  private readonly peerCallSeconds: Record<PeerCallKind, [Histogram.Internal<string>, Histogram.Internal<string>]>;
  private readonly snapshotTransfers: Record<"sent" | "received", [Counter.Internal, Counter.Internal]>;
  private lastLeader: NodeId = 0;
  private leading = false;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers });
    this.proposals = counter("chat_proposals_total", "Writes this replica handed to the consensus core as leader.");
    this.proposalsRefused = counter("chat_proposals_refused_total", "Writes the consensus core refused (no longer leader, log too far ahead of commit).");
    this.appendedEntries = counter("chat_log_appended_entries_total", "Log entries this replica appended and fsynced.");
    this.committedEntries = counter("chat_committed_entries_total", "Committed log entries this replica applied to its tables.");
    this.elections = counter("chat_elections_total", "Elections this replica started (as candidate, after a successful pre-vote).");
    this.leaderChanges = counter("chat_leader_changes_total", "Times this replica learned of a new leader.");
    const transfers = counter("chat_snapshot_transfers_total", "Snapshot transfers that ended, by direction and outcome.", ["direction", "outcome"]);
    this.snapshotTransfers = {
      sent: [transfers.labels("sent", "failed"), transfers.labels("sent", "ok")],
      received: [transfers.labels("received", "failed"), transfers.labels("received", "ok")],
    };
    // Shown at 0 from the start: a series that appears only with its first transfer defeats rate() and alerts.
    for (const pair of Object.values(this.snapshotTransfers)) for (const series of pair) series.inc(0);
    this.fsyncSeconds = new Histogram({
      name: "chat_log_fsync_duration_seconds",
      help: "One durable write of the log (append and fsync in one transaction).",
      buckets: fsyncBuckets,
      registers,
    });
    this.eventLoopLagSeconds = new Histogram({
      name: "chat_event_loop_lag_seconds",
      help: "How late each consensus clock tick ran: time the event loop was busy with something else.",
      buckets: eventLoopBuckets,
      registers,
    });
    const peerCalls = new Histogram({
      name: "chat_peer_rpc_duration_seconds",
      help: "Calls to other replicas, from sending to the answer or the failure.",
      labelNames: ["kind", "outcome"],
      buckets: peerCallBuckets,
      registers,
    });
    this.peerCallSeconds = {
      vote: [peerCalls.labels("vote", "error"), peerCalls.labels("vote", "ok")],
      append: [peerCalls.labels("append", "error"), peerCalls.labels("append", "ok")],
    };
    this.addStateGauges(source);
    this.addProcessMetrics();
  }

  /**
   * CPU and memory under their standard names. Not prom-client's default
   * metrics: collecting those took 11 ms of the event loop per scrape here
   * (up to 90 ms on a loaded machine), time the consensus clock shares.
   */
  private addProcessMetrics(): void {
    const registers = [this.registry];
    let cpuSecondsReported = 0;
    new Counter({
      name: "process_cpu_seconds_total",
      help: "User and system CPU time this replica's process spent.",
      registers,
      collect() {
        const usage = process.cpuUsage();
        const seconds = (usage.user + usage.system) / 1e6;
        this.inc(Math.max(0, seconds - cpuSecondsReported));
        cpuSecondsReported = Math.max(cpuSecondsReported, seconds);
      },
    });
    new Gauge({
      name: "process_resident_memory_bytes",
      help: "Resident memory of this replica's process.",
      registers,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
    new Gauge({ name: "process_start_time_seconds", help: "When this replica's process started, in seconds since the epoch.", registers }).set(startSeconds);
  }

  private addStateGauges(source: MetricsSource): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge("chat_term", "The current Raft term of this replica.", () => source.term());
    gauge("chat_is_leader", "1 while this replica leads, else 0.", () => (this.leading ? 1 : 0));
    gauge("chat_commit_index", "The highest log index this replica knows to be committed.", () => source.commitIndex());
    gauge("chat_applied_index", "The highest log index applied to this replica's tables.", () => source.appliedIndex());
    gauge("chat_apply_lag_entries", "Committed entries not yet applied here (commit index minus applied index).", () =>
      Math.max(0, source.commitIndex() - source.appliedIndex()),
    );
    gauge("chat_log_entries", "Entries the log holds past its compaction point.", () => source.logEntries());
    gauge("chat_database_bytes", "Size of the replica's database file with its write-ahead log.", () => source.databaseBytes());
    gauge("chat_open_subscriptions", "Live message streams open on this replica.", () => source.openSubscriptions());
  }

  // ------------------------------------------------ DriverObserver

  proposed(count: number, refused: number): void {
    this.proposals.inc(count);
    if (refused > 0) this.proposalsRefused.inc(refused);
  }

  persisted(entries: number, seconds: number): void {
    if (entries > 0) this.appendedEntries.inc(entries);
    this.fsyncSeconds.observe(seconds);
  }

  applied(entries: number, _appliedIndex: number): void {
    this.committedEntries.inc(entries);
  }

  roleChanged(role: Role, leaderId: NodeId, _term: number): void {
    if (role === "candidate") this.elections.inc();
    if (leaderId !== 0 && leaderId !== this.lastLeader) this.leaderChanges.inc();
    if (leaderId !== 0) this.lastLeader = leaderId;
    this.leading = role === "leader";
  }

  ticked(lateSeconds: number): void {
    this.eventLoopLagSeconds.observe(lateSeconds);
  }

  snapshotTransferred(direction: "sent" | "received", ok: boolean): void {
    this.snapshotTransfers[direction][ok ? 1 : 0].inc();
  }

  // ------------------------------------------------ PeerCallObserver

  peerCall(kind: PeerCallKind, seconds: number, ok: boolean): void {
    this.peerCallSeconds[kind][ok ? 1 : 0].observe(seconds);
  }

  /** The text exposition format, as Prometheus scrapes it. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}

export interface MetricsServer {
  port: number;
  stop(): void;
}

/** Serves `GET /metrics` on host:port (0 picks a free port); anything else is 404. */
export function serveMetrics(host: string, port: number, metrics: ReplicaMetrics): MetricsServer {
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = listen(host, port, metrics);
  } catch (error) {
    throw new Error(`cannot serve metrics on ${host}:${port} (${(error as Error).message}): choose another --metrics-port (or metrics_port in config.json)`);
  }
  return { port: server.port ?? port, stop: () => server.stop(true) };
}

function listen(host: string, port: number, metrics: ReplicaMetrics) {
  return Bun.serve({
    hostname: host,
    port,
    async fetch(request) {
      const url = new URL(request.url);
      if (request.method !== "GET" || url.pathname !== "/metrics") return new Response("not found: metrics are at GET /metrics\n", { status: 404 });
      return new Response(await metrics.exposition(), { headers: { "content-type": metrics.registry.contentType } });
    },
  });
}
