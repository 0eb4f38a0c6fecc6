/**
 * The client library's policy over a scripted transport, on a clock the
 * test moves: redirects, retries with the same seq up to the failover
 * deadline, and follow()'s resume position. The whole-replica simulation
 * runs the same code against real replicas; these pin the rules down one
 * at a time.
 */
import { describe, expect, test } from "bun:test";
import { ChatClient, ChatClientError, followRetryPauseFirstMs, hedgeAfterMsDefault, type Resumption } from "../../src/client/chat-client.ts";
import type { CallMetadata, ChatTransport, StreamCall, StreamEvents, UnaryName } from "../../src/client/transport.ts";
import { SimClock } from "../../src/tools/sim/clock.ts";

interface SentCall {
  address: string;
  method: UnaryName;
  request: unknown;
  metadata: CallMetadata;
}

/** Answers each call with what `answer` returns (a ChatClientError fails it); keeps every stream opened for the test to drive. */
class ScriptedTransport implements ChatTransport {
  readonly calls: SentCall[] = [];
  readonly streams: { address: string; afterId: number; events: StreamEvents }[] = [];

  constructor(private readonly answer: (call: SentCall) => unknown) {}

  async call(address: string, method: UnaryName, request: unknown, metadata: CallMetadata) {
    const call = { address, method, request, metadata };
    this.calls.push(call);
    const answer = this.answer(call);
    if (answer instanceof ChatClientError) throw answer;
    // biome-ignore lint/suspicious/noExplicitAny: the script answers with the reply the test expects
    return answer as any;
  }

  subscribe(address: string, afterId: number, _metadata: CallMetadata, events: StreamEvents): StreamCall {
    this.streams.push({ address, afterId, events });
    return { cancel: () => {} };
  }

  close(): void {}
}

const tickMs = 10;

/** A client on a clock that moves only when the test says so. */
function scriptedClient(answer: (call: SentCall) => unknown, options: { failoverDeadlineMs?: number } = {}) {
  let now = 0;
  const clock = new SimClock(() => now);
  const transport = new ScriptedTransport(answer);
  const client = new ChatClient({ addresses: ["a", "b", "c"], clientId: "scripted-client-0001", transport, clock, ...options });
  const advance = async (ms: number) => {
    for (let passed = 0; passed < ms; passed += tickMs) {
      now += tickMs;
      clock.tick();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { client, transport, advance };
}

const leaderIsB = { leaderId: 2, leaderAddress: "b", replicas: [], term: 3, replyingId: 1 };

describe("the client library's policy", () => {
  test("a write a follower redirects goes to the named leader with the same client id and seq", async () => {
    const { client, transport } = scriptedClient(({ address }) =>
      address === "b" ? { id: 9, sentAtMs: 5 } : new ChatClientError("UNAVAILABLE", "not the leader; the leader is b", "b"),
    );
    expect(await client.sendMessage("bob", "hi")).toEqual({ id: 9, sentAtMs: 5 });
    expect(transport.calls.map(({ address, method }) => `${method}@${address}`)).toEqual(["SendMessage@a", "SendMessage@b"]);
    const [first, second] = transport.calls;
    expect(second!.metadata.write).toEqual(first!.metadata.write!);
    expect(first!.metadata.write).toEqual({ clientId: "scripted-client-0001", seq: 1 });
  });

  test("a write that never gets an answer is retried with one seq until the failover deadline, then its outcome is reported unknown", async () => {
    const { client, transport, advance } = scriptedClient(() => new ChatClientError("DEADLINE_EXCEEDED", "no answer"), { failoverDeadlineMs: 200 });
    const outcome = client.sendMessage("bob", "hi").catch((error: unknown) => error);
    await advance(400);
    const error = (await outcome) as ChatClientError;
    expect(error.code).toBe("DEADLINE_EXCEEDED");
    expect(error.message).toMatch(/may or may not have been applied/);
    const writes = transport.calls.filter((call) => call.method === "SendMessage");
    expect(writes.length).toBeGreaterThan(2);
    expect(new Set(writes.map((call) => call.metadata.write?.seq))).toEqual(new Set([1]));
  });

  test("a write with an unknown outcome is resent on request with the same seq and request, after later writes, so it lands once", async () => {
    let reachable = false;
    const { client, transport, advance } = scriptedClient(
      (call) => {
        if (call.method === "GetLeaderInfo") return leaderIsB;
        return reachable ? { id: call.metadata.write?.seq } : new ChatClientError("DEADLINE_EXCEEDED", "no answer");
      },
      { failoverDeadlineMs: 200 },
    );
    expect(await client.resendUnsettled()).toBeNull();
    const lost = client.sendMessage("bob", "hi").catch((error: unknown) => error);
    await advance(400);
    expect(((await lost) as ChatClientError).outcomeUnknown).toBe(true);
    expect(client.unsettledWrite).toBe("SendMessage");
    reachable = true;
    await client.sendMessage("carol", "later");
    const resent = await client.resendUnsettled();
    expect(resent).toEqual({ name: "SendMessage", reply: { id: 1 } });
    const last = transport.calls.filter((call) => call.method === "SendMessage").at(-1)!;
    expect(last.metadata.write?.seq).toBe(1);
    expect(last.request).toEqual({ recipient: "bob", text: "hi" });
    expect(client.unsettledWrite).toBeNull();
    expect(await client.resendUnsettled()).toBeNull();
  });

  test("a write to a frozen leader is sent again, same seq, to the leader the others name, without waiting for its deadline", async () => {
    // "a" froze (no answer, ever); "b" and "c" say b leads at a higher term; "a" never answers GetLeaderInfo either.
    const { client, transport, advance } = scriptedClient(({ address, method }) => {
      if (address === "a") return new Promise(() => {});
      if (method === "GetLeaderInfo") return { ...leaderIsB, term: 4 };
      return { id: 7, sentAtMs: 1 };
    });
    let reply: unknown = null;
    void client.sendMessage("bob", "hi").then((answer) => (reply = answer));
    await advance(hedgeAfterMsDefault + 5 * tickMs);
    expect(reply).toEqual({ id: 7, sentAtMs: 1 });
    const sends = transport.calls.filter((call) => call.method === "SendMessage");
    expect(sends.map((call) => call.address)).toEqual(["a", "b"]);
    expect(sends[1]!.metadata.write).toEqual(sends[0]!.metadata.write!);
  });

  test("a slow answer from the leader itself is waited for: nothing is sent twice when the leader is where the call went", async () => {
    let answer: (reply: unknown) => void = () => {};
    const { client, transport, advance } = scriptedClient(({ method }) =>
      method === "GetLeaderInfo" ? { ...leaderIsB, leaderAddress: "a", leaderId: 1 } : new Promise((resolve) => (answer = resolve)),
    );
    let reply: unknown = null;
    void client.sendMessage("bob", "hi").then((value) => (reply = value));
    await advance(3 * hedgeAfterMsDefault);
    answer({ id: 3, sentAtMs: 1 });
    await advance(tickMs);
    expect(reply).toEqual({ id: 3, sentAtMs: 1 });
    expect(transport.calls.filter((call) => call.method === "SendMessage").map((call) => call.address)).toEqual(["a"]);
  });

  test("follow() resumes from its first stream's position before any message, then from the last id delivered", async () => {
    const { client, transport, advance } = scriptedClient(({ method }) => (method === "GetLeaderInfo" ? leaderIsB : {}));
    const delivered: number[] = [];
    const resumptions: Resumption[] = [];
    client.follow(0, { onMessage: (message) => delivered.push(message.id), onResumed: (resumption) => resumptions.push(resumption) });

    transport.streams[0]!.events.start({ position: 7, catchUpCount: 0 });
    transport.streams[0]!.events.end(new ChatClientError("UNAVAILABLE", "this replica is no longer the leader", "b"));
    await advance(followRetryPauseFirstMs);
    expect(transport.streams[1]).toMatchObject({ address: "b", afterId: 7 });

    transport.streams[1]!.events.start({ position: 12, catchUpCount: 2 });
    expect(resumptions).toMatchObject([{ missedCount: 2, attempts: 1 }]);
    transport.streams[1]!.events.message({ id: 8, sender: "alice", recipient: "bob", text: "missed", sentAtMs: 0, read: false });
    transport.streams[1]!.events.end(new ChatClientError("UNAVAILABLE", "connection lost"));
    await advance(followRetryPauseFirstMs);
    expect(transport.streams[2]).toMatchObject({ address: "b", afterId: 8 });
    expect(delivered).toEqual([8]);
  });
});
