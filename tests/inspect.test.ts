/**
 * The inspector as an operator runs it: a subprocess on the database of an
 * in-process replica, first while the replica runs, then after it stopped.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Entry } from "../src/log/raft/types.ts";
import { LogStore } from "../src/log/log-store.ts";
import { Projections } from "../src/projections/apply.ts";
import type { ChatOperation } from "../src/projections/operations.ts";
import { databaseFileName } from "../src/replica.ts";
import { openDatabase } from "../src/storage/database.ts";
import { startTestReplica, temporaryDirectory, userClient, type TestReplica } from "./support/replica.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";

const projectRoot = join(import.meta.dir, "..");

async function inspect(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const child = Bun.spawn([process.execPath, "src/tools/inspect.ts", ...args], {
    cwd: projectRoot,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { stdout, stderr, code };
}

let replica: TestReplica;
let databasePath: string;
/** Log index of the entry that sent the first message, and of carol's CreateAccount. */
let firstMessageId: number;
let carolCreatedIndex: number;

beforeAll(async () => {
  replica = await startTestReplica();
  databasePath = join(replica.dataDir, databaseFileName);
  const alice = await userClient(replica, "alice");
  const bob = await userClient(replica, "bob");
  firstMessageId = (await alice.sendMessage("bob", "hi bob")).id;
  await alice.sendMessage("bob", "second message, still unread");
  await bob.readNewMessages(1);
  await userClient(replica, "carol");
  carolCreatedIndex = replica.replica.service.queries.account("carol")!.createdIndex;
}, hookMs);

afterAll(async () => {
  await replica.destroy();
}, hookMs);

describe("the inspector on a running replica", () => {
  test(
    "the default view lists users with unread counts, messages and a summary of every log entry",
    async () => {
      const { stdout, code } = await inspect(databasePath);
      expect(code).toBe(0);
      expect(stdout).toMatch(/Users \(3\)/);
      expect(stdout).toMatch(/bob\s+\S+ \S+\s+#\d+\s+1\n/); // one unread message
      expect(stdout).toMatch(/Messages \(2\)/);
      expect(stdout).toMatch(new RegExp(`${firstMessageId}\\s+\\S+ \\S+\\s+alice → bob\\s+read\\s+"hi bob"`));
      expect(stdout).toContain('SendMessage alice → bob "hi bob"');
      expect(stdout).toContain("CreateAccount carol");
      expect(stdout).toMatch(/Login bob \(account #\d+, token [0-9a-f]{8}…\)/);
      expect(stdout).toContain("ReadNew bob up to 1");
    },
    childProcessesMs,
  );

  test(
    "no password hash, full token hash or session nonce is ever printed",
    async () => {
      const { stdout } = await inspect(databasePath, "--json");
      const text = (await inspect(databasePath)).stdout + stdout;
      expect(text).not.toContain("$argon2id");
      expect(text).not.toMatch(/[0-9a-f]{64}/);
      expect(text).not.toContain("sessionNonce");
    },
    childProcessesMs,
  );

  test(
    "--replay rebuilds the projections from the log and says they equal the stored ones",
    async () => {
      const { stdout, code } = await inspect(databasePath, "--replay");
      expect(stdout).toContain("EQUAL");
      expect(code).toBe(0);
    },
    childProcessesMs,
  );

  test(
    "--at shows users and messages as they were at an earlier log entry",
    async () => {
      const { stdout, code } = await inspect(databasePath, "--at", String(firstMessageId), "--users", "--messages");
      expect(code).toBe(0);
      expect(stdout).toContain(`as of log entry ${firstMessageId}`);
      expect(stdout).toMatch(/Users \(2\)/); // carol came later
      expect(stdout).not.toContain("carol");
      expect(stdout).toMatch(/Messages \(1\)/);
      expect(stdout).toMatch(/alice → bob\s+unread\s+"hi bob"/); // read only later
      expect(stdout).not.toContain("Log (");
      expect(carolCreatedIndex).toBeGreaterThan(firstMessageId);
    },
    childProcessesMs,
  );

  test(
    "--limit bounds the rows of each section and says how many more exist",
    async () => {
      const { stdout, code } = await inspect(databasePath, "--log", "--limit", "3");
      expect(code).toBe(0);
      expect(stdout).toMatch(/ \d+\s+\d+\s+command\s+CreateAccount alice/);
      expect(stdout).not.toContain("Users");
      expect(stdout).toMatch(/… \d+ more not shown/);
    },
    childProcessesMs,
  );

  test(
    "--json gives the sections as data",
    async () => {
      const { stdout, code } = await inspect(databasePath, "--json", "--users");
      expect(code).toBe(0);
      const data = JSON.parse(stdout) as { users: { rows: { username: string; unread: number }[]; more: number } };
      expect(data.users.rows.map((user) => [user.username, user.unread])).toEqual([
        ["alice", 0],
        ["bob", 1],
        ["carol", 0],
      ]);
    },
    childProcessesMs,
  );
});

describe("the inspector while the file is being written", () => {
  test(
    "--replay reads one consistent snapshot while a writer appends and applies entries",
    async () => {
      const directory = temporaryDirectory("inspect-writing-");
      const db = openDatabase(join(directory.path, databaseFileName));
      const log = new LogStore(db);
      const projections = new Projections(db);
      let writing = true;
      const writer = (async () => {
        for (let index = 1; writing && index < 20_000; index += 1) {
          const entry = scriptedEntry(index);
          // Two transactions, as a replica does: the log may be one entry ahead of the tables.
          log.append([entry]);
          projections.apply([entry]);
          if (index % 5 === 0) await Bun.sleep(0);
        }
      })();
      try {
        for (let run = 0; run < 4; run += 1) {
          const { stdout, code } = await inspect(join(directory.path, databaseFileName), "--replay");
          expect({ run, code, equal: stdout.includes("EQUAL") }).toEqual({ run, code: 0, equal: true });
        }
      } finally {
        writing = false;
        await writer;
        db.close();
        directory.remove();
      }
    },
    childProcessesMs,
  );

  // A concurrent reader (this inspector, the sqlite3 shell, a backup) must not make the
  // replica's log append fail with SQLITE_BUSY: openDatabase sets a busy timeout.
  test(
    "a running replica keeps accepting writes while the inspector reads its file",
    async () => {
      const dave = await userClient(replica, "dave");
      let writing = true;
      const writes = (async () => {
        for (let count = 0; writing && count < 2000; count += 1) await dave.sendMessage("alice", `busy ${count}`);
      })();
      try {
        for (let run = 0; run < 20; run += 1) expect((await inspect(databasePath, "--replay")).code).toBe(0);
      } finally {
        writing = false;
        await writes;
      }
    },
    4 * childProcessesMs,
  ); // twenty inspector processes
});

/** Alice and bob, alice logged in, then alice sends to bob forever. */
function scriptedEntry(index: number): Entry {
  const tokenHash = "a".repeat(64);
  const ops: ChatOperation[] = [
    { type: "CreateAccount", username: "alice", passwordHash: "$argon2id$scripted" },
    { type: "CreateAccount", username: "bob", passwordHash: "$argon2id$scripted" },
    { type: "Login", username: "alice", accountIndex: 1, tokenHash, sessionNonce: "scripted" },
  ];
  const op = ops[index - 1] ?? { type: "SendMessage", username: "alice", tokenHash, recipient: "bob", text: `m${index}` };
  return { index, term: 1, type: "command", data: JSON.stringify({ atMs: 1_700_000_000_000 + index, op }) };
}

describe("the inspector on a stopped replica", () => {
  test(
    "inspecting never changes the database file",
    async () => {
      await replica.stop();
      const before = readFileSync(databasePath);
      for (const args of [[], ["--replay"], ["--at", "3"], ["--json"]]) {
        expect((await inspect(databasePath, ...args)).code).toBe(0);
      }
      expect(Buffer.compare(readFileSync(databasePath), before)).toBe(0);
    },
    childProcessesMs,
  );

  test(
    "a projection edited behind the log's back makes --replay exit 1 and name the messages table",
    async () => {
      const db = new Database(databasePath);
      db.run("UPDATE messages SET text = 'tampered' WHERE id = ?", [firstMessageId]);
      db.close();
      const { stdout, code } = await inspect(databasePath, "--replay");
      expect(stdout).toContain("DIFFERENT");
      expect(stdout).toMatch(/tables that differ: messages\n/);
      expect(code).toBe(1);
    },
    childProcessesMs,
  );
});

describe("the inspector refuses what it cannot read", () => {
  test(
    "a garbage file, a missing file, an empty file and a foreign SQLite file are refused with exit 2",
    async () => {
      const directory = temporaryDirectory("inspect-refuse-");
      try {
        const garbage = join(directory.path, "garbage.db");
        writeFileSync(garbage, "this is not a database, just some text long enough to be a header\n".repeat(20));
        const empty = join(directory.path, "empty.db");
        writeFileSync(empty, "");
        const foreign = join(directory.path, "foreign.db");
        const other = new Database(foreign);
        other.run("CREATE TABLE notes (body TEXT)");
        other.close();
        const cases: [string, RegExp][] = [
          [garbage, /not an SQLite database/],
          [join(directory.path, "missing.db"), /no such file/],
          [empty, /empty/],
          [foreign, /does not belong to a chat replica/],
        ];
        for (const [path, reason] of cases) {
          const { stderr, stdout, code } = await inspect(path);
          expect({ path, code, refused: reason.test(stderr), stdout }).toEqual({ path, code: 2, refused: true, stdout: "" });
        }
      } finally {
        directory.remove();
      }
    },
    childProcessesMs,
  );

  test(
    "bad usage exits 2 with the usage text, and --help exits 0",
    async () => {
      const bad = await inspect("--limit", "0", "x.db");
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("Usage: bun run inspect");
      const help = await inspect("--help");
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("--replay");
    },
    childProcessesMs,
  );
});
