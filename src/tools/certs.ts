/**
 * `npm run certs`: a development certificate authority and certificates
 * for TLS (src/rpc/tls.ts), made with the `openssl` command line: a CA,
 * one certificate per replica (server and client use: replicas talk to each
 * other over mutual TLS) and one for the operator's admin tool, each valid
 * for 127.0.0.1 and localhost plus any --hosts. For development and tests:
 * a production cluster uses certificates from its own CA.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { projectRoot } from "../config.ts";
import { answerVersion } from "./version.ts";

const usage = `Usage: bun run certs -- [--out DIR] [--replicas N] [--hosts LIST] [--days N] [--force]

Makes a development CA and certificates for TLS with the openssl command line:
  DIR/ca.crt, ca.key                 the CA (give ca.crt as tls_ca / --tls-ca)
  DIR/replica-N.crt, replica-N.key   replica N's certificate and key (tls_cert, tls_key)
  DIR/admin.crt, admin.key           the admin tool's client certificate (mutual TLS)

Options:
  --out DIR       where to write them (default certs/, which git ignores)
  --replicas N    replica certificates to make, ids 1..N (default 3)
  --hosts LIST    more names or IP addresses the replicas' certificates are valid for,
                  comma-separated (127.0.0.1 and localhost are always in)
  --days N        validity in days (default 825)
  --force         replace certificates already in DIR (a new CA: every old certificate stops working)
  -h, --help      show this help
  --version       print the version

For development only: the CA key sits next to the certificates it signed.`;

const replicasMax = 99;
const daysMax = 3650;
const daysDefault = 825;

function openssl(args: string[]): void {
  const result = Bun.spawnSync(["openssl", ...args], { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.toString().trim()}`);
}

/** A P-256 key, readable by its owner only. */
function newKey(path: string): void {
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path]);
  chmodSync(path, 0o600);
}

function subjectAltNames(hosts: string[]): string {
  return hosts.map((host) => (isIP(host) ? `IP:${host}` : `DNS:${host}`)).join(",");
}

/** A certificate for `name` signed by the CA in `out`, for server and client use. */
function signedCertificate(out: string, name: string, hosts: string[], days: number): void {
  const key = join(out, `${name}.key`);
  const request = join(out, `${name}.csr`);
  const extensions = join(out, `${name}.ext`);
  newKey(key);
  openssl(["req", "-new", "-key", key, "-out", request, "-subj", `/CN=${name}`]);
  writeFileSync(
    extensions,
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth,clientAuth",
      `subjectAltName=${subjectAltNames(hosts)}`,
    ].join("\n"),
  );
  const ca = ["-CA", join(out, "ca.crt"), "-CAkey", join(out, "ca.key"), "-CAcreateserial"];
  openssl(["x509", "-req", "-in", request, ...ca, "-out", join(out, `${name}.crt`), "-days", String(days), "-extfile", extensions]);
  rmSync(request);
  rmSync(extensions);
}

function parseCount(flag: string, text: string, max: number): number {
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || value < 1 || value > max) throw new Error(`--${flag} must be an integer from 1 to ${max}, not "${text}"`);
  return value;
}

export interface CertificateOptions {
  /** Replica certificates to make, ids 1..replicas. */
  replicas: number;
  /** Names and IP addresses besides 127.0.0.1 and localhost. */
  hosts?: string[];
  days?: number;
  /** Replace a CA already in `out`. */
  force?: boolean;
}

/** Writes the CA, the replicas' and the admin tool's certificates into `out`; returns the hosts they are valid for. */
export function makeCertificates(out: string, options: CertificateOptions): string[] {
  const days = options.days ?? daysDefault;
  const hosts = ["127.0.0.1", "localhost", ...(options.hosts ?? [])];
  const bad = hosts.find((host) => !/^[A-Za-z0-9.:-]+$/.test(host));
  if (bad !== undefined) throw new Error(`--hosts: "${bad}" is neither an IP address nor a host name`);
  if (existsSync(join(out, "ca.crt")) && !options.force) {
    throw new Error(`${out} already holds a CA (ca.crt); use it as it is, or add --force to make a new CA and certificates`);
  }
  mkdirSync(out, { recursive: true });
  newKey(join(out, "ca.key"));
  openssl([
    ...["req", "-x509", "-new", "-key", join(out, "ca.key"), "-out", join(out, "ca.crt"), "-days", String(days), "-subj", "/CN=chat development CA"],
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  ]);
  for (let id = 1; id <= options.replicas; id++) signedCertificate(out, `replica-${id}`, hosts, days);
  signedCertificate(out, "admin", hosts, days);
  return hosts;
}

function main(): number {
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: join(projectRoot, "certs") },
      replicas: { type: "string", default: "3" },
      hosts: { type: "string", default: "" },
      days: { type: "string", default: String(daysDefault) },
      force: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (answerVersion(values.version)) return 0;
  const out = resolve(values.out);
  const replicas = parseCount("replicas", values.replicas, replicasMax);
  const days = parseCount("days", values.days, daysMax);
  const hosts = makeCertificates(out, { replicas, days, force: values.force, hosts: values.hosts.split(",").filter((host) => host !== "") });
  console.log(`wrote a development CA and certificates for replicas 1-${replicas} and the admin tool to ${out} (valid for ${hosts.join(", ")})`);
  return 0;
}

if (import.meta.main) {
  try {
    process.exit(main());
  } catch (error) {
    console.error(`certs: ${(error as Error).message}`);
    process.exit(1);
  }
}
