/**
 * The browser client through a failover: two users chat in two browser
 * contexts while the leader replica is killed with SIGKILL in the middle of
 * the conversation. The pages keep working without a reload; every message
 * the cluster acknowledged shows exactly once on both sides, none missing,
 * in the same order, and the gateway pushed each one live exactly once to
 * its recipient. The cluster panel marks the failover with how long the
 * cluster had no leader.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { TestCluster } from "./support/cluster.ts";
import { childProcessesMs, hookMs } from "./support/timeouts.ts";
import { ChatPage, launchBrowser, pageMsMax, screenshotPath, WebGateway } from "./support/web.ts";

const cheapHashing = { password_hashing: { memory_cost: 8, time_cost: 1 } };
export const clusterScreenshot = screenshotPath("web-cluster.png");
/** Messages each user sends before the kill, in flight at the kill, and after it. */
const roundsBefore = 3;
const roundsAfter = 3;

let cluster: TestCluster;
let gateway: WebGateway;
let browser: Browser;
let alice: ChatPage;
let bob: ChatPage;

beforeAll(async () => {
  browser = await launchBrowser();
  cluster = await TestCluster.start(3, { config: cheapHashing });
  gateway = await WebGateway.start(cluster.addresses(), cluster.secret);
  alice = await ChatPage.open(browser, gateway);
  bob = await ChatPage.open(browser, gateway);
}, hookMs);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await cluster?.cleanup();
}, hookMs);

describe("the browser client through a failover", () => {
  test(
    "killing the leader mid-conversation loses no acknowledged message and shows none twice, on either side",
    async () => {
      await alice.registerAndLogin("alice");
      await bob.registerAndLogin("bob");
      await alice.openConversation("bob");
      await bob.openConversation("alice");
      const sent: string[] = [];
      const exchange = async (label: string) => {
        sent.push(`alice ${label}`, `bob ${label}`);
        await alice.send(`alice ${label}`);
        await bob.send(`bob ${label}`);
      };
      for (let round = 1; round <= roundsBefore; round++) await exchange(`before ${round}`);

      const leader = await cluster.leader();
      // Both users press Enter, and the leader dies while their messages travel.
      sent.push("alice in flight", "bob in flight");
      await Promise.all([alice.typeAndSend("alice in flight"), bob.typeAndSend("bob in flight")]);
      await cluster.kill(leader.id, "SIGKILL");
      await Promise.all([alice.acknowledged("alice in flight"), bob.acknowledged("bob in flight")]);
      for (let round = 1; round <= roundsAfter; round++) await exchange(`after ${round}`);

      for (const page of [alice, bob]) {
        for (const text of sent) await page.threadItem(text).waitFor({ timeout: pageMsMax });
        expect(await page.page.locator("#thread li.pending").count()).toBe(0);
        expect(await page.page.locator("#send-error").textContent()).toBe("");
      }
      const aliceThread = await alice.thread();
      const bobThread = await bob.thread();
      // Exactly once each, the same ids in the same order on both sides.
      expect(aliceThread).toEqual(bobThread);
      expect(aliceThread.map((message) => message.text).sort()).toEqual([...sent].sort());
      expect(new Set(aliceThread.map((message) => message.id)).size).toBe(sent.length);
      // What the gateway pushed live: each of the other's messages once, none missing, none twice.
      const idsOf = (from: string) => aliceThread.filter((message) => message.text.startsWith(from)).map((message) => message.id);
      expect(alice.liveReceived().map((message) => message.id)).toEqual(idsOf("bob "));
      expect(bob.liveReceived().map((message) => message.id)).toEqual(idsOf("alice "));
      // And the surviving replicas hold each of them once.
      const stored = (await cluster.converged()).messages.filter((message) => message.sender === "alice" || message.sender === "bob");
      expect(stored.map((message) => message.id)).toEqual(aliceThread.map((message) => message.id));

      const failover = alice.page.locator("#failovers li").filter({ hasText: `leader moved from replica ${leader.id} to replica` });
      await failover.waitFor();
      expect(await failover.textContent()).toMatch(/no leader for (under \d+ ms|\d+(\.\d)? s)\.$/);
      await alice.page.locator("#cluster-replicas tr[data-role=unreachable]").waitFor();
      await alice.page.locator("#cluster").screenshot({ path: clusterScreenshot });
      expect(alice.pageErrors).toEqual([]);
      expect(bob.pageErrors).toEqual([]);
    },
    childProcessesMs,
  );
});
