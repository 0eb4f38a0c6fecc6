/**
 * Browser-test harness: the gateway (`bun src/tools/web.ts`) as a child
 * process in front of a real cluster, headless Chromium from Debian's
 * package driven by playwright-core (no browser download), and ChatPage,
 * one user's page with the steps a person takes in it. Chromium missing is
 * an error that says how to install it, never a skipped test.
 */
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { projectRoot } from "../../src/config.ts";
import { ProcessGroup } from "../../src/tools/processes/process-group.ts";
import { spawnScript, type ScriptProcess } from "../../src/tools/processes/script-process.ts";
import type { LiveEvent, WireMessage } from "../../src/web/protocol.ts";
import { waitFor } from "./replica.ts";

export const webScript = join(projectRoot, "src", "tools", "web.ts");
/** Where the browser comes from: Debian's chromium package (.ci/run installs it); CHAT_CHROMIUM names another. */
export const chromiumPath = process.env.CHAT_CHROMIUM ?? "/usr/bin/chromium";
/**
 * Quiet on a machine with no network: without the background networking
 * flags Chromium tries Google's hosts at every start. (Playwright adds
 * --headless itself.)
 */
const chromiumFlags = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** How long the gateway may take to print its address (Bun's start, loading the proto). */
const gatewayStartMsMax = 30_000;
/** How long the browser may take to start, on a loaded machine. */
const browserLaunchMsMax = 60_000;
/** How long a page may take to show what a step waits for: through a failover, a write waits up to 15 s for a leader. */
export const pageMsMax = 30_000;
export const viewport = { width: 1400, height: 1000 };

export const password = "correct horse battery";

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium not found at ${chromiumPath}: the browser tests need Debian's chromium package (apt-get install -y chromium; .ci/run installs it), or CHAT_CHROMIUM=/path/to/chromium`,
    );
  }
  return chromium.launch({ executablePath: chromiumPath, args: chromiumFlags, timeout: browserLaunchMsMax });
}

/** The gateway as a child process on a free port, talking to `addresses`; `stop` kills it and waits. */
export class WebGateway {
  private constructor(
    private readonly processes: ProcessGroup,
    readonly process: ScriptProcess,
    readonly url: string,
  ) {}

  static async start(addresses: string[], secret: string | null): Promise<WebGateway> {
    const group = new ProcessGroup();
    const args = ["--port", "0", "--server", addresses.join(","), ...(secret ? [] : ["--public-status"])];
    const child = group.adopt(spawnScript(webScript, args, { env: secret ? { CHAT_CLUSTER_SECRET: secret } : {} }));
    let url = "";
    try {
      await waitFor(
        () => {
          if (!child.running()) throw new Error(`the gateway exited before serving:\n${child.stderr.text()}`);
          url = /web client at (\S+)/.exec(child.stdout.text())?.[1] ?? "";
          return url !== "";
        },
        gatewayStartMsMax,
        "the gateway to print its address",
      );
    } catch (error) {
      await group.killAll();
      throw error;
    }
    return new WebGateway(group, child, url);
  }

  /** The gateway's own origin, as its page sends it. */
  get origin(): string {
    return new URL(this.url).origin;
  }

  log(): string {
    return `${this.process.stdout.text()}\n${this.process.stderr.text()}`;
  }

  stop(): Promise<void> {
    return this.processes.killAll();
  }
}

/**
 * One user's page in its own browser context (its own cookies, so its own
 * gateway session). It records every event the gateway pushes over the
 * page's socket, to check what arrived live apart from what the page shows.
 */
export class ChatPage {
  readonly pushed: LiveEvent[] = [];
  readonly pageErrors: string[] = [];
  username = "";

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on("pageerror", (error) => this.pageErrors.push(error.message));
    page.on("websocket", (socket) => socket.on("framereceived", ({ payload }) => this.pushed.push(JSON.parse(String(payload)) as LiveEvent)));
  }

  static async open(browser: Browser, gateway: WebGateway): Promise<ChatPage> {
    const context = await browser.newContext({ viewport });
    context.setDefaultTimeout(pageMsMax);
    const chatPage = new ChatPage(context, await context.newPage());
    await chatPage.page.goto(gateway.url);
    await chatPage.page.locator("#cluster-summary").filter({ hasText: "Leader" }).waitFor();
    return chatPage;
  }

  async register(username: string, secret = password): Promise<void> {
    const { page } = this;
    await page.locator("#register-username").fill(username);
    await page.locator("#register-password").fill(secret);
    await page.getByRole("button", { name: "Create account" }).click();
    await page
      .locator("#register-done")
      .filter({ hasText: `Account ${username} created` })
      .waitFor();
  }

  /** Logs in and waits until live messages are on (from then on nothing sent to this user is missed). */
  async login(username: string, secret = password): Promise<void> {
    const { page } = this;
    await page.locator("#login-username").fill(username);
    await page.locator("#login-password").fill(secret);
    await page.getByRole("button", { name: "Log in" }).click();
    await page
      .locator("#who")
      .filter({ hasText: `Logged in as ${username}` })
      .waitFor();
    await page.locator("#live-state").filter({ hasText: "Live messages: on." }).waitFor();
    this.username = username;
  }

  async registerAndLogin(username: string): Promise<void> {
    await this.register(username);
    await this.login(username);
  }

  async openConversation(partner: string): Promise<void> {
    await this.page.getByLabel("Talk to", { exact: true }).fill(partner);
    await this.page.getByLabel("Talk to", { exact: true }).press("Enter");
    await this.page.getByRole("heading", { name: `Conversation with ${partner}` }).waitFor();
  }

  /** Types `text` into the open conversation and presses Enter; does not wait for the answer. */
  async typeAndSend(text: string): Promise<void> {
    const box = this.page.locator("#send-text");
    await box.fill(text);
    await box.press("Enter");
  }

  /** Sends and waits until the cluster acknowledged it (the message shows with its id); returns the id. */
  async send(text: string): Promise<number> {
    await this.typeAndSend(text);
    return this.acknowledged(text);
  }

  async acknowledged(text: string): Promise<number> {
    const item = this.threadItem(text);
    await item.waitFor();
    return Number(await item.getAttribute("data-message-id"));
  }

  threadItem(text: string) {
    return this.page.locator("#thread li[data-message-id]").filter({ hasText: text });
  }

  /** Every message the open conversation shows, in order: id and text. */
  async thread(): Promise<{ id: number; text: string }[]> {
    return this.page
      .locator("#thread li[data-message-id]")
      .evaluateAll((items) => items.map((item) => ({ id: Number(item.getAttribute("data-message-id")), text: item.lastChild?.textContent ?? "" })));
  }

  /** Messages the gateway pushed to this page as live deliveries (not the echo of its own sends). */
  liveReceived(): WireMessage[] {
    return this.pushed.flatMap((event) => (event.type === "message" && event.message.sender !== this.username ? [event.message] : []));
  }

  async screenshot(path: string): Promise<void> {
    await this.page.screenshot({ path, fullPage: false });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/**
 * Where a test's screenshot goes: docs/ (shown in the README) when
 * CHAT_UPDATE_SCREENSHOTS=1, else the system's temporary directory, so an
 * ordinary test run leaves the working tree as it was.
 */
export function screenshotPath(name: string): string {
  const directory = process.env.CHAT_UPDATE_SCREENSHOTS === "1" ? join(projectRoot, "docs") : tmpdir();
  return join(directory, name);
}
