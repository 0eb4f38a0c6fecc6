/**
 * `bun run demo`: a short scripted tour. Starts a three-replica cluster on
 * scratch directories, has two users chat (one receiving live), kills the
 * leader with SIGKILL in the middle, shows the clients carrying on through
 * the new leader, restarts the killed replica, checks nothing acknowledged
 * was lost or repeated, and cleans up.
 */
import { parseArgs, styleText } from "node:util";
import { ChatClient, type ChatMessage } from "../client/chat-client.ts";
import { ReplicaCluster } from "./processes/replica-cluster.ts";
import { answerVersion } from "./version.ts";

const usage = `Usage: bun run demo

A short scripted tour, about a minute: starts three replicas on scratch
directories, has two users chat (one receiving live), kills the leader with
SIGKILL in the middle, shows the clients carrying on through the new leader,
restarts the killed replica, checks that nothing acknowledged was lost or
repeated, and cleans up.

Options:
  -h, --help     show this help
  --version      print the version`;

const demoSecret = "demo-cluster-secret-0123456789";
/** How long the demo waits for a live message or a stream: far above what it takes, so a loaded machine still runs it. */
const waitTimeoutMs = 30_000;

function say(text: string): void {
  console.log(styleText("cyan", "» ") + text);
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + waitTimeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

async function loggedIn(addresses: string[], username: string): Promise<ChatClient> {
  const client = new ChatClient({ addresses });
  await client.createAccount(username, `${username}-password`);
  await client.login(username, `${username}-password`);
  return client;
}

async function send(from: ChatClient, to: string, text: string, ids: number[]): Promise<void> {
  ids.push((await from.sendMessage(to, text)).id);
  say(`${from.username} → ${to}: ${text}   (acknowledged by the leader at ${from.currentAddress})`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { help: { type: "boolean", short: "h", default: false }, version: { type: "boolean", default: false } },
    strict: true,
  });
  if (values.help) return console.log(usage);
  if (answerVersion(values.version)) return;
  const cluster = await ReplicaCluster.start(3, { secret: demoSecret });
  try {
    say(`three replicas started: ${cluster.addresses().join(", ")}`);
    const alice = await loggedIn(cluster.addresses(), "alice");
    const bob = await loggedIn(cluster.addresses(), "bob");
    say(`alice and bob logged in; the leader is ${alice.currentAddress}`);
    const live: ChatMessage[] = [];
    let open = false;
    const feed = bob.follow(0, { onMessage: (message) => live.push(message), onOpen: () => (open = true) });
    await waitUntil(() => open, "bob's live stream");
    const ids: number[] = [];
    await send(alice, "bob", "hi bob!", ids);
    await send(alice, "bob", "are you there?", ids);
    await waitUntil(() => live.length >= 2, "live delivery");
    const leader = (await alice.getLeaderInfo()).leaderId;
    say(styleText("yellow", `kill -9 the leader, replica ${leader}`));
    await cluster.kill(leader);
    await send(alice, "bob", "lunch at noon?", ids);
    await send(bob, "alice", "sure, see you", ids);
    await waitUntil(() => live.length >= 3, "live delivery after the failover");
    for (const message of live) say(`bob's screen, live: [${message.id}] ${message.sender}: ${message.text}`);
    feed.cancel();
    await cluster.restart(leader);
    say(`replica ${leader} restarted and catches up from the new leader`);
    const history = (await alice.listMessages(10)).messages;
    const lost = ids.filter((id) => history.filter((message) => message.id === id).length !== 1);
    alice.close();
    bob.close();
    if (lost.length > 0) throw new Error(`acknowledged messages lost or repeated: ${lost.join(", ")}`);
    say(styleText("green", `all ${ids.length} acknowledged messages are there exactly once.`));
    say("Try it yourself: npm run cluster, then npm run client in another terminal");
  } finally {
    await cluster.stop("SIGTERM");
  }
}

main().catch((error: Error) => {
  console.error(`demo: ${error.message}`);
  process.exit(1);
});
