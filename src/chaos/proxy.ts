/**
 * A small TCP fault proxy: it listens on a loopback port of its own and
 * forwards every connection to one target, and the chaos nemesis can make
 * each direction of it pass, drop or delay bytes, or cut it altogether.
 * Each link between two replicas, and between a client and a replica, gets
 * one (src/chaos/network.ts), so faults strike links, not whole processes.
 *
 * What each fault means to the gRPC above it:
 * - cut: every connection is reset and new ones are refused (a firewall
 *   REJECT); gRPC sees UNAVAILABLE at once and reconnects later.
 * - drop (one direction): bytes vanish silently (a blackhole, or a one-way
 *   partition when only one direction drops); calls hang until their
 *   deadline. TCP never loses bytes mid-stream on its own, so a connection
 *   that lost any is reset when the direction passes again.
 * - delay (one direction): every chunk is held this long, order kept.
 */
import type { Socket, TCPSocketListener } from "bun";

/** Bytes a connection may hold for a slow or delayed receiver before it is reset: a bound on the proxy's memory. */
export const pendingBytesMax = 64 * 1024 * 1024;
/** Where the proxy listens (everything in a chaos run stays on loopback). */
const loopback = "127.0.0.1";

export type DirectionMode = { kind: "pass" } | { kind: "drop" } | { kind: "delay"; ms: number };
export const passing: DirectionMode = { kind: "pass" };

/** One direction of one connection: bytes read from one socket, written to the other in order. */
class Pipe {
  private readonly queue: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Delayed chunks are released no earlier than the one before them, so order holds when the delay changes. */
  private lastDueAt = 0;
  /** Bytes were dropped: the stream above is broken, and the connection is reset once the direction passes. */
  lost = false;

  constructor(
    private readonly connection: Connection,
    private readonly mode: () => DirectionMode,
  ) {}

  /** The socket written to (unset until the upstream connection opens). */
  destination: Socket<Connection> | null = null;

  take(data: Uint8Array): void {
    const mode = this.mode();
    if (mode.kind === "drop") {
      this.lost = true;
      return;
    }
    if (this.lost) {
      this.connection.reset(); // passing again after a loss: TCP would never deliver a torn stream
      return;
    }
    const chunk = data.slice(); // the runtime may reuse its read buffer
    if (mode.kind === "pass" && this.lastDueAt <= performance.now()) {
      this.enqueue(chunk);
      return;
    }
    const dueAt = Math.max(performance.now() + (mode.kind === "delay" ? mode.ms : 0), this.lastDueAt);
    this.lastDueAt = dueAt;
    setTimeout(() => this.enqueue(chunk), dueAt - performance.now());
  }

  private enqueue(chunk: Uint8Array): void {
    if (this.connection.closed) return;
    this.pendingBytes += chunk.byteLength;
    if (this.pendingBytes > pendingBytesMax) {
      this.connection.reset();
      return;
    }
    this.queue.push(chunk);
    this.flush();
  }

  /** Writes what the destination takes now; the rest waits for its drain. */
  flush(): void {
    const destination = this.destination;
    if (!destination) return;
    while (this.queue.length > 0) {
      const chunk = this.queue[0]!;
      const written = destination.write(chunk);
      this.pendingBytes -= Math.max(written, 0);
      if (written < chunk.byteLength) {
        this.queue[0] = chunk.subarray(Math.max(written, 0));
        return;
      }
      this.queue.shift();
    }
  }
}

/** One accepted connection and its upstream twin. */
class Connection {
  closed = false;
  readonly forward: Pipe;
  readonly backward: Pipe;
  client: Socket<Connection> | null = null;
  upstream: Socket<Connection> | null = null;

  constructor(
    readonly proxy: FaultProxy,
    client: Socket<Connection>,
  ) {
    this.client = client;
    this.forward = new Pipe(this, () => proxy.forward);
    this.backward = new Pipe(this, () => proxy.backward);
    this.backward.destination = client;
  }

  /** Closes both sockets (an abortive close: the peer sees a reset, not a clean end). */
  reset(): void {
    if (this.closed) return;
    this.closed = true;
    this.proxy.forget(this);
    this.client?.terminate();
    this.upstream?.terminate();
  }

  /** Both directions pass again: a connection that lost bytes cannot carry on. */
  healed(): void {
    if (this.forward.lost || this.backward.lost) this.reset();
  }
}

export class FaultProxy {
  forward: DirectionMode = passing;
  backward: DirectionMode = passing;
  private cutNow = false;
  private readonly connections = new Set<Connection>();
  /** Connections accepted over the proxy's life, and resets the faults caused (for the run's summary). */
  accepted = 0;

  private constructor(
    private listener: TCPSocketListener<Connection> | null,
    readonly targetPort: number,
  ) {}

  /** Listens on a free loopback port and forwards to `targetPort` on loopback. */
  static start(targetPort: number): FaultProxy {
    const proxy = new FaultProxy(null, targetPort);
    proxy.listener = Bun.listen<Connection>({
      hostname: loopback,
      port: 0,
      socket: {
        open: (socket) => proxy.accept(socket),
        data: (socket, data) => socket.data?.forward.take(data),
        drain: (socket) => socket.data?.backward.flush(),
        close: (socket) => socket.data?.reset(),
        error: (socket) => socket.data?.reset(),
      },
    });
    return proxy;
  }

  get port(): number {
    return this.listener!.port;
  }

  get address(): string {
    return `${loopback}:${this.port}`;
  }

  get isCut(): boolean {
    return this.cutNow;
  }

  /** Resets every connection and refuses new ones until `heal`. */
  cut(): void {
    this.cutNow = true;
    for (const connection of [...this.connections]) connection.reset();
  }

  /** Both directions pass again and new connections are taken; connections that lost bytes are reset. */
  heal(): void {
    this.cutNow = false;
    this.forward = passing;
    this.backward = passing;
    for (const connection of [...this.connections]) connection.healed();
  }

  /** Stops listening and resets every connection. */
  close(): void {
    this.cut();
    this.listener?.stop(true);
    this.listener = null;
  }

  forget(connection: Connection): void {
    this.connections.delete(connection);
  }

  private accept(client: Socket<Connection>): void {
    if (this.cutNow || !this.listener) {
      client.terminate();
      return;
    }
    this.accepted++;
    const connection = new Connection(this, client);
    client.data = connection;
    this.connections.add(connection);
    Bun.connect<Connection>({
      hostname: loopback,
      port: this.targetPort,
      data: connection,
      socket: {
        open: (upstream) => {
          if (connection.closed) return void upstream.terminate();
          connection.upstream = upstream;
          connection.forward.destination = upstream;
          connection.forward.flush();
        },
        data: (_upstream, data) => connection.backward.take(data),
        drain: () => connection.forward.flush(),
        close: () => connection.reset(),
        error: () => connection.reset(),
      },
    }).catch(() => connection.reset()); // nothing listens there (a killed replica): the client sees a reset
  }
}
