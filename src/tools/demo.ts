/**
 * `bun run demo`: a short scripted tour. Starts a real replica on a scratch
 * directory, has two users chat (one receiving live), kills the replica
 * with SIGKILL, restarts it, shows nothing acknowledged was lost, and
 * cleans up.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { styleText } from "node:util";
import { ChatClient, type ChatMessage } from "../client/chat-client.ts";
import { projectRoot } from "../config.ts";

const startTimeoutMs = 15_000;
const liveDeliveryTimeoutMs = 5_000;

function say(text: string): void {
  console.log(styleText("cyan", "» ") + text);
}

async function startReplica(dataDir: string, port: number) {
  const child = Bun.spawn(
    [process.execPath, join(projectRoot, "src/tools/replica.ts"), "--standalone", "--server_port", String(port), "--data_dir", dataDir],
    { stderr: "pipe", stdout: "inherit", env: { ...process.env, CHAT_CLUSTER_SECRET: "demo-cluster-secret-0123456789" } },
  );
  const reader = child.stderr.getReader();
  let text = "";
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    const match = /serving address=\S+:(\d+)/.exec(text);
    if (match) {
      void (async () => {
        while (!(await reader.read()).done); // keep draining the replica's log
      })();
      return { child, port: Number(match[1]) };
    }
  }
  child.kill("SIGKILL");
  throw new Error(`the replica did not start:\n${text}`);
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

async function chat(address: string): Promise<number[]> {
  const alice = new ChatClient({ address });
  const bob = new ChatClient({ address });
  await alice.createAccount("alice", "alice-password");
  await bob.createAccount("bob", "bob-password");
  await alice.login("alice", "alice-password");
  await bob.login("bob", "bob-password");
  say("alice and bob registered and logged in");
  const live: ChatMessage[] = [];
  let open = false;
  const subscription = bob.subscribe(0, (message) => live.push(message), () => {}, () => (open = true));
  await waitUntil(() => open, liveDeliveryTimeoutMs, "bob's live stream");
  const ids: number[] = [];
  for (const text of ["hi bob!", "are you there?", "lunch at noon?"]) {
    ids.push((await alice.sendMessage("bob", text)).id);
    say(`alice → bob: ${text}`);
  }
  await waitUntil(() => live.length >= 3, liveDeliveryTimeoutMs, "live delivery");
  for (const message of live) say(`bob's screen, live: [${message.id}] ${message.sender}: ${message.text}`);
  ids.push((await bob.sendMessage("alice", "sure, see you")).id);
  say("bob → alice: sure, see you");
  subscription.cancel();
  alice.close();
  bob.close();
  return ids;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "chat-demo-"));
  let replica = await startReplica(dataDir, 0);
  try {
    const address = `127.0.0.1:${replica.port}`;
    say(`replica started at ${address} (data in ${dataDir})`);
    const ids = await chat(address);
    say(`4 messages acknowledged (ids ${ids.join(", ")}); now kill -9 the replica`);
    replica.child.kill("SIGKILL");
    await replica.child.exited;
    replica = await startReplica(dataDir, replica.port);
    say("replica restarted on the same data");
    const alice = new ChatClient({ address });
    const login = await alice.login("alice", "alice-password");
    const history = await alice.listMessages(10);
    say(`alice logs in again: ${login.unreadCount} unread; history has ${history.messages.length} messages:`);
    for (const message of [...history.messages].reverse()) say(`  [${message.id}] ${message.sender} → ${message.recipient}: ${message.text}`);
    const lost = ids.filter((id) => !history.messages.some((message) => message.id === id));
    alice.close();
    if (lost.length > 0) throw new Error(`acknowledged messages lost: ${lost.join(", ")}`);
    say(styleText("green", "nothing acknowledged was lost. Try it yourself: npm run replica, then npm run client"));
  } finally {
    replica.child.kill("SIGTERM");
    await replica.child.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(`demo: ${error.message}`);
  process.exit(1);
});
