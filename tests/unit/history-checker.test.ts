/**
 * The history checker (src/check/history.ts): hand-built histories, each a
 * small story, that either satisfy the chat semantics or break exactly one
 * property; and a property-based test that records random sequential
 * histories from a reference model of the service and expects them accepted.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  checkHistory,
  MalformedHistoryError,
  summarizeCheck,
  type Answer,
  type CheckResult,
  type DefiniteFailureCode,
  type FinalMessage,
  type History,
  type HistoryEvent,
  type Operation,
  type PropertyName,
  type ReplicaFinalState,
  type SeenMessage,
} from "../../src/check/history.ts";
import { runConcurrently, runSequentially, type Command, type Fate } from "../support/chat-reference.ts";

/** Records events with consecutive sequence numbers. */
class Recorder {
  readonly events: HistoryEvent[] = [];
  private seq = 0;

  invoke(process: string, op: Operation): this {
    this.events.push({ type: "invoke", seq: ++this.seq, process, op });
    return this;
  }
  ok(process: string, answer: Answer): this {
    this.events.push({ type: "ok", seq: ++this.seq, process, answer });
    return this;
  }
  fail(process: string, code: DefiniteFailureCode, message: string = code): this {
    this.events.push({ type: "fail", seq: ++this.seq, process, code, message });
    return this;
  }
  unknown(process: string): this {
    this.events.push({ type: "unknown", seq: ++this.seq, process, reason: "deadline exceeded" });
    return this;
  }
  /** An operation that completes before anything else happens. */
  call(process: string, op: Operation, answer: Answer): this {
    return this.invoke(process, op).ok(process, answer);
  }
  subscribe(process: string, user: string, afterId: number, position: number): this {
    this.events.push({ type: "subscribe", seq: ++this.seq, process, user, afterId, position });
    return this;
  }
  deliver(process: string, message: SeenMessage): this {
    this.events.push({ type: "deliver", seq: ++this.seq, process, user: message.recipient, message });
    return this;
  }
}

const create = (user: string): Operation => ({ kind: "CreateAccount", user });
const login = (user: string): Operation => ({ kind: "Login", user });
const send = (user: string, recipient: string, text: string): Operation => ({ kind: "SendMessage", user, recipient, text });
const readNew = (user: string, count: number): Operation => ({ kind: "ReadNewMessages", user, count });
const deleteMessages = (user: string, ids: number[]): Operation => ({ kind: "DeleteMessages", user, ids });
const deleteAccount = (user: string): Operation => ({ kind: "DeleteAccount", user });

const created: Answer = { kind: "CreateAccount" };
const deleted: Answer = { kind: "DeleteAccount" };
const sent = (id: number): Answer => ({ kind: "SendMessage", id });
const loggedIn = (unreadCount: number): Answer => ({ kind: "Login", unreadCount });
const readAnswer = (messages: SeenMessage[], unreadRemaining: number): Answer => ({
  kind: "ReadNewMessages",
  messages,
  unreadRemaining,
});

function message(id: number, sender: string, recipient: string, text: string, read = false): FinalMessage {
  return { id, sender, recipient, text, read, deleted: false };
}

/** `count` replicas with the same final state (and hash). */
function replicas(accounts: string[], messages: FinalMessage[], count = 3): ReplicaFinalState[] {
  return Array.from({ length: count }, (_, i) => ({ replica: `r${i + 1}`, accounts, messages, projectionHash: "h" }));
}

function failing(result: CheckResult): PropertyName[] {
  return (Object.keys(result.properties) as PropertyName[]).filter((name) => result.properties[name].verdict === "fail");
}

function expectOnlyFailure(result: CheckResult, property: PropertyName): void {
  expect(failing(result)).toEqual([property]);
  expect(result.verdict).toBe("fail");
}

/** alice and bob exist: the opening of most stories. */
function twoAccounts(): Recorder {
  return new Recorder().call("a", create("alice"), created).call("b", create("bob"), created);
}

describe("a valid history", () => {
  test("a concurrent history with a subscriber and a failover passes every property", () => {
    const hello = message(3, "alice", "bob", "hello");
    const again = message(5, "alice", "bob", "again");
    const history = twoAccounts()
      .subscribe("bob-live", "bob", 0, 2)
      .invoke("a", send("alice", "bob", "hello"))
      .invoke("b", readNew("bob", 10)) // concurrent with the send: may see it or not
      .ok("a", sent(3))
      .deliver("bob-live", hello)
      .ok("b", readAnswer([hello], 0))
      .call("a", send("alice", "bob", "again"), sent(5))
      .subscribe("bob-live", "bob", 3, 4) // failover: resumed from the last id seen
      .deliver("bob-live", again)
      .call("b", login("bob"), loggedIn(1));
    const result = checkHistory({
      events: history.events,
      replicas: replicas(["alice", "bob"], [{ ...hello, read: true }, again]),
    });
    expect(result.verdict).toBe("pass");
    expect(summarizeCheck({ events: history.events, replicas: [] }, result)).toContain("SendMessage      2 / 0 / 0");
  });

  test("a read concurrent with a send may see the message", () => {
    const hi = message(3, "alice", "bob", "hi");
    const history = twoAccounts()
      .invoke("a", send("alice", "bob", "hi"))
      .invoke("b", readNew("bob", 1))
      .ok("b", readAnswer([hi], 0))
      .ok("a", sent(3));
    expect(checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], [{ ...hi, read: true }]) }).verdict).toBe("pass");
  });

  test("a read concurrent with a send may miss the message", () => {
    const history = twoAccounts()
      .invoke("a", send("alice", "bob", "hi"))
      .invoke("b", readNew("bob", 1))
      .ok("b", readAnswer([], 0))
      .ok("a", sent(3));
    expect(checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], [message(3, "alice", "bob", "hi")]) }).verdict).toBe("pass");
  });

  test("an unknown send may be applied", () => {
    const history = twoAccounts()
      .invoke("a", send("alice", "bob", "maybe"))
      .unknown("a")
      .call("b", login("bob"), loggedIn(1));
    expect(checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], [message(3, "alice", "bob", "maybe")]) }).verdict).toBe("pass");
  });

  test("an unknown send may be lost", () => {
    const history = twoAccounts()
      .invoke("a", send("alice", "bob", "maybe"))
      .unknown("a")
      .call("b", login("bob"), loggedIn(0));
    expect(checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], []) }).verdict).toBe("pass");
  });

  test("an acknowledged message removed by a later delete is not lost", () => {
    const history = twoAccounts()
      .call("a", send("alice", "bob", "oops"), sent(3))
      .call("a", deleteMessages("alice", [3]), { kind: "DeleteMessages", deleted: 1 });
    expect(checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], []) }).verdict).toBe("pass");
  });
});

describe("no acknowledged write lost", () => {
  test("an acknowledged message missing from one replica is caught", () => {
    const history = twoAccounts().call("a", send("alice", "bob", "hi"), sent(3));
    const [r1, r2, r3] = replicas(["alice", "bob"], [message(3, "alice", "bob", "hi")]);
    const result = checkHistory({ events: history.events, replicas: [r1!, r2!, { ...r3!, messages: [], projectionHash: undefined }] });
    expect(failing(result)).toEqual(["noAcknowledgedWriteLost", "replicasConverge"]);
    expect(result.properties.noAcknowledgedWriteLost.findings[0]!.message).toContain("replica r3 lacks message 3");
  });

  test("another message stored under an acknowledged id is caught, whatever deletes followed", () => {
    const history = twoAccounts()
      .call("a", send("alice", "bob", "mine"), sent(3))
      .call("a", deleteMessages("alice", [3]), { kind: "DeleteMessages", deleted: 1 });
    const result = checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], [message(3, "alice", "bob", "forged")]) });
    expect(failing(result)).toContain("noAcknowledgedWriteLost");
    expect(result.properties.noAcknowledgedWriteLost.findings[0]!.message).toContain('holds "forged" under id 3');
  });

  test("an acknowledged account missing from the final state is caught", () => {
    const history = twoAccounts();
    expectOnlyFailure(checkHistory({ events: history.events, replicas: replicas(["alice"], []) }), "noAcknowledgedWriteLost");
  });
});

describe("applied at most once", () => {
  test("a message applied twice is caught", () => {
    const history = twoAccounts().call("a", send("alice", "bob", "twice"), sent(3));
    const result = checkHistory({
      events: history.events,
      replicas: replicas(["alice", "bob"], [message(3, "alice", "bob", "twice"), message(4, "alice", "bob", "twice")]),
    });
    expectOnlyFailure(result, "appliedAtMostOnce");
    expect(result.properties.appliedAtMostOnce.findings[0]!.message).toContain("2 times: ids 3, 4");
  });

  test("an unknown send applied twice is caught", () => {
    const history = twoAccounts()
      .invoke("a", send("alice", "bob", "retried"))
      .unknown("a");
    const result = checkHistory({
      events: history.events,
      replicas: replicas(["alice", "bob"], [message(3, "alice", "bob", "retried"), message(4, "alice", "bob", "retried")]),
    });
    expectOnlyFailure(result, "appliedAtMostOnce");
  });

  test("a message that no SendMessage sent is caught", () => {
    const history = twoAccounts();
    const result = checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], [message(3, "alice", "bob", "phantom")]) });
    expectOnlyFailure(result, "appliedAtMostOnce");
    expect(result.properties.appliedAtMostOnce.findings[0]!.message).toContain('"phantom" (ids 3) that no SendMessage sent');
  });

  test("a send that failed definitely and was applied anyway is caught", () => {
    const history = twoAccounts()
      .invoke("a", send("alice", "bob", "refused"))
      .fail("a", "RESOURCE_EXHAUSTED");
    const result = checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], [message(3, "alice", "bob", "refused")]) });
    expect(failing(result)).toContain("appliedAtMostOnce");
  });
});

describe("ids follow real-time order", () => {
  test("a send invoked after another was acknowledged must get a larger id", () => {
    const history = twoAccounts()
      .call("a", send("alice", "bob", "first"), sent(7))
      .call("a", send("alice", "bob", "second"), sent(5));
    const result = checkHistory({
      events: history.events,
      replicas: replicas(["alice", "bob"], [message(5, "alice", "bob", "second"), message(7, "alice", "bob", "first")]),
    });
    expect(failing(result)).toContain("sendOrderFollowsRealTime");
    expect(result.properties.sendOrderFollowsRealTime.findings[0]!.events).toHaveLength(4);
  });

  test("concurrent sends may get ids in either order", () => {
    const history = twoAccounts()
      .invoke("a", send("alice", "bob", "first"))
      .invoke("a2", send("alice", "bob", "second"))
      .ok("a", sent(7))
      .ok("a2", sent(5));
    const result = checkHistory({
      events: history.events,
      replicas: replicas(["alice", "bob"], [message(5, "alice", "bob", "second"), message(7, "alice", "bob", "first")]),
    });
    expect(result.verdict).toBe("pass");
  });
});

describe("account answers are linearizable", () => {
  test("a 'Recipient does not exist' after the account was acknowledged is stale", () => {
    const history = twoAccounts()
      .invoke("a", send("alice", "bob", "hi"))
      .fail("a", "NOT_FOUND", "Recipient does not exist: bob");
    const result = checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], []) });
    expectOnlyFailure(result, "accountsLinearizable");
    const finding = result.properties.accountsLinearizable.findings[0]!;
    expect(finding.message).toContain(`user bob: no linearization explains SendMessage(alice→bob, "hi") by a fail NOT_FOUND`);
    expect(finding.events).toHaveLength(4);
  });

  test("a 'Recipient does not exist' concurrent with the CreateAccount is legal", () => {
    const history = new Recorder()
      .call("a", create("alice"), created)
      .invoke("b", create("bob"))
      .invoke("a", send("alice", "bob", "hi"))
      .fail("a", "NOT_FOUND", "Recipient does not exist: bob")
      .ok("b", created);
    expect(checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], []) }).verdict).toBe("pass");
  });

  test("a 'Recipient does not exist' is legal when a DeleteAccount may have intervened", () => {
    const history = twoAccounts()
      .invoke("b", deleteAccount("bob"))
      .unknown("b")
      .invoke("a", send("alice", "bob", "hi"))
      .fail("a", "NOT_FOUND", "Recipient does not exist: bob");
    expect(checkHistory({ events: history.events, replicas: replicas(["alice"], []) }).verdict).toBe("pass");
  });

  test("a refused login tells nothing of the account: an unknown name and a wrong password get one answer", () => {
    const history = new Recorder()
      .call("a", create("alice"), created)
      .invoke("x", login("alice"))
      .fail("x", "UNAUTHENTICATED", "Incorrect username or password");
    expect(checkHistory({ events: history.events, replicas: replicas(["alice"], []) }).verdict).toBe("pass");
  });

  test("'Username already taken' for an account that cannot exist is caught", () => {
    const history = new Recorder()
      .call("a", create("alice"), created)
      .call("a", deleteAccount("alice"), deleted)
      .invoke("x", create("alice"))
      .fail("x", "ALREADY_EXISTS", "Username already taken");
    expectOnlyFailure(checkHistory({ events: history.events, replicas: replicas([], []) }), "accountsLinearizable");
  });

  test("'nothing unread' after an acknowledged send to the user is stale", () => {
    const history = twoAccounts()
      .call("a", send("alice", "bob", "hi"), sent(3))
      .call("b", readNew("bob", 5), readAnswer([], 0));
    const result = checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], [message(3, "alice", "bob", "hi")]) });
    expectOnlyFailure(result, "accountsLinearizable");
    expect(result.properties.accountsLinearizable.findings[0]!.message).toContain("ReadNewMessages(bob, 5) by b ok [] remaining=0");
  });

  test("'nothing unread' is legal when a concurrent read may have taken the message", () => {
    const hi = message(3, "alice", "bob", "hi");
    const history = twoAccounts()
      .call("a", send("alice", "bob", "hi"), sent(3))
      .invoke("b", readNew("bob", 5))
      .invoke("b2", readNew("bob", 5))
      .ok("b2", readAnswer([], 0))
      .ok("b", readAnswer([hi], 0));
    expect(checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], [{ ...hi, read: true }]) }).verdict).toBe("pass");
  });

  test("'nothing unread' is stale when the only read that could take the message took another", () => {
    const first = message(3, "alice", "bob", "first");
    const history = twoAccounts()
      .call("a", send("alice", "bob", "first"), sent(3))
      .call("a", send("alice", "bob", "second"), sent(4))
      .invoke("b", readNew("bob", 1))
      .invoke("b2", readNew("bob", 5))
      .ok("b2", readAnswer([], 0))
      .ok("b", readAnswer([first], 1));
    const result = checkHistory({
      events: history.events,
      replicas: replicas(["alice", "bob"], [{ ...first, read: true }, message(4, "alice", "bob", "second")]),
    });
    expectOnlyFailure(result, "accountsLinearizable");
  });

  test("two reads that return the same message are caught even when concurrent", () => {
    const hi = message(3, "alice", "bob", "hi");
    const history = twoAccounts()
      .call("a", send("alice", "bob", "hi"), sent(3))
      .invoke("b", readNew("bob", 5))
      .invoke("b2", readNew("bob", 5))
      .ok("b", readAnswer([hi], 0))
      .ok("b2", readAnswer([hi], 0));
    const result = checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], [{ ...hi, read: true }]) });
    expectOnlyFailure(result, "accountsLinearizable");
  });

  test("a read must take the oldest unread messages first", () => {
    const second = message(4, "alice", "bob", "second");
    const history = twoAccounts()
      .call("a", send("alice", "bob", "first"), sent(3))
      .call("a", send("alice", "bob", "second"), sent(4))
      .call("b", readNew("bob", 1), readAnswer([second], 1));
    const result = checkHistory({
      events: history.events,
      replicas: replicas(["alice", "bob"], [message(3, "alice", "bob", "first"), { ...second, read: true }]),
    });
    expectOnlyFailure(result, "accountsLinearizable");
  });

  test("a login's unread count must count the messages acknowledged before it", () => {
    const history = twoAccounts()
      .call("a", send("alice", "bob", "hi"), sent(3))
      .call("b", login("bob"), loggedIn(0));
    expectOnlyFailure(
      checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], [message(3, "alice", "bob", "hi")]) }),
      "accountsLinearizable",
    );
  });

  test("deleting the sender drops its unread messages from the recipient's count", () => {
    const history = twoAccounts()
      .call("a", send("alice", "bob", "hi"), sent(3))
      .call("a", deleteAccount("alice"), deleted)
      .call("b", login("bob"), loggedIn(0));
    expect(checkHistory({ events: history.events, replicas: replicas(["bob"], []) }).verdict).toBe("pass");
  });

  test("an unknown send that no replica holds and nothing could have removed never happened", () => {
    const history = twoAccounts()
      .invoke("a", send("alice", "bob", "lost"))
      .unknown("a")
      .call("b", login("bob"), loggedIn(1));
    expectOnlyFailure(checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], []) }), "accountsLinearizable");
  });

  test("a message a replica holds for an account that never existed is caught", () => {
    const history = new Recorder()
      .call("a", create("alice"), created)
      .invoke("a", send("alice", "carol", "to nobody"))
      .unknown("a");
    const result = checkHistory({ events: history.events, replicas: replicas(["alice"], [message(3, "alice", "carol", "to nobody")]) });
    expectOnlyFailure(result, "accountsLinearizable");
    expect(result.properties.accountsLinearizable.findings[0]!.message).toContain("user carol: no linearization places every send a replica shows");
  });

  test("an unknown read may have taken a message that nothing ever showed", () => {
    const second = message(5, "alice", "bob", "second");
    const history = twoAccounts()
      .invoke("a", send("alice", "bob", "unseen")) // applied as id 3, read below, then deleted with alice
      .unknown("a")
      .call("a", send("alice", "bob", "first"), sent(4))
      .call("a", send("alice", "bob", "second"), sent(5))
      .invoke("b", readNew("bob", 2)) // took ids 3 and 4, answer lost
      .unknown("b")
      .call("b", readNew("bob", 1), readAnswer([second], 0))
      .call("a", deleteAccount("alice"), deleted);
    const bobsHistory = [message(4, "alice", "bob", "first", true), { ...second, read: true }];
    expect(checkHistory({ events: history.events, replicas: replicas(["bob"], bobsHistory) }).verdict).toBe("pass");
  });

  test("unknown reads that do the same thing are searched as one, so many of them stay cheap", () => {
    const texts = ["m1", "m2", "m3", "m4", "m5"];
    /** Five messages to bob, thirty reads of one whose answers were lost, then bob logs in. */
    const history = (unreadAtLogin: number) => {
      const recorder = twoAccounts();
      for (const [i, text] of texts.entries()) recorder.call("a", send("alice", "bob", text), sent(3 + i));
      for (let i = 0; i < 30; i++) recorder.invoke(`r${i}`, readNew("bob", 1));
      for (let i = 0; i < 30; i++) recorder.unknown(`r${i}`);
      const final = replicas(
        ["alice", "bob"],
        texts.map((text, i) => message(3 + i, "alice", "bob", text, i < 3)),
      );
      return { events: recorder.call("b", login("bob"), loggedIn(unreadAtLogin)).events, replicas: final };
    };
    const budget = { accountSearchSteps: 10_000 };
    expect(checkHistory(history(2), budget).verdict).toBe("pass");
    expect(checkHistory(history(6), budget).properties.accountsLinearizable.verdict).toBe("fail");
  });

  test("a search that hits its bound says inconclusive rather than hanging", () => {
    const history = twoAccounts();
    for (let i = 0; i < 12; i++) history.invoke(`s${i}`, send("alice", "bob", `m${i}`));
    for (let i = 0; i < 12; i++) history.unknown(`s${i}`);
    // alice may have been deleted with her unread messages: the final state cannot tell which sends happened.
    history.invoke("a", deleteAccount("alice")).unknown("a");
    history.call("b", login("bob"), loggedIn(13)); // more than could ever be there: no linearization exists
    const result = checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], []) }, { accountSearchSteps: 1_000 });
    expect(result.properties.accountsLinearizable.verdict).toBe("inconclusive");
    expect(result.properties.accountsLinearizable.findings[0]!.message).toContain("inconclusive: search bound hit (1000 steps) for user bob");
    expect(result.verdict).toBe("inconclusive");
  });
});

describe("subscribers see no gap and no duplicate", () => {
  const hi = message(3, "alice", "bob", "hi");
  const there = message(4, "alice", "bob", "there");
  const finalState = replicas(["alice", "bob"], [hi, there]);

  test("a message delivered again after a reopen is a duplicate", () => {
    const history = twoAccounts()
      .subscribe("bob-live", "bob", 0, 2)
      .call("a", send("alice", "bob", "hi"), sent(3))
      .deliver("bob-live", hi)
      .subscribe("bob-live", "bob", 2, 3) // resumed from the position instead of the last id
      .deliver("bob-live", hi)
      .call("a", send("alice", "bob", "there"), sent(4))
      .deliver("bob-live", there);
    const result = checkHistory({ events: history.events, replicas: finalState });
    expectOnlyFailure(result, "subscribersSeeNoGapNoDuplicate");
    expect(result.properties.subscribersSeeNoGapNoDuplicate.findings[0]!.message).toContain("a duplicate of message 3");
  });

  test("a committed message skipped between two deliveries is a gap", () => {
    const later = message(5, "alice", "bob", "later");
    const history = twoAccounts()
      .subscribe("bob-live", "bob", 0, 2)
      .call("a", send("alice", "bob", "hi"), sent(3))
      .deliver("bob-live", hi)
      .call("a", send("alice", "bob", "there"), sent(4))
      .subscribe("bob-live", "bob", 0, 4) // resumed "from now on": message 4 is skipped
      .call("a", send("alice", "bob", "later"), sent(5))
      .deliver("bob-live", later);
    const result = checkHistory({ events: history.events, replicas: replicas(["alice", "bob"], [hi, there, later]) });
    expectOnlyFailure(result, "subscribersSeeNoGapNoDuplicate");
    expect(result.properties.subscribersSeeNoGapNoDuplicate.findings[0]!.message).toContain("never message 4");
  });

  test("a message sent before the stream's position is not a gap", () => {
    const history = twoAccounts()
      .call("a", send("alice", "bob", "hi"), sent(3))
      .subscribe("bob-live", "bob", 0, 3)
      .call("a", send("alice", "bob", "there"), sent(4))
      .deliver("bob-live", there);
    expect(checkHistory({ events: history.events, replicas: finalState }).verdict).toBe("pass");
  });
});

describe("replicas converge", () => {
  test("diverged projection hashes are caught", () => {
    const history = twoAccounts();
    const [r1, r2, r3] = replicas(["alice", "bob"], []);
    const result = checkHistory({ events: history.events, replicas: [r1!, r2!, { ...r3!, projectionHash: "other" }] });
    expectOnlyFailure(result, "replicasConverge");
    expect(result.properties.replicasConverge.findings[0]!.message).toContain("replica r3's projection hash differs from replica r1's");
  });

  test("without hashes, diverged read flags are caught", () => {
    const history = twoAccounts().call("a", send("alice", "bob", "hi"), sent(3));
    const [r1, r2] = replicas(["alice", "bob"], [message(3, "alice", "bob", "hi")], 2).map((replica) => ({ ...replica, projectionHash: undefined }));
    const result = checkHistory({
      events: history.events,
      replicas: [r1!, { ...r2!, messages: [message(3, "alice", "bob", "hi", true)] }],
    });
    expectOnlyFailure(result, "replicasConverge");
  });
});

describe("malformed histories", () => {
  test("two sends with the same text are refused, since texts identify messages", () => {
    const history = twoAccounts()
      .call("a", send("alice", "bob", "same"), sent(3))
      .call("a", send("alice", "bob", "same"), sent(4));
    expect(() => checkHistory({ events: history.events, replicas: [] })).toThrow(MalformedHistoryError);
  });

  test("a completion with nothing pending is refused", () => {
    const history = new Recorder().ok("a", created);
    expect(() => checkHistory({ events: history.events, replicas: [] })).toThrow(MalformedHistoryError);
  });

  test("a history survives a round trip through JSON", () => {
    const history: History = {
      events: twoAccounts().call("a", send("alice", "bob", "hi"), sent(3)).events,
      replicas: replicas(["alice", "bob"], [message(3, "alice", "bob", "hi")]),
    };
    expect(checkHistory(JSON.parse(JSON.stringify(history)))).toEqual(checkHistory(history));
  });
});

describe("histories recorded from the model itself", () => {
  const users = ["ann", "bob", "cy"];
  const user = fc.constantFrom(...users);
  /** Mostly answered, so that runs get far; two fifths of the outcomes unknown. */
  const fate = fc.constantFrom<Fate>("answered", "answered", "answered", "unknownApplied", "unknownLost");
  const pick = fc.nat({ max: 12 });
  /** Two client processes per user, so that one user's operations overlap in the concurrent runs. */
  const slot = fc.constantFrom(0, 1);
  const command: fc.Arbitrary<Command> = fc.oneof(
    fc.record({ kind: fc.constantFrom("create", "login", "logout", "list", "deleteAccount"), user, fate, slot }),
    fc.record({ kind: fc.constant("send"), user, recipient: user, fate, slot }),
    fc.record({ kind: fc.constant("send"), user, recipient: user, fate, slot }),
    fc.record({ kind: fc.constant("read"), user, count: fc.integer({ min: 1, max: 3 }), fate, slot }),
    fc.record({ kind: fc.constantFrom("markRead", "deleteMessages"), user, pick, fate, slot }),
    fc.record({ kind: fc.constantFrom("subscribe", "reopen"), user }),
  ) as fc.Arbitrary<Command>;
  /** Long enough for accounts to be deleted and made again; short enough to run hundreds. */
  const commands = fc.array(command, { minLength: 20, maxLength: 80, size: "max" });
  /** Every user starts with an account, so that most commands get past "Recipient does not exist". */
  const opening: Command[] = users.map((name) => ({ kind: "create", user: name, fate: "answered" }));

  function expectAccepted(history: History): void {
    const result = checkHistory(history);
    if (result.verdict !== "pass") throw new Error(summarizeCheck(history, result));
  }

  test("a random sequential history from the reference model is accepted", () => {
    fc.assert(
      fc.property(commands, (run) => expectAccepted(runSequentially([...opening, ...run]))),
      { numRuns: 300 },
    );
  });

  test("a sequential history with every answer known is rejected once a login's unread count is off by one", () => {
    const answered = command.filter((generated) => !("fate" in generated) || generated.fate === "answered");
    const runs = fc.array(answered, { minLength: 20, maxLength: 80, size: "max" });
    fc.assert(
      fc.property(runs, fc.nat(), (run, choice) => {
        const history = runSequentially([...opening, ...run]);
        const logins = history.events.filter((event) => event.type === "ok" && event.answer.kind === "Login");
        fc.pre(logins.length > 0);
        const altered = logins[choice % logins.length]!;
        const events = history.events.map((event) =>
          event === altered && event.type === "ok" && event.answer.kind === "Login"
            ? { ...event, answer: { ...event.answer, unreadCount: event.answer.unreadCount + 1 } }
            : event,
        );
        expect(failing(checkHistory({ ...history, events }))).toEqual(["accountsLinearizable"]);
      }),
      { numRuns: 200 },
    );
  });

  test("a random concurrent history from the reference model is accepted", () => {
    fc.assert(
      fc.property(commands, fc.array(fc.nat(), { minLength: 1, maxLength: 200 }), (run, schedule) =>
        expectAccepted(runConcurrently([...opening, ...run], schedule)),
      ),
      { numRuns: 300 },
    );
  });
});
