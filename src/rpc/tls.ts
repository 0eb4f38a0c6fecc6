/**
 * TLS credentials for every gRPC end, built in one place.
 *
 * One port serves the client API, the peer API and the admin API, so the
 * server asks every caller for a certificate but does not require one:
 * clients connect with TLS alone (they verify the replica against the CA),
 * while peer and admin calls are refused by the key gate unless the caller
 * presented a certificate the CA signed (mutual TLS, `hasVerifiedClientCertificate`).
 * Plain text stays the default: no material, insecure credentials.
 */
import * as grpc from "@grpc/grpc-js";
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { checkServerIdentity, createSecureContext, type PeerCertificate } from "node:tls";
import { channelOptions } from "./proto.ts";

/** Where the PEM files are, as the config keys tls_cert, tls_key, tls_ca or the flags --tls-cert, --tls-key, --tls-ca name them. */
export interface TlsPaths {
  cert?: string;
  key?: string;
  ca?: string;
}

/** The files' contents. `ca` verifies the other end; `cert` and `key` are this end's identity (a client may have none). */
export interface TlsMaterial {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** A certificate or key is missing, unreadable or not PEM: the message names the file and what to do. */
export class TlsConfigError extends Error {
  override name = "TlsConfigError";
}

/**
 * The SNI name sent when a replica is addressed by IP: Bun refuses an IP as
 * the TLS server name (Node only warns), so the name is a constant and the
 * certificate is checked against the real address instead (see `channelSecurity`).
 */
const ipTargetServerName = "chat-replica";

function readPem(path: string, what: string, origin: string): Buffer {
  if (!existsSync(path)) throw new TlsConfigError(`${origin}: ${what} file ${path} not found (make development ones with \`npm run certs\`)`);
  const contents = readFileSync(path);
  if (!contents.includes("-----BEGIN ")) throw new TlsConfigError(`${origin}: ${what} file ${path} is not PEM (expected a "-----BEGIN ..." block)`);
  return contents;
}

/**
 * Reads the files, or null when none is named (plain text). `identity`
 * "required" (a replica: it serves and is a peer's client) wants all three;
 * "optional" (a tool, a client) wants the CA and, if any, both cert and key.
 * `origin` says where the paths came from, for the error message.
 */
export function loadTls(paths: TlsPaths, identity: "required" | "optional", origin: string): TlsMaterial | null {
  const { cert, key, ca } = paths;
  if (!cert && !key && !ca) return null;
  if (!ca) throw new TlsConfigError(`${origin}: TLS needs tls_ca (--tls-ca), the CA certificate that signed the replicas' certificates`);
  if (identity === "required" && (!cert || !key)) {
    throw new TlsConfigError(
      `${origin}: a replica with TLS needs tls_cert and tls_key (--tls-cert, --tls-key) as well as tls_ca: it serves with them and presents them to its peers`,
    );
  }
  if (Boolean(cert) !== Boolean(key)) throw new TlsConfigError(`${origin}: tls_cert and tls_key (--tls-cert, --tls-key) go together: give both or neither`);
  const material: TlsMaterial = { ca: readPem(ca, "tls_ca", origin) };
  if (cert && key) {
    material.cert = readPem(cert, "tls_cert", origin);
    material.key = readPem(key, "tls_key", origin);
  }
  try {
    // Fails now, with the files named, rather than at the first connection.
    createSecureContext({ ca: material.ca, cert: material.cert, key: material.key });
  } catch (error) {
    throw new TlsConfigError(`${origin}: the TLS files do not load together (${(error as Error).message}); check that tls_key is the key of tls_cert`);
  }
  return material;
}

/**
 * Server credentials that request a client certificate without requiring
 * one. grpc-js's createSsl either never asks or refuses callers without
 * one, and its certificate-provider credentials install the certificate
 * after the server starts, which Bun's TLS server does not take; so this
 * passes Node's own options (requestCert without rejectUnauthorized) at construction.
 */
class ClientCertificateOptionalCredentials extends grpc.ServerCredentials {
  constructor(material: Required<TlsMaterial>) {
    super({ requestCert: true, rejectUnauthorized: false }, { ca: material.ca, cert: [material.cert], key: [material.key] });
  }

  override _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export function serverCredentials(material: TlsMaterial | null): grpc.ServerCredentials {
  if (!material) return grpc.ServerCredentials.createInsecure();
  if (!material.cert || !material.key) throw new TlsConfigError("a replica with TLS needs its certificate and key");
  return new ClientCertificateOptionalCredentials({ ca: material.ca, cert: material.cert, key: material.key });
}

export interface ChannelSecurity {
  credentials: grpc.ChannelCredentials;
  /** channelOptions, plus the TLS server name for an address given by IP. */
  options: grpc.ChannelOptions;
}

/** Splits "host:port" or "[v6]:port" into its host. */
function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const colon = address.lastIndexOf(":");
  return colon < 0 ? address : address.slice(0, colon);
}

/**
 * Credentials and options for a channel to `address`: plain text without
 * material; else TLS that verifies the replica's certificate against the
 * CA and the address (an IP address must be among its IP SANs), presenting
 * this end's certificate when it has one (a replica, the admin tool).
 */
export function channelSecurity(material: TlsMaterial | null, address: string): ChannelSecurity {
  if (!material) return { credentials: grpc.credentials.createInsecure(), options: channelOptions };
  const host = hostOf(address);
  const context = createSecureContext({ ca: material.ca, cert: material.cert, key: material.key });
  const credentials = grpc.credentials.createFromSecureContext(context, {
    // grpc-js passes the SNI name when one is set; the certificate must match the address dialled.
    checkServerIdentity: (_name: string, certificate: PeerCertificate) => checkServerIdentity(host, certificate),
  });
  // The name is set even for a host name: the channel may dial another address (a test build's proxy) than the one verified.
  return { credentials, options: { ...channelOptions, "grpc.ssl_target_name_override": isIP(host) === 0 ? host : ipTargetServerName } };
}

/** Whether the caller presented a certificate the CA signed (grpc-js reports one only once TLS verified it). */
export function hasVerifiedClientCertificate(call: { getAuthContext(): { sslPeerCertificate?: unknown } | null }): boolean {
  return call.getAuthContext()?.sslPeerCertificate !== undefined;
}

/** The flags every command with TLS takes, for util.parseArgs. */
export const tlsFlagOptions = {
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-ca": { type: "string" },
} as const;

/** Usage lines for the flags, `identity` saying what this command does with a certificate of its own. */
export function tlsFlagsUsage(identity: string): string {
  return [
    "  --tls-ca FILE          CA certificate that signed the replicas' certificates: TLS on (default: tls_ca of the config)",
    `  --tls-cert FILE        ${identity} (default: tls_cert of the config)`,
    "  --tls-key FILE         the key of --tls-cert (default: tls_key of the config)",
  ].join("\n");
}

/**
 * TLS material from the flags, each falling back to the config file's key;
 * null when neither names anything (plain text).
 */
export function tlsFromFlags(
  flags: { "tls-cert"?: string; "tls-key"?: string; "tls-ca"?: string },
  config: TlsPaths,
  identity: "required" | "optional",
  configFile: string,
): TlsMaterial | null {
  const paths = { cert: flags["tls-cert"] ?? config.cert, key: flags["tls-key"] ?? config.key, ca: flags["tls-ca"] ?? config.ca };
  const fromFlags = flags["tls-cert"] !== undefined || flags["tls-key"] !== undefined || flags["tls-ca"] !== undefined;
  return loadTls(paths, identity, fromFlags ? `--tls-* flags (with ${configFile})` : configFile);
}
