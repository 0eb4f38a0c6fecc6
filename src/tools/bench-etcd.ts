/**
 * A three-member etcd on loopback for `bun run bench -- --compare etcd`:
 * Debian's etcd binary with its durable defaults (every WAL write fsynced),
 * scratch data directories, and a Put client over @grpc/grpc-js, the
 * library our own client uses. Every process it starts is ended by `stop`,
 * which also deletes the scratch directory.
 */
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../config.ts";
import { freePorts } from "./processes/free-port.ts";
import { ProcessGroup } from "./processes/process-group.ts";
import { ScriptProcess } from "./processes/script-process.ts";

/** Where Debian's `etcd-server` package puts the binary; ETCD_BIN overrides it. */
export const etcdBinary = process.env.ETCD_BIN ?? "/usr/bin/etcd";
export const etcdInstallHint = "install etcd 3.4 with `apt-get install -y etcd-server` (Debian), or set ETCD_BIN to an etcd binary";
const etcdMembers = 3;
/** From spawn until a leader answers Status; three Go processes start in well under this. */
const etcdStartMsMax = 30_000;
/** A member stopped with SIGTERM that has not exited after this is SIGKILLed. */
const etcdStopGraceMs = 5_000;
const etcdCallDeadlineMs = 5_000;

interface EtcdProto {
  etcdserverpb: {
    KV: grpc.ServiceClientConstructor;
    Maintenance: grpc.ServiceClientConstructor;
  };
}

const etcdProto = grpc.loadPackageDefinition(loadSync(join(projectRoot, "proto", "etcd-kv.proto"), { longs: String, defaults: true })) as unknown as EtcdProto;

interface EtcdMember {
  name: string;
  clientAddress: string;
  process: ScriptProcess;
}

export function etcdInstalled(): boolean {
  return existsSync(etcdBinary);
}

export class EtcdCluster {
  private readonly processes = new ProcessGroup();
  readonly members: EtcdMember[] = [];

  private constructor(private readonly directory: string) {}

  /** Starts three members and waits until one of them leads; stops them all if that fails. */
  static async start(): Promise<EtcdCluster> {
    const cluster = new EtcdCluster(mkdtempSync(join(tmpdir(), "bench-etcd-")));
    try {
      await cluster.spawnAll();
      await cluster.leaderAddress(etcdStartMsMax);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  private async spawnAll(): Promise<void> {
    const ports = await freePorts(2 * etcdMembers);
    const names = Array.from({ length: etcdMembers }, (_, offset) => `member-${offset + 1}`);
    const peerUrl = (offset: number) => `http://127.0.0.1:${ports[etcdMembers + offset]}`;
    const initialCluster = names.map((name, offset) => `${name}=${peerUrl(offset)}`).join(",");
    names.forEach((name, offset) => {
      const clientUrl = `http://127.0.0.1:${ports[offset]}`;
      const args = [
        ...["--name", name, "--data-dir", join(this.directory, name)],
        ...["--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl],
        ...["--listen-peer-urls", peerUrl(offset), "--initial-advertise-peer-urls", peerUrl(offset)],
        ...["--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", "bench"],
        ...["--logger", "zap", "--log-level", "warn"],
      ];
      const child = Bun.spawn([etcdBinary, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      const process = this.processes.adopt(new ScriptProcess(child, { logFile: join(this.directory, `${name}.log`) }));
      this.members.push({ name, clientAddress: `127.0.0.1:${ports[offset]}`, process });
    });
  }

  /** The client address of the member that leads now, asking each member's Status. */
  async leaderAddress(waitMs = etcdCallDeadlineMs): Promise<string> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      for (const member of this.members) {
        if (!member.process.running()) throw new Error(`etcd ${member.name} exited:\n${member.process.stderr.text()}`);
        const status = await etcdStatus(member.clientAddress).catch(() => null);
        if (status && status.leader !== "0" && status.leader === status.header.memberId) return member.clientAddress;
      }
      if (Date.now() > deadline) throw new Error(`no etcd leader within ${waitMs} ms`);
      await Bun.sleep(50);
    }
  }

  pidOf(address: string): number {
    const member = this.members.find((candidate) => candidate.clientAddress === address);
    if (!member) throw new Error(`no etcd member at ${address}`);
    return member.process.pid;
  }

  /** SIGTERM to every member (SIGKILL after a grace), then the scratch directory goes. */
  async stop(): Promise<void> {
    await this.processes.stopAll(etcdStopGraceMs);
    rmSync(this.directory, { recursive: true, force: true });
  }
}

interface StatusReply {
  header: { memberId: string };
  leader: string;
}

function etcdStatus(address: string): Promise<StatusReply> {
  const client = new etcdProto.etcdserverpb.Maintenance(address, grpc.credentials.createInsecure());
  return new Promise<StatusReply>((resolve, reject) => {
    client.Status!({}, { deadline: Date.now() + 1000 }, (error: grpc.ServiceError | null, reply: StatusReply) => {
      client.close();
      if (error) reject(error);
      else resolve(reply);
    });
  });
}

type PutCall = (request: { key: Buffer; value: Buffer }, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null) => void) => void;

/** One lane's Put client: one key, overwritten by each write. */
export class EtcdPutClient {
  private readonly client: grpc.Client & { Put: PutCall };

  constructor(
    address: string,
    private readonly key: Buffer,
  ) {
    this.client = new etcdProto.etcdserverpb.KV(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Put: PutCall };
  }

  put(value: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.Put({ key: this.key, value }, { deadline: Date.now() + etcdCallDeadlineMs }, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(): void {
    this.client.close();
  }
}
