/**
 * The terminal client: its command-line parser and live feed as units, then
 * the real program in `--json` mode, as a child process, against an
 * in-process replica.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PassThrough, Writable } from "node:stream";
import { ChatClientError, type ChatClient, type ChatMessage, type FollowHandlers, type Resumption } from "../src/client/chat-client.ts";
import { parseCliOptions } from "../src/client/cli.ts";
import { LiveFeed, resumedText, type FeedClient, type LiveFeedHandlers } from "../src/client/cli/live-feed.ts";
import { CommandLineError, parseCommandLine, restAfterWords } from "../src/client/cli/parse.ts";
import { runInteractive } from "../src/client/cli/terminal.ts";
import { TestProcesses, type CliLine, type CliProcess } from "./support/process.ts";
import { startTestReplica, userClient, type TestReplica } from "./support/replica.ts";
import { childProcessesMs, hookMs, inProcessReplicaMs } from "./support/timeouts.ts";

const password = "correct horse";

function parseError(line: string): CommandLineError {
  try {
    parseCommandLine(line);
  } catch (error) {
    if (error instanceof CommandLineError) return error;
    throw error;
  }
  throw new Error(`"${line}" parsed without error`);
}

describe("the command-line parser", () => {
  test("the text of send is the rest of the line, inner spacing kept", () => {
    expect(parseCommandLine("  send bob   hello   there, bob  ")).toEqual({
      name: "send",
      recipient: "bob",
      text: "hello   there, bob",
    });
    expect(restAfterWords("a b c d", 2)).toBe("c d");
  });

  test("blank lines and # comments are no command at all", () => {
    expect(parseCommandLine("")).toBeNull();
    expect(parseCommandLine("   \t ")).toBeNull();
    expect(parseCommandLine("# login alice secret")).toBeNull();
  });

  test("every command parses to its typed form", () => {
    expect(parseCommandLine("register alice s3cret-pw")).toEqual({ name: "register", username: "alice", password: "s3cret-pw" });
    expect(parseCommandLine("LOGIN alice s3cret-pw")).toEqual({ name: "login", username: "alice", password: "s3cret-pw" });
    expect(parseCommandLine("users")).toEqual({ name: "users", pattern: "" });
    expect(parseCommandLine("users a*b?")).toEqual({ name: "users", pattern: "a*b?" });
    expect(parseCommandLine("read")).toEqual({ name: "read", count: 0 });
    expect(parseCommandLine("read 5")).toEqual({ name: "read", count: 5 });
    expect(parseCommandLine("history 30")).toEqual({ name: "history", count: 30 });
    expect(parseCommandLine("delete 3 #4 5")).toEqual({ name: "delete", ids: [3, 4, 5] });
    expect(parseCommandLine("delete-account pw")).toEqual({ name: "delete-account", password: "pw" });
    // A password is the rest of the line, so it may contain spaces.
    expect(parseCommandLine("login alice correct horse")).toEqual({ name: "login", username: "alice", password: "correct horse" });
    expect(parseCommandLine("exit")).toEqual({ name: "quit" });
    expect(parseCommandLine("?")).toEqual({ name: "help" });
  });

  test("an unknown word is an UNKNOWN_COMMAND error that names it", () => {
    const error = parseError("frobnicate now");
    expect(error.code).toBe("UNKNOWN_COMMAND");
    expect(error.command).toBe("frobnicate");
    expect(error.message).toContain("frobnicate");
  });

  test("missing or extra arguments are USAGE errors that show the usage", () => {
    for (const line of ["send", "send bob", "login alice", "register", "logout now", "delete", "users a b", "more 2"]) {
      const error = parseError(line);
      expect(error.code).toBe("USAGE");
      expect(error.message).toContain("usage:");
    }
  });

  test("counts and message ids must be positive whole numbers", () => {
    for (const line of ["read 0", "read -1", "read two", "history 1.5", "read 501", "delete 0", "delete x", "delete 99999999999999999999"]) {
      expect(parseError(line).code).toBe("USAGE");
    }
  });
});

describe("the client's flags", () => {
  test("--server lists the replicas to try, and config_client.json's list is the default", () => {
    expect(parseCliOptions(["--server", "10.0.0.1:7000", "--json"])).toEqual({
      servers: ["10.0.0.1:7000"],
      json: true,
      help: false,
      version: false,
      tls: null,
    });
    expect(parseCliOptions(["--server", "h1:1,h2:2"]).servers).toEqual(["h1:1", "h2:2"]);
    expect(parseCliOptions([]).servers).toEqual(["127.0.0.1:50051", "127.0.0.1:50052", "127.0.0.1:50053"]);
    expect(parseCliOptions(["-h"]).help).toBe(true);
  });

  test("a malformed address or an unknown flag is refused", () => {
    expect(() => parseCliOptions(["--server", "no-port"])).toThrow("HOST:PORT");
    expect(() => parseCliOptions(["--verbose"])).toThrow();
  });
});

/** A fake of the two calls the feed makes: follow()'s handlers are driven by hand. */
function fakeFeedClient() {
  const follows: { afterId: number; handlers: FollowHandlers; cancelled: boolean }[] = [];
  const marked: number[][] = [];
  const client: FeedClient = {
    follow: (afterId, handlers) => {
      const follow = { afterId, handlers, cancelled: false };
      follows.push(follow);
      return { cancel: () => (follow.cancelled = true) };
    },
    markRead: (async (ids: number[]) => {
      marked.push(ids);
      return { marked: ids.length };
    }) as ChatClient["markRead"],
  };
  return { client, follows, marked };
}

function message(id: number): ChatMessage {
  return { id, sender: "bob", recipient: "alice", text: `m${id}`, sentAtMs: 0, read: false };
}

/** The feed's handlers, recording what it tells the front end. */
function recordingHandlers() {
  const shown: number[] = [];
  const notices: string[] = [];
  const resumptions: Resumption[] = [];
  let live = 0;
  const handlers: LiveFeedHandlers = {
    onMessage: (m) => shown.push(m.id),
    onNotice: (text) => notices.push(text),
    onResumed: (resumption) => resumptions.push(resumption),
    onLive: () => (live += 1),
  };
  return { handlers, shown, notices, resumptions, live: () => live };
}

describe("the live feed", () => {
  test("follows from the stream's registration on, shows each message and marks it read", async () => {
    const fake = fakeFeedClient();
    const seen = recordingHandlers();
    const feed = new LiveFeed(fake.client, seen.handlers);
    try {
      feed.start();
      expect(fake.follows.map((follow) => follow.afterId)).toEqual([0]);
      const { handlers } = fake.follows[0]!;
      handlers.onOpen?.();
      expect(seen.live()).toBe(1);
      handlers.onMessage(message(7));
      handlers.onMessage(message(9));
      await feed.settled();
      expect(seen.shown).toEqual([7, 9]);
      expect(fake.marked.flat()).toEqual([7, 9]);
    } finally {
      feed.stop();
    }
    expect(fake.follows[0]!.cancelled).toBe(true);
  });

  test("says once that live messages broke and once that they are back, with how many arrived meanwhile", async () => {
    const fake = fakeFeedClient();
    const seen = recordingHandlers();
    const feed = new LiveFeed(fake.client, seen.handlers);
    try {
      feed.start();
      const { handlers } = fake.follows[0]!;
      handlers.onInterrupted?.(new ChatClientError("UNAVAILABLE", "connection reset"));
      expect(seen.notices).toHaveLength(1);
      expect(seen.notices[0]).toBe(
        "live messages interrupted (the replica it came from stopped answering); waiting for the cluster, they arrive once a leader answers",
      );
      const resumption = { missedCount: 2, downMs: 17_240, attempts: 11 };
      handlers.onResumed?.(resumption);
      expect(seen.resumptions).toEqual([resumption]);
      expect(resumedText(resumption)).toBe("live messages are back after 17.2 s; 2 messages arrived meanwhile");
      expect(resumedText({ missedCount: 1, downMs: 500, attempts: 2 })).toContain("1 message arrived");
      expect(fake.follows).toHaveLength(1); // the retrying is follow()'s
    } finally {
      feed.stop();
    }
  });

  test("an ended session stops the feed and says why", async () => {
    const fake = fakeFeedClient();
    const seen = recordingHandlers();
    const feed = new LiveFeed(fake.client, seen.handlers);
    feed.start();
    fake.follows[0]!.handlers.onEnd?.(new ChatClientError("UNAUTHENTICATED", "Session ended"));
    expect(seen.notices).toEqual(["live messages stopped: Session ended"]);
    feed.stop();
    expect(fake.follows).toHaveLength(1);
  });
});

describe("the client in --json mode, as a real process", () => {
  let replica: TestReplica;
  const processes = new TestProcesses();

  beforeAll(async () => {
    replica = await startTestReplica();
  }, hookMs);

  afterAll(async () => {
    await processes.cleanup();
    await replica.destroy();
  }, hookMs);

  const startCli = (): CliProcess => processes.startCli(replica.replica.address);

  async function expectOk(cli: CliProcess, line: string): Promise<Record<string, unknown>> {
    const answer = await cli.run(line);
    expect(answer).toMatchObject({ ok: true });
    return answer.result as Record<string, unknown>;
  }

  /** Waits for the CLI's "live" event: the stream is registered and no new message is missed. */
  async function waitUntilLive(cli: CliProcess): Promise<void> {
    await cli.event((event) => event.event === "live");
  }

  test(
    "two clients register, log in, and a message sent while the reader was away is counted and read",
    async () => {
      const alice = startCli();
      const bob = startCli();
      try {
        expect(await expectOk(alice, `register cli-alice ${password}`)).toEqual({ username: "cli-alice" });
        expect(await expectOk(bob, `register cli-bob ${password}`)).toEqual({ username: "cli-bob" });
        await expectOk(alice, `login cli-alice ${password}`);
        const sent = await expectOk(alice, "send cli-bob hello  bob, from alice");
        expect(sent.id).toBeGreaterThan(0);
        const login = await expectOk(bob, `login cli-bob ${password}`);
        expect(login).toEqual({ username: "cli-bob", unreadCount: 1, server: replica.replica.address });
        const read = await expectOk(bob, "read");
        expect(read.messages).toMatchObject([{ id: sent.id, sender: "cli-alice", text: "hello  bob, from alice" }]);
        expect(read.unreadRemaining).toBe(0);
        expect((await expectOk(bob, "read")).messages).toEqual([]);
      } finally {
        expect(await alice.end()).toBe(0);
        expect(await bob.end()).toBe(0);
      }
    },
    childProcessesMs,
  );

  test(
    "a message sent to a logged-in client appears as one live event and is then marked read",
    async () => {
      const sender = await userClient(replica, "live-sender");
      const cli = startCli();
      try {
        await expectOk(cli, `register live-reader ${password}`);
        await expectOk(cli, `login live-reader ${password}`);
        await waitUntilLive(cli);
        const { id } = await sender.sendMessage("live-reader", "are you there?");
        const event = await cli.event((line) => (line.message as ChatMessage | undefined)?.id === id);
        expect(event).toEqual({
          event: "message",
          message: expect.objectContaining({ id, sender: "live-sender", recipient: "live-reader", text: "are you there?" }),
        });
        // The command waits for the feed's MarkRead, so what was shown live is no longer unread.
        const read = await expectOk(cli, "read 100");
        expect((read.messages as ChatMessage[]).map((m) => m.id)).not.toContain(id);
        expect(cli.events().filter((line) => (line.message as ChatMessage | undefined)?.id === id)).toHaveLength(1);
      } finally {
        expect(await cli.end()).toBe(0);
      }
    },
    childProcessesMs,
  );

  test(
    "a bad command and a server error each give one error line, and the client carries on",
    async () => {
      const cli = startCli();
      try {
        expect(await cli.run("frobnicate")).toEqual({
          ok: false,
          command: "frobnicate",
          code: "UNKNOWN_COMMAND",
          error: 'unknown command "frobnicate"; type help for the list',
        });
        expect(await cli.run("send bob")).toMatchObject({ ok: false, command: "send", code: "USAGE" });
        await expectOk(cli, `register err-user ${password}`);
        expect(await cli.run("users")).toMatchObject({ ok: false, command: "users", code: "UNAUTHENTICATED" });
        await expectOk(cli, `login err-user ${password}`);
        expect(await cli.run("send nobody-here hi there")).toEqual({
          ok: false,
          command: "send",
          code: "NOT_FOUND",
          error: "Recipient does not exist: nobody-here",
        });
        expect(await cli.run(`register err-user ${password}`)).toMatchObject({ ok: false, code: "ALREADY_EXISTS" });
        await expectOk(cli, "send err-user a note to self");
      } finally {
        expect(await cli.end()).toBe(0);
      }
      expect(cli.stderr.text()).toBe("");
    },
    childProcessesMs,
  );

  test(
    "users with a pattern lists only matching accounts, a page at a time",
    async () => {
      for (let index = 0; index < 23; index++) await replica.client().createAccount(`pat-${String(index).padStart(2, "0")}`, password);
      await replica.client().createAccount("other-pat", password);
      const cli = startCli();
      try {
        await expectOk(cli, `login pat-00 ${password}`);
        const first = await expectOk(cli, "users pat-*");
        expect(first.usernames).toHaveLength(20);
        expect(first.more).toBe(true);
        const second = await expectOk(cli, "more");
        expect(second).toEqual({ usernames: ["pat-20", "pat-21", "pat-22"], more: false });
        expect(await expectOk(cli, "users pat-1?")).toEqual({
          usernames: Array.from({ length: 10 }, (_, index) => `pat-1${index}`),
          more: false,
        });
        expect(await expectOk(cli, "users *-pat")).toEqual({ usernames: ["other-pat"], more: false });
        expect(await expectOk(cli, "users zz*")).toEqual({ usernames: [], more: false });
      } finally {
        expect(await cli.end()).toBe(0);
      }
    },
    childProcessesMs,
  );

  test(
    "history lists messages newest first with ids, more goes further back, and delete removes them",
    async () => {
      const friend = await userClient(replica, "hist-friend");
      const cli = startCli();
      try {
        await expectOk(cli, `register hist-user ${password}`);
        await expectOk(cli, `login hist-user ${password}`);
        const ids: number[] = [];
        for (let index = 0; index < 3; index++) ids.push(Number((await expectOk(cli, `send hist-friend out ${index}`)).id));
        ids.push((await friend.sendMessage("hist-user", "in 3")).id);
        const page = await expectOk(cli, "history 3");
        expect((page.messages as ChatMessage[]).map((m) => m.id)).toEqual([ids[3]!, ids[2]!, ids[1]!]);
        expect(page.more).toBe(true);
        const older = await expectOk(cli, "more");
        expect((older.messages as ChatMessage[]).map((m) => m.text)).toEqual(["out 0"]);
        expect(await expectOk(cli, `delete ${ids[0]} ${ids[3]}`)).toEqual({ deleted: 2 });
        const after = await expectOk(cli, "history");
        expect((after.messages as ChatMessage[]).map((m) => m.id)).toEqual([ids[2]!, ids[1]!]);
        expect(await cli.run("delete 999999")).toMatchObject({ ok: false, command: "delete", code: "NOT_FOUND" });
      } finally {
        expect(await cli.end()).toBe(0);
      }
    },
    childProcessesMs,
  );

  test(
    "delete-account refuses a wrong password and then deletes the account for good",
    async () => {
      const cli = startCli();
      try {
        await expectOk(cli, `register gone-soon ${password}`);
        await expectOk(cli, `login gone-soon ${password}`);
        expect(await cli.run("delete-account wrong-password")).toMatchObject({ ok: false, code: "UNAUTHENTICATED" });
        // A refused deletion leaves the session, and its feed, working.
        await expectOk(cli, "send gone-soon still here");
        expect(await expectOk(cli, `delete-account ${password}`)).toEqual({ username: "gone-soon" });
        expect(await cli.run(`login gone-soon ${password}`)).toMatchObject({ ok: false, code: "UNAUTHENTICATED" });
        expect(await cli.run("logout")).toMatchObject({ ok: false, code: "UNAUTHENTICATED" });
      } finally {
        expect(await cli.end()).toBe(0);
      }
      // The server ended the stream as the account went: the client had stopped listening first, so no notice.
      expect(cli.events().filter((line: CliLine) => line.event === "notice")).toEqual([]);
    },
    childProcessesMs,
  );

  test(
    "at end of input every command already written is answered, in order, and the client exits 0",
    async () => {
      await replica.client().createAccount("batch-user", password);
      const cli = startCli();
      const lines = [`login batch-user ${password}`, "send batch-user one", "send batch-user two", "history 2", "logout"];
      for (const line of lines) cli.write(line);
      expect(await cli.end()).toBe(0);
      const answers = cli.objects().filter((object) => object.ok !== undefined);
      expect(answers.map((answer) => [answer.command, answer.ok])).toEqual(lines.map((line) => [line.split(" ")[0], true]));
      expect((answers[3]!.result as { messages: ChatMessage[] }).messages.map((m) => m.text)).toEqual(["two", "one"]);
    },
    childProcessesMs,
  );
});

describe("the interactive client", () => {
  let replica: TestReplica;

  beforeAll(async () => {
    replica = await startTestReplica();
  }, hookMs);

  afterAll(async () => {
    await replica.destroy();
  }, hookMs);

  /** Runs the interactive front end on `lines` (then end of input) and returns everything it printed. */
  async function interactive(lines: string[]): Promise<string> {
    const input = new PassThrough();
    const printed: string[] = [];
    const output = new Writable({
      write(chunk, _encoding, done) {
        printed.push(String(chunk));
        done();
      },
    });
    const exit = runInteractive({ addresses: [replica.replica.address], input, output });
    for (const line of lines) input.write(`${line}\n`);
    input.end();
    expect(await exit).toBe(0);
    return printed.join("");
  }

  test(
    "a message's control characters are shown as escapes: a sender cannot clear the screen, ring the bell or fake a prompt",
    async () => {
      const sender = await userClient(replica, "esc-sender");
      await replica.client().createAccount("esc-reader", password);
      // Clear screen and home (ESC [2J ESC [H), a C1 CSI (U+009B), BEL, a carriage return and DEL, then a fake prompt.
      const attack = "\u001b[2J\u001b[H\u009b31m\u0007\r\u007fesc-reader@127.0.0.1:50051> ";
      await sender.sendMessage("esc-reader", `${attack}héllo 👋 世界`);
      const printed = await interactive([`login esc-reader ${password}`, "history"]);
      // Lines end with \n; nothing else below U+0020, no DEL, no C1 control reaches the terminal.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
      expect(printed).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(printed).toContain(`${String.raw`\u001b[2J\u001b[H\u009b31m\u0007\r\u007fesc-reader@127.0.0.1:50051> `}héllo 👋 世界`);
    },
    inProcessReplicaMs,
  );
});
