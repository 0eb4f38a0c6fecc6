/**
 * `bun run check:generated`: fails when generated code lags its source: the
 * gRPC types in src/rpc/generated against proto/chat.proto, and the SQL
 * migrations against the drizzle schemas. Both are generated again into a
 * scratch directory and compared; the working tree is not touched.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { projectRoot } from "../config.ts";
import { answerVersion } from "./version.ts";

const usage = `Usage: bun run check:generated

Generates the gRPC types and the SQL migrations again into a scratch directory
and fails (exit 1) when the committed ones lag proto/chat.proto or the drizzle
schemas. The working tree is not touched.

Options:
  -h, --help     show this help
  --version      print the version`;

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(usage);
  process.exit(0);
}
if (answerVersion(process.argv.includes("--version"))) process.exit(0);

function run(command: string[]): { ok: boolean; output: string } {
  const result = Bun.spawnSync(command, { cwd: projectRoot, stdout: "pipe", stderr: "pipe" });
  return { ok: result.exitCode === 0, output: `${result.stdout.toString()}${result.stderr.toString()}` };
}

function protoTypesLag(scratch: string): string | null {
  const out = join(scratch, "generated");
  const generated = run([
    "npx",
    "proto-loader-gen-types",
    "--longs=Number",
    "--enums=String",
    "--defaults",
    "--oneofs",
    "--grpcLib=@grpc/grpc-js",
    `--outDir=${out}`,
    "proto/chat.proto",
  ]);
  if (!generated.ok) return `could not generate the gRPC types:\n${generated.output}`;
  const diff = run(["diff", "-r", out, join(projectRoot, "src/rpc/generated")]);
  return diff.ok ? null : `src/rpc/generated lags proto/chat.proto: run npm run gen:proto\n${diff.output.slice(0, 2000)}`;
}

function migrationsLag(scratch: string): string | null {
  const out = join(scratch, "migrations");
  cpSync(join(projectRoot, "migrations"), out, { recursive: true });
  const before = readdirSync(out).length;
  const config = join(scratch, "drizzle.config.json");
  // drizzle-kit reads `out` relative to the working directory (it prefixes "./").
  writeFileSync(config, JSON.stringify({ dialect: "sqlite", schema: ["./src/log/schema.ts", "./src/projections/schema.ts"], out: relative(projectRoot, out) }));
  const generated = run(["npx", "drizzle-kit", "generate", `--config=${config}`]);
  // drizzle-kit exits 0 on some failures: trust only its own words.
  if (!generated.ok || !/nothing to migrate|Your SQL migration file/.test(generated.output)) return `could not run drizzle-kit:\n${generated.output}`;
  return readdirSync(out).length === before ? null : "migrations/ lags the drizzle schemas: run npm run gen:migrations and commit the new migration";
}

const scratch = mkdtempSync(join(tmpdir(), "chat-generated-"));
try {
  const problems = [protoTypesLag(scratch), migrationsLag(scratch)].filter((problem) => problem !== null);
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log("generated code is up to date (gRPC types, migrations)");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
