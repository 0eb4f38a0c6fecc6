/**
 * The browser client in a real browser: headless Chromium (Debian's
 * package, driven by playwright-core) on the gateway (`bun run web`) in
 * front of a real three-replica cluster. Two users in two browser contexts
 * register, log in and chat with messages arriving live; the account list
 * pages through a wildcard search; new messages are read N at a time;
 * history deletes the ticked messages; an account is deleted behind its
 * confirmation; every service error shows next to its cause; the session
 * token never reaches page scripts and other origins are refused.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { ChatClient } from "../src/client/chat-client.ts";
import { readCountMax } from "../src/limits.ts";
import { sessionCookieName } from "../src/web/gateway.ts";
import { livePath } from "../src/web/protocol.ts";
import { TestCluster } from "./support/cluster.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";
import { ChatPage, launchBrowser, password, screenshotPath, WebGateway } from "./support/web.ts";

/** Cheap password hashing: these tests register and log in many times. */
const cheapHashing = { password_hashing: { memory_cost: 8, time_cost: 1 } };
export const chatScreenshot = screenshotPath("web-chat.png");

let cluster: TestCluster;
let gateway: WebGateway;
let browser: Browser;
const pages: ChatPage[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  cluster = await TestCluster.start(3, { config: cheapHashing });
  gateway = await WebGateway.start(cluster.addresses(), cluster.secret);
}, hookMs);

afterEach(async () => {
  for (const page of pages.splice(0)) {
    expect(page.pageErrors).toEqual([]);
    await page.close();
  }
}, hookMs);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await cluster?.cleanup();
}, hookMs);

async function openPage(): Promise<ChatPage> {
  const page = await ChatPage.open(browser, gateway);
  pages.push(page);
  return page;
}

describe("the gateway", () => {
  test(
    "keeps the session in an HttpOnly, SameSite=Strict cookie and refuses other origins and hosts",
    async () => {
      const hello = (headers: Record<string, string>) =>
        fetch(`${gateway.url}api/hello`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: "{}" });
      const own = await hello({ origin: gateway.origin });
      expect(own.status).toBe(200);
      const cookie = own.headers.get("set-cookie") ?? "";
      expect(cookie).toStartWith(`${sessionCookieName}=`);
      expect(cookie).toContain("HttpOnly");
      expect(cookie).toContain("SameSite=Strict");
      for (const refused of [await hello({}), await hello({ origin: "http://evil.example" })]) {
        expect(refused.status).toBe(403);
        expect(((await refused.json()) as { error: { message: string } }).error.message).toBe("Requests must come from the gateway's own page.");
      }
      // A page of another site that rebinds its name to this address still names its own host.
      expect((await hello({ origin: gateway.origin, host: "evil.example" })).status).toBe(403);

      const sessionId = cookie.split(";")[0]!;
      const upgrade = (origin: string) =>
        fetch(`${gateway.url}${livePath.slice(1)}`, {
          headers: {
            origin,
            cookie: sessionId,
            connection: "Upgrade",
            upgrade: "websocket",
            "sec-websocket-version": "13",
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          },
        });
      expect((await upgrade("http://evil.example")).status).toBe(403);
      expect((await upgrade(gateway.origin)).status).toBe(101);
    },
    childProcessesMs,
  );

  test(
    "never gives page scripts the session token",
    async () => {
      const alice = await openPage();
      await alice.registerAndLogin("nomad");
      expect(await alice.page.evaluate("document.cookie")).toBe("");
      expect(JSON.stringify(alice.pushed)).not.toContain('"token"');
    },
    childProcessesMs,
  );
});

describe("the page", () => {
  test(
    "two users register, log in and chat, each message arriving live in the other's page without a reload",
    async () => {
      const alice = await openPage();
      const bob = await openPage();
      await bob.registerAndLogin("bob");
      await alice.register("alice");
      // Alice uses the keyboard alone: Tab to the login form, type, Enter; then the conversation.
      await tabTo(alice, "login-username");
      await alice.page.keyboard.type("alice");
      await alice.page.keyboard.press("Tab");
      await alice.page.keyboard.type(password);
      await alice.page.keyboard.press("Enter");
      await alice.page.locator("#live-state").filter({ hasText: "Live messages: on." }).waitFor();
      alice.username = "alice";
      await alice.page.locator("#unread").filter({ hasText: "You have 0 unread messages." }).waitFor();
      // After login the focus is on the conversation's heading; the next Tab is "Talk to".
      await alice.page.keyboard.press("Tab");
      await alice.page.keyboard.type("bob");
      await alice.page.keyboard.press("Enter");
      await alice.page.getByRole("heading", { name: "Conversation with bob" }).waitFor();
      await alice.page.keyboard.type("Hi Bob! Lunch at noon?");
      await alice.page.keyboard.press("Enter");
      const first = await alice.acknowledged("Hi Bob! Lunch at noon?");

      await bob.page.getByRole("button", { name: "Conversation with alice, 1 unread message" }).click();
      await bob.threadItem("Hi Bob! Lunch at noon?").waitFor();
      await bob.page.locator("#unread").filter({ hasText: "You have 0 unread messages." }).waitFor();
      const reply = await bob.send("Yes — see you at the usual place.");
      await alice.threadItem("Yes — see you at the usual place.").waitFor();
      const third = await alice.send("Great, I'll book a table.\nFor two.");
      await bob.threadItem("Great, I'll book a table.").waitFor();

      for (const page of [alice, bob]) expect((await page.thread()).map((message) => message.id)).toEqual([first, reply, third]);
      expect(alice.liveReceived().map((message) => message.id)).toEqual([reply]);
      expect(bob.liveReceived().map((message) => message.id)).toEqual([first, third]);
      await alice.screenshot(chatScreenshot);
    },
    childProcessesMs,
  );

  test(
    "the account list pages through a wildcard search",
    async () => {
      // One at a time: every client of this test shares one address, which may have 2 password checks in progress.
      for (let at = 0; at < 12; at++) await registerWithLibrary(`pager${String(at + 1).padStart(2, "0")}`);
      const carol = await openPage();
      await carol.registerAndLogin("carol");
      const accounts = carol.page.locator("#accounts li");
      const pageLine = carol.page.locator("#accounts-page");
      await carol.page.getByLabel("Find accounts", { exact: true }).fill("pager*");
      await carol.page.getByRole("button", { name: "Search" }).click();
      await pageLine.filter({ hasText: "Accounts matching pager*, page 1." }).waitFor();
      expect(await accounts.allTextContents()).toEqual(Array.from({ length: 10 }, (_, at) => `pager${String(at + 1).padStart(2, "0")}`));
      await carol.page.getByRole("button", { name: "Next page" }).click();
      await pageLine.filter({ hasText: "page 2 (the last)" }).waitFor();
      expect(await accounts.allTextContents()).toEqual(["pager11", "pager12"]);
      expect(await carol.page.getByRole("button", { name: "Next page" }).isDisabled()).toBe(true);
      await carol.page.getByRole("button", { name: "First page" }).click();
      await pageLine.filter({ hasText: "page 1." }).waitFor();

      await carol.page.getByLabel("Find accounts", { exact: true }).fill("pager1?");
      await carol.page.getByRole("button", { name: "Search" }).click();
      await pageLine.filter({ hasText: "Accounts matching pager1?, page 1 (the last)." }).waitFor();
      expect(await accounts.allTextContents()).toEqual(["pager10", "pager11", "pager12"]);
      // Choosing an account opens the conversation with it.
      await carol.page.getByRole("button", { name: "Talk to pager11" }).click();
      await carol.page.getByRole("heading", { name: "Conversation with pager11" }).waitFor();
    },
    childProcessesMs,
  );

  test(
    "every error from the service shows as a sentence next to the field that caused it",
    async () => {
      const dave = await openPage();
      await dave.page.locator("#register-username").fill("x");
      await dave.page.locator("#register-password").fill(password);
      await dave.page.getByRole("button", { name: "Create account" }).click();
      await expectFieldError(dave, "register-username", "register-error", "Username must be 3 to 32 characters.");
      await dave.page.locator("#register-username").fill("dave");
      await dave.page.locator("#register-password").fill("short");
      await expect(dave.page.locator("#password-rules li").first().textContent()).resolves.toContain("(not met yet)");
      await dave.page.getByRole("button", { name: "Create account" }).click();
      await expectFieldError(dave, "register-password", "register-error", "Password must be at least 8 bytes (UTF-8).");
      await dave.register("dave");
      await dave.register("erin");
      await dave.page.locator("#register-username").fill("dave");
      await dave.page.locator("#register-password").fill(password);
      await dave.page.getByRole("button", { name: "Create account" }).click();
      await expectFieldError(dave, "register-username", "register-error", "Username already taken.");

      await dave.page.locator("#login-username").fill("dave");
      await dave.page.locator("#login-password").fill("not the password");
      await dave.page.getByRole("button", { name: "Log in" }).click();
      await expectFieldError(dave, "login-password", "login-error", "Incorrect username or password.");
      await dave.page.locator("#login-username").fill("nobody-here");
      await dave.page.locator("#login-password").fill(password);
      await dave.page.getByRole("button", { name: "Log in" }).click();
      // The same answer as a wrong password: Login does not say which usernames exist.
      await expectFieldError(dave, "login-password", "login-error", "Incorrect username or password.");

      await dave.login("dave");
      await dave.openConversation("nobody-here");
      await dave.typeAndSend("hello?");
      // The recipient is the open conversation, not a field of the form: the sentence shows under the message box.
      await dave.page.locator("#send-error").filter({ hasText: "Recipient does not exist: nobody-here." }).waitFor();
      // The text is back in the box, to send elsewhere.
      expect(await dave.page.locator("#send-text").inputValue()).toBe("hello?");
      await dave.openConversation("erin");
      await dave.typeAndSend("x".repeat(5000));
      await expectFieldError(dave, "send-text", "send-error", "Message text is 5000 bytes; the limit is 4096.");

      await dave.page.getByLabel("Find accounts", { exact: true }).fill("no spaces");
      await dave.page.getByRole("button", { name: "Search" }).click();
      await expectFieldError(dave, "accounts-pattern", "accounts-error", "Pattern may contain only username characters, '*' and '?'.");
    },
    childProcessesMs,
  );

  test(
    "new messages are read N at a time, oldest first, and the unread count follows",
    async () => {
      const frank = await openPage();
      await frank.registerAndLogin("frank");
      const sender = await registerWithLibrary("grace");
      await sender.login("grace", password);
      for (const at of [1, 2, 3, 4, 5]) await sender.sendMessage("frank", `note ${at}`);
      sender.close();
      const unread = frank.page.locator("#unread");
      await unread.filter({ hasText: "You have 5 unread messages." }).waitFor();

      await frank.page.getByLabel(`How many to read (1 to ${readCountMax})`).fill("2");
      await frank.page.getByRole("button", { name: "Read new messages" }).click();
      await frank.page.locator("#read-remaining").filter({ hasText: "Read 2 messages, oldest first. 3 more messages unread." }).waitFor();
      expect(await frank.page.locator("#read-messages li").evaluateAll((items) => items.map((item) => item.lastChild?.textContent))).toEqual([
        "note 1",
        "note 2",
      ]);
      await unread.filter({ hasText: "You have 3 unread messages." }).waitFor();
      await frank.page.getByLabel(`How many to read (1 to ${readCountMax})`).fill("10");
      await frank.page.getByRole("button", { name: "Read new messages" }).click();
      await frank.page.locator("#read-remaining").filter({ hasText: "Read 3 messages, oldest first. Nothing more is unread." }).waitFor();
      await unread.filter({ hasText: "You have 0 unread messages." }).waitFor();
    },
    childProcessesMs,
  );

  test(
    "history deletes the ticked messages, for both sides",
    async () => {
      const heidi = await openPage();
      const ivan = await openPage();
      await heidi.registerAndLogin("heidi");
      await ivan.registerAndLogin("ivan");
      await heidi.openConversation("ivan");
      const ids = [];
      for (const text of ["keep this one", "delete me", "delete me too"]) ids.push(await heidi.send(text));
      await ivan.page.getByRole("button", { name: /^Conversation with heidi/ }).click();
      await ivan.threadItem("delete me too").waitFor();

      await heidi.page.locator(`#history-${ids[2]}`).waitFor();
      await heidi.page.locator(`#history-${ids[1]}`).check();
      await heidi.page.locator(`#history-${ids[2]}`).check();
      await heidi.page.locator("#history-selected").filter({ hasText: "2 messages ticked." }).waitFor();
      await heidi.page.getByRole("button", { name: "Delete selected" }).click();
      await heidi.page.locator("#history-done").filter({ hasText: "Deleted 2 messages, for you and for the other side." }).waitFor();
      expect((await heidi.thread()).map((message) => message.text)).toEqual(["keep this one"]);
      expect(await heidi.page.locator("#history-list li").count()).toBe(1);

      // The other side's page learns of deletions when it loads again (its gateway session carries on).
      await ivan.page.reload();
      await ivan.page.locator("#who").filter({ hasText: "Logged in as ivan" }).waitFor();
      await ivan.page.locator("#history-list li").first().waitFor();
      expect(await ivan.page.locator("#history-list label").evaluateAll((labels) => labels.map((label) => label.lastChild?.textContent))).toEqual([
        "keep this one",
      ]);
    },
    childProcessesMs,
  );

  test(
    "deleting the account needs the password and a ticked confirmation, then the session ends",
    async () => {
      const judy = await openPage();
      await judy.registerAndLogin("judy");
      await judy.page.getByRole("button", { name: "Delete my account…" }).click();
      await judy.page.locator("#danger-warning").filter({ hasText: "This deletes the account judy for good" }).waitFor();
      const confirm = judy.page.getByRole("button", { name: "Delete the account judy" });
      await judy.page.getByLabel("Your password, to confirm").fill(password);
      await confirm.click();
      await expectFieldError(judy, "danger-understood", "danger-error", "Tick “I understand that this cannot be undone” to go on.");
      await judy.page.getByLabel("I understand that this cannot be undone").check();
      await judy.page.getByLabel("Your password, to confirm").fill("wrong password");
      await confirm.click();
      await expectFieldError(judy, "danger-password", "danger-error", "Incorrect password.");
      await judy.page.getByLabel("Your password, to confirm").fill(password);
      await confirm.click();
      await judy.page.locator("#who").filter({ hasText: "Not logged in" }).waitFor();
      await judy.page.locator("#login-username").fill("judy");
      await judy.page.locator("#login-password").fill(password);
      await judy.page.getByRole("button", { name: "Log in" }).click();
      await expectFieldError(judy, "login-password", "login-error", "Incorrect username or password.");
    },
    childProcessesMs,
  );

  test(
    "logging out ends the session, and the page says so",
    async () => {
      const ken = await openPage();
      await ken.registerAndLogin("ken");
      await ken.page.getByRole("button", { name: "Log out" }).click();
      await ken.page.locator("#who").filter({ hasText: "Not logged in" }).waitFor();
      await ken.page.locator("#login-username").and(ken.page.locator(":focus")).waitFor();
    },
    childProcessesMs,
  );
});

async function registerWithLibrary(username: string): Promise<ChatClient> {
  const client = new ChatClient({ addresses: cluster.addresses() });
  await client.createAccount(username, password);
  return client;
}

/** Presses Tab until the element with `id` has the focus (a keyboard user's way there). */
async function tabTo(page: ChatPage, id: string): Promise<void> {
  for (let presses = 0; presses < 20; presses++) {
    if ((await page.page.evaluate("document.activeElement?.id")) === id) return;
    await page.page.keyboard.press("Tab");
  }
  throw new Error(`#${id} was not reached with Tab`);
}

/** The error line shows `message`, and the field is marked invalid, described by that line and focused. */
async function expectFieldError(page: ChatPage, fieldId: string, errorId: string, message: string): Promise<void> {
  await page.page.locator(`#${errorId}`).filter({ hasText: message }).waitFor();
  const field = page.page.locator(`#${fieldId}`);
  expect(await page.page.locator(`#${errorId}`).textContent()).toBe(message);
  expect(await field.getAttribute("aria-invalid")).toBe("true");
  expect(await field.getAttribute("aria-describedby")).toContain(errorId);
  expect(await page.page.evaluate("document.activeElement?.id")).toBe(fieldId);
}
