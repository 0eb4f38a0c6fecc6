/**
 * `bun run bench -- --live`: how long a message takes from its send's
 * acknowledgement to its arrival on the recipient's live streams, with many
 * streams open and a steady rate of sends. A stream may see a message before
 * its sender sees the acknowledgement (the leader delivers as it applies,
 * and answers in the same turn): such an arrival counts as 0 ms, and how
 * many did is printed. Every client runs in this one process, whose own
 * event loop is part of what is measured.
 */
import { ChatClient } from "../client/chat-client.ts";
import { percentile } from "./bench-compare.ts";
import { ReplicaCluster } from "./processes/replica-cluster.ts";

export interface LiveOptions {
  subscribers: number;
  rate: number;
  seconds: number;
  secret: string;
}

/** Streams per user: each user's session opens this many (the server allows readsPerUserMax). */
const streamsPerUser = 4;
/** Sending clients, and the sends each may have in flight: the rate is held open-loop up to this. */
const senders = 16;
const inFlightPerSender = 4;
/** A replica hashes passwords cheaply here: creating hundreds of accounts is not what is measured. */
const cheapHashing = { memory_cost: 8, time_cost: 1 };
/** After the sends stop, how long late arrivals are waited for. */
const drainMs = 2000;

export async function benchLive(options: LiveOptions): Promise<void> {
  const runId = Date.now().toString(36);
  const users = Math.ceil(options.subscribers / streamsPerUser);
  const cluster = await ReplicaCluster.start(3, { secret: options.secret, config: { password_hashing: cheapHashing } });
  const clients: ChatClient[] = [];
  const streams: { cancel(): void }[] = [];
  try {
    const addresses = cluster.addresses();
    // One at a time: a replica admits only a few password checks from one address at once.
    const loggedIn = async (name: string) => {
      const client = new ChatClient({ addresses });
      clients.push(client);
      await client.createAccount(name, "bench-password");
      await client.login(name, "bench-password");
      return client;
    };
    console.log(`live delivery: ${users} users x ${streamsPerUser} streams, ${options.rate} messages/s for ${options.seconds} s`);
    const ackAt = new Map<number, number>();
    const streamsOf: number[] = [];
    const arrivals: { id: number; text: string; at: number }[] = [];
    const sentAt = new Map<string, number>();
    let opened = 0;
    const allOpen = Promise.withResolvers<void>();
    for (let user = 0; user < users; user++) {
      const client = await loggedIn(`live-${runId}-${user}`);
      streamsOf.push(Math.min(streamsPerUser, options.subscribers - user * streamsPerUser));
      for (let stream = 0; stream < streamsOf[user]!; stream++) {
        let counted = false;
        streams.push(
          client.follow(0, {
            onOpen: () => {
              if (counted) return;
              counted = true;
              opened += 1;
              if (opened === options.subscribers) allOpen.resolve();
            },
            onMessage: (message) => arrivals.push({ id: Number(message.id), text: message.text, at: performance.now() }),
          }),
        );
      }
    }
    await allOpen.promise;
    const sendClients: ChatClient[] = [];
    for (let index = 0; index < senders; index++) sendClients.push(await loggedIn(`live-${runId}-sender-${index}`));
    const intervalMs = 1000 / options.rate;
    const startedAt = performance.now();
    const stopAt = startedAt + options.seconds * 1000;
    let sent = 0;
    let expected = 0;
    let skipped = 0;
    const inFlight = new Array<number>(senders).fill(0);
    const pending = new Set<Promise<void>>();
    for (let next = startedAt; next < stopAt; next += intervalMs) {
      const wait = next - performance.now();
      if (wait > 1) await Bun.sleep(wait);
      const sender = sent % senders;
      if (inFlight[sender]! >= inFlightPerSender) {
        skipped += 1;
        continue;
      }
      const recipientIndex = sent % users;
      const recipient = `live-${runId}-${recipientIndex}`;
      sent += 1;
      inFlight[sender]! += 1;
      const text = `live delivery benchmark message ${sent}`;
      sentAt.set(text, performance.now());
      const send = sendClients[sender]!.sendMessage(recipient, text)
        .then((reply) => {
          ackAt.set(Number(reply.id), performance.now());
          expected += streamsOf[recipientIndex]!;
        })
        .finally(() => {
          inFlight[sender]! -= 1;
          pending.delete(send);
        });
      pending.add(send);
    }
    await Promise.allSettled([...pending]);
    await Bun.sleep(drainMs);
    const elapsed = (performance.now() - startedAt) / 1000;
    const latencies: number[] = [];
    const fromSend: number[] = [];
    let beforeAck = 0;
    for (const { id, text, at } of arrivals) {
      const acked = ackAt.get(id);
      if (acked === undefined) continue;
      if (at < acked) beforeAck += 1;
      latencies.push(Math.max(0, at - acked));
      fromSend.push(at - sentAt.get(text)!);
    }
    latencies.sort((a, b) => a - b);
    fromSend.sort((a, b) => a - b);
    console.log(`sends acknowledged ${ackAt.size} (${(ackAt.size / elapsed).toFixed(0)}/s; ${skipped} skipped with ${senders * inFlightPerSender} in flight)`);
    console.log(`arrivals ${latencies.length} of ${expected} expected; ${beforeAck} before their acknowledgement (counted as 0 ms)`);
    console.log(
      `acknowledgement to arrival: p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms, ` +
        `max ${(latencies[latencies.length - 1] ?? Number.NaN).toFixed(2)} ms`,
    );
    console.log(
      `send to arrival (the sender's call included): p50 ${percentile(fromSend, 0.5).toFixed(2)} ms, p99 ${percentile(fromSend, 0.99).toFixed(2)} ms, ` +
        `max ${(fromSend[fromSend.length - 1] ?? Number.NaN).toFixed(2)} ms`,
    );
  } finally {
    for (const stream of streams) stream.cancel();
    for (const client of clients) client.close();
    await cluster.stop("SIGTERM");
  }
}
