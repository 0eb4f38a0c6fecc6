/** TLS settings that cannot work are refused at start, naming the file or key and what to do (src/rpc/tls.ts). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { channelSecurity, loadTls, TlsConfigError } from "../../src/rpc/tls.ts";
import { makeCertificates } from "../../src/tools/certs.ts";
import { inProcessReplicaMs } from "../support/timeouts.ts";

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "chat-tls-unit-"));
  makeCertificates(dir, { replicas: 2 });
  writeFileSync(file("garbage.pem"), "not a certificate");
}, inProcessReplicaMs);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TLS settings", () => {
  test("no file named means plain text", () => {
    expect(loadTls({}, "required", "config.json")).toBeNull();
  });

  test("a replica's certificate, key and CA load together", () => {
    const material = loadTls({ cert: file("replica-1.crt"), key: file("replica-1.key"), ca: file("ca.crt") }, "required", "config.json");
    expect(material?.cert).toBeDefined();
    expect(channelSecurity(material, "127.0.0.1:50051").options["grpc.ssl_target_name_override"]).toBeDefined();
    expect(channelSecurity(material, "localhost:50051").options["grpc.ssl_target_name_override"]).toBe("localhost");
  });

  test("a replica without its certificate and key is refused, naming the keys and flags", () => {
    expect(() => loadTls({ ca: file("ca.crt") }, "required", "config.json")).toThrow(
      /config.json: a replica with TLS needs tls_cert and tls_key \(--tls-cert, --tls-key\)/,
    );
  });

  test("a certificate without the CA is refused", () => {
    expect(() => loadTls({ cert: file("replica-1.crt"), key: file("replica-1.key") }, "optional", "config.json")).toThrow(/TLS needs tls_ca \(--tls-ca\)/);
  });

  test("a certificate without its key is refused", () => {
    expect(() => loadTls({ cert: file("replica-1.crt"), ca: file("ca.crt") }, "optional", "config.json")).toThrow(/go together: give both or neither/);
  });

  test("a missing file is named, with how to make development ones", () => {
    expect(() => loadTls({ ca: file("nowhere.crt") }, "optional", "config_client.json")).toThrow(TlsConfigError);
    expect(() => loadTls({ ca: file("nowhere.crt") }, "optional", "config_client.json")).toThrow(
      /tls_ca file .*nowhere.crt not found \(make development ones with `npm run certs`\)/,
    );
  });

  test("a file that is not PEM is named", () => {
    expect(() => loadTls({ ca: file("garbage.pem") }, "optional", "config.json")).toThrow(/tls_ca file .*garbage.pem is not PEM/);
  });

  test("a key that is not the certificate's is refused at start, not at the first connection", () => {
    expect(() => loadTls({ cert: file("replica-1.crt"), key: file("replica-2.key"), ca: file("ca.crt") }, "required", "config.json")).toThrow(
      /do not load together .*check that tls_key is the key of tls_cert/,
    );
  });
});
