/**
 * The chaos run's network: a fault proxy (proxy.ts) on every directed link
 * between two server slots (replica i dials replica j through its own
 * proxy i→j, set by CHAT_TEST_PEER_ROUTES) and on every link between a
 * client and a server slot. Partitions are sets of links cut; a one-way
 * partition drops one direction on both proxies that carry it (requests
 * i→j on i's proxy to j, and answers i→j on j's proxy to i).
 */
import { FaultProxy } from "./proxy.ts";

/** A client is named by its index; servers by their id. */
export type Endpoint = { kind: "server"; id: number } | { kind: "client"; index: number };

export class ChaosNetwork {
  /** `${from}>${to}`: the proxy replica `from` dials to reach replica `to`. */
  private readonly peerLinks = new Map<string, FaultProxy>();
  /** `${client}>${to}`: the proxy client `client` dials to reach replica `to`. */
  private readonly clientLinks = new Map<string, FaultProxy>();

  /** One proxy per directed pair of server slots and per client and slot; `ports` maps each server id to its real port. */
  constructor(
    private readonly ports: ReadonlyMap<number, number>,
    clientCount: number,
  ) {
    for (const [from] of ports) {
      for (const [to, port] of ports) if (from !== to) this.peerLinks.set(`${from}>${to}`, this.proxyTo(port));
    }
    for (let client = 0; client < clientCount; client++) {
      for (const [to, port] of ports) this.clientLinks.set(`${client}>${to}`, this.proxyTo(port));
    }
  }

  /** A proxy on a port no server slot was given (the slots' ports are chosen before their replicas bind them). */
  private proxyTo(port: number): FaultProxy {
    const reserved = new Set(this.ports.values());
    for (;;) {
      const proxy = FaultProxy.start(port);
      if (!reserved.has(proxy.port)) return proxy;
      proxy.close();
    }
  }

  /** The CHAT_TEST_PEER_ROUTES of server `from`: each peer's real address to the proxy it dials. */
  peerRoutesOf(from: number): Record<string, string> {
    const routes: Record<string, string> = {};
    for (const [to, port] of this.ports) if (to !== from) routes[`127.0.0.1:${port}`] = this.peerLink(from, to).address;
    return routes;
  }

  /** Client `index`'s route: a replica's real address to the proxy it dials (addresses it does not know pass unchanged). */
  clientRoute(index: number): (address: string) => string {
    const routes = new Map<string, string>();
    for (const [to, port] of this.ports) routes.set(`127.0.0.1:${port}`, this.clientLink(index, to).address);
    return (address) => routes.get(address) ?? address;
  }

  /** Cuts every link, both ways, between an endpoint of `side` and one of `other`. */
  cutBetween(side: readonly Endpoint[], other: readonly Endpoint[]): void {
    for (const a of side) for (const b of other) for (const proxy of this.linksBetween(a, b)) proxy.cut();
  }

  /** Nothing from server `from` reaches server `to` (their other direction still works). */
  dropOneWay(from: number, to: number): void {
    this.peerLink(from, to).forward = { kind: "drop" };
    this.peerLink(to, from).backward = { kind: "drop" };
  }

  /** Every byte from server `from` to server `to` is held `ms` (requests and answers alike). */
  delayOneWay(from: number, to: number, ms: number): void {
    this.peerLink(from, to).forward = { kind: "delay", ms };
    this.peerLink(to, from).backward = { kind: "delay", ms };
  }

  /** Every link passes again. */
  heal(): void {
    for (const proxy of this.allLinks()) proxy.heal();
  }

  close(): void {
    for (const proxy of this.allLinks()) proxy.close();
  }

  /** Connections the proxies took over the run (how much reconnecting the faults caused). */
  connectionsAccepted(): number {
    let count = 0;
    for (const proxy of this.allLinks()) count += proxy.accepted;
    return count;
  }

  private *allLinks(): Iterable<FaultProxy> {
    yield* this.peerLinks.values();
    yield* this.clientLinks.values();
  }

  private linksBetween(a: Endpoint, b: Endpoint): FaultProxy[] {
    if (a.kind === "server" && b.kind === "server") return a.id === b.id ? [] : [this.peerLink(a.id, b.id), this.peerLink(b.id, a.id)];
    if (a.kind === "client" && b.kind === "server") return [this.clientLink(a.index, b.id)];
    if (a.kind === "server" && b.kind === "client") return [this.clientLink(b.index, a.id)];
    return []; // clients do not talk to each other
  }

  private peerLink(from: number, to: number): FaultProxy {
    const proxy = this.peerLinks.get(`${from}>${to}`);
    if (!proxy) throw new Error(`no link from server ${from} to server ${to}`);
    return proxy;
  }

  private clientLink(client: number, to: number): FaultProxy {
    const proxy = this.clientLinks.get(`${client}>${to}`);
    if (!proxy) throw new Error(`no link from client ${client} to server ${to}`);
    return proxy;
  }
}
