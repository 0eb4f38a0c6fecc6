/**
 * Where a replica dials a peer. Normally the address the membership gives;
 * a test build can reroute each peer through a fault proxy of its own
 * (src/chaos/proxy.ts), so that every link between two replicas can be cut,
 * delayed or made one-way on its own, while the membership in the log keeps
 * the replicas' real addresses.
 */

/** A JSON object {"host:port": "host:port"} of membership address to the address to dial instead; unset in production. */
export const peerRoutesVariable = "CHAT_TEST_PEER_ROUTES";

export type PeerRoute = (address: string) => string;

/** The route the environment asks for: the identity unless CHAT_TEST_PEER_ROUTES is set. */
export function peerRouteFromEnvironment(environment: Record<string, string | undefined> = process.env): PeerRoute {
  const text = environment[peerRoutesVariable];
  if (!text) return (address) => address;
  const parsed = JSON.parse(text) as unknown;
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${peerRoutesVariable} must be a JSON object of addresses`);
  const routes = new Map(Object.entries(parsed as Record<string, unknown>).map(([from, to]) => [from, String(to)]));
  return (address) => routes.get(address) ?? address;
}
