/**
 * The web gateway's pure parts: how a failure becomes the sentence a
 * person reads (and which field it is about), which origins may call the
 * API, and the page's message store that shows each message once.
 */
import { describe, expect, test } from "bun:test";
import { ChatClientError } from "../../src/client/chat-client.ts";
import { sentence } from "../../src/client/failure-text.ts";
import { describeError, GatewayError } from "../../src/web/errors.ts";
import { originsOf } from "../../src/web/gateway.ts";
import { MessageStore } from "../../src/web/page/store.ts";
import type { WireMessage } from "../../src/web/protocol.ts";

const credentials = [
  ["password", /password/i],
  ["username", /user/i],
] as const;

describe("errors as people read them", () => {
  test("a service refusal becomes a sentence about the field its message names", () => {
    expect(describeError(new ChatClientError("INVALID_ARGUMENT", "password must be at least 8 characters"), credentials, true)).toEqual({
      status: 400,
      error: { code: "INVALID_ARGUMENT", message: "Password must be at least 8 characters.", field: "password" },
    });
    expect(describeError(new ChatClientError("ALREADY_EXISTS", "Username already taken"), credentials, true)?.error.field).toBe("username");
    expect(describeError(new ChatClientError("NOT_FOUND", "No such user"), credentials, false)?.status).toBe(404);
  });

  test("no answer from a leader says whether a write may have taken effect, never the raw gRPC text", () => {
    const lost = new ChatClientError("UNAVAILABLE", "No connection established. Last error: connect ECONNREFUSED (gave up after failover attempts)");
    const write = describeError(lost, credentials, true)!;
    expect(write.status).toBe(503);
    expect(write.error.message).toBe("No leader of the cluster answered within 15 s. It may or may not have taken effect: look before you try again.");
    expect(describeError(lost, credentials, false)!.error.message).toEndWith("Please try again in a moment.");
    expect(JSON.stringify(write)).not.toContain("ECONNREFUSED");
  });

  test("the gateway's own refusals keep their status; anything else is not described (the gateway logs it)", () => {
    expect(describeError(new GatewayError("FORBIDDEN", 403, "requests must come from the gateway's own page"), [], false)).toEqual({
      status: 403,
      error: { code: "FORBIDDEN", message: "Requests must come from the gateway's own page." },
    });
    expect(describeError(new TypeError("x is undefined"), [], false)).toBeNull();
    expect(sentence("  ")).toBe("The request failed.");
    expect(sentence("Done!")).toBe("Done!");
  });
});

describe("origins", () => {
  test("a loopback gateway answers its page under each loopback name, and nothing else unless told", () => {
    expect([...originsOf(new URL("http://127.0.0.1:8080/"), [])].sort()).toEqual(["http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:8080"]);
    expect([...originsOf(new URL("http://10.1.2.3:8080/"), ["https://chat.example/"])].sort()).toEqual(["http://10.1.2.3:8080", "https://chat.example"]);
  });
});

describe("the page's message store", () => {
  const message = (id: number, sender: string, recipient: string, read = false): WireMessage => ({ id, sender, recipient, text: `#${id}`, sentAtMs: id, read });

  test("holds each id once, whichever way it arrived, and groups conversations by the other person", () => {
    const store = new MessageStore();
    store.me = "alice";
    expect(store.add([message(3, "bob", "alice"), message(5, "alice", "bob")])).toHaveLength(2);
    expect(store.add([message(3, "bob", "alice"), message(7, "carol", "alice")]).map((each) => each.id)).toEqual([7]);
    expect(store.partners()).toEqual([
      { name: "carol", unread: 1, lastId: 7 },
      { name: "bob", unread: 1, lastId: 5 },
    ]);
    store.markRead([3]);
    expect(store.thread("bob").map((each) => [each.id, each.read])).toEqual([
      [3, true],
      [5, false],
    ]);
    expect(store.remove([5, 99]).map((each) => each.id)).toEqual([5]);
    expect(store.all().map((each) => each.id)).toEqual([3, 7]);
  });
});
