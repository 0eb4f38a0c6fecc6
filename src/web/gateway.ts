/**
 * The web gateway: one Bun.serve that serves the page (an HTML import,
 * bundled by Bun with no build step; every asset comes from here), its
 * HTTP API (api.ts) and its WebSocket (live messages, session changes and
 * the cluster view). Each browser session gets its own client-library
 * session (browser-session.ts), found by an opaque id in an HttpOnly,
 * SameSite=Strict cookie: page scripts never see a session token. Requests
 * that change state and the WebSocket must come from the gateway's own
 * origin, and every /api request must name one of its hosts, so another
 * site (or a DNS rebinding) cannot act in a user's name.
 */
import type { Server, ServerWebSocket } from "bun";
import type { Logger } from "../logger.ts";
import type { TlsMaterial } from "../rpc/tls.ts";
import { handlers, isApiName } from "./api.ts";
import type { BrowserSession } from "./browser-session.ts";
import { ClusterMonitor } from "./cluster-monitor.ts";
import {
  requestBodyBytesMax,
  socketBackpressureBytesMax,
  socketIdleSeconds,
  socketMessageBytesMax,
  socketsMax,
  socketsPerSessionMax,
  shutdownGraceMs,
} from "./constants.ts";
import { describeError, GatewayError, unexpectedError, type Described } from "./errors.ts";
import page from "./page/index.html";
import { clusterPath, livePath, type LiveEvent } from "./protocol.ts";
import { SessionStore } from "./session-store.ts";

/** The cookie that holds a browser session's opaque id (never a session token). */
export const sessionCookieName = "chat_gateway_session";
const clusterTopic = "cluster";

export interface GatewayOptions {
  hostname: string;
  /** 0 picks a free port (see `url`). */
  port: number;
  /** Replicas to start from; the leader and the rest are discovered. */
  addresses: string[];
  /** With it, the cluster view uses the admin status; without it, GetLeaderInfo only. */
  clusterSecret: string | null;
  /** TLS to the replicas (the CA, and a client certificate for the admin status); null or absent: plain text. */
  tls?: TlsMaterial | null;
  /** Origins allowed besides the gateway's own (a reverse proxy's, say). */
  extraOrigins: string[];
  logger: Logger;
}

export interface Gateway {
  readonly url: URL;
  readonly origins: ReadonlySet<string>;
  /** Stops serving, logs every session out (best effort, at most shutdownGraceMs) and stops the cluster view. */
  stop(): Promise<void>;
}

interface SocketData {
  session: BrowserSession;
}

export function startGateway(options: GatewayOptions): Gateway {
  const sessions = new SessionStore(options.addresses, options.tls ?? null);
  const monitor = new ClusterMonitor(options.addresses, options.clusterSecret, options.tls ?? null);
  let origins = new Set<string>();
  let hosts = new Set<string>();
  let socketCount = 0;

  const refusal = (request: Request, needsOrigin: boolean): Response | null => {
    if (!hosts.has(request.headers.get("host") ?? "")) return failure(forbidden("This gateway does not answer to that host name."));
    if (needsOrigin && !origins.has(request.headers.get("origin") ?? "")) return failure(forbidden("Requests must come from the gateway's own page."));
    return null;
  };

  const server: Server<SocketData> = Bun.serve<SocketData, string>({
    hostname: options.hostname,
    port: options.port,
    development: false,
    maxRequestBodySize: requestBodyBytesMax,
    routes: {
      "/": page,
      [clusterPath]: (request) => refusal(request, false) ?? json(200, monitor.current()),
      [livePath]: (request, server) => {
        const refused = refusal(request, true);
        if (refused) return refused;
        const session = sessions.get(sessionIdOf(request));
        if (!session) return failure(new GatewayError("NO_SESSION", 401, "No browser session: load the page first."));
        if (socketCount >= socketsMax || session.socketCount >= socketsPerSessionMax) {
          return failure(new GatewayError("GATEWAY_FULL", 503, "Too many open pages: close some and reload."));
        }
        if (server.upgrade(request, { data: { session } })) return undefined;
        return failure(new GatewayError("BAD_REQUEST", 400, "Expected a WebSocket upgrade."));
      },
      "/api/:name": (request) => refusal(request, true) ?? handleApi(request, request.params.name ?? ""),
    },
    fetch: () => new Response("Not found", { status: 404 }),
    websocket: {
      maxPayloadLength: socketMessageBytesMax,
      backpressureLimit: socketBackpressureBytesMax,
      closeOnBackpressureLimit: true,
      idleTimeout: socketIdleSeconds,
      open: (socket) => {
        socketCount += 1;
        socket.data.session.attach(socket);
        socket.subscribe(clusterTopic);
        socket.send(JSON.stringify(hello(socket)));
      },
      // The page sends nothing; the gateway only pushes.
      message: () => {},
      close: (socket) => {
        socketCount -= 1;
        socket.data.session.detach(socket);
      },
    },
  });

  const hello = (socket: ServerWebSocket<SocketData>): LiveEvent => {
    const { session } = socket.data;
    return { type: "hello", session: session.state(), cluster: monitor.current() };
  };

  async function handleApi(request: Request, name: string): Promise<Response> {
    if (!isApiName(name)) return failure(new GatewayError("NOT_FOUND", 404, `There is no /api/${name}.`));
    if (request.method !== "POST") return failure(new GatewayError("METHOD_NOT_ALLOWED", 405, "Use POST."));
    if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) {
      return failure(new GatewayError("BAD_REQUEST", 415, "Send JSON (Content-Type: application/json)."));
    }
    const body = await request.json().catch(() => null);
    if (typeof body !== "object" || body === null || Array.isArray(body)) return failure(new GatewayError("BAD_REQUEST", 400, "Send one JSON object."));
    let session = sessions.get(sessionIdOf(request));
    const created = !session;
    session ??= (await sessions.create()) ?? undefined;
    if (!session) return failure(new GatewayError("GATEWAY_FULL", 503, "This gateway serves as many browser sessions as it can; try again later."));
    const response = await answer(session, name, body as Record<string, unknown>);
    if (created) response.headers.append("set-cookie", sessionCookie(session.id));
    return response;
  }

  async function answer(session: BrowserSession, name: keyof typeof handlers, body: Record<string, unknown>): Promise<Response> {
    const handler = handlers[name];
    try {
      if (handler.loggedIn && !session.loggedIn)
        throw new GatewayError("UNAUTHENTICATED", 401, "You are not logged in (or your session ended); please log in.");
      return json(200, await handler.run(session, body));
    } catch (error) {
      const described = describeError(error, handler.hints, handler.write);
      if (described) return failure(described);
      options.logger.error(`/api/${name} failed unexpectedly`, { error: (error as Error)?.stack ?? String(error) });
      return failure(unexpectedError);
    }
  }

  const url = server.url;
  origins = originsOf(url, options.extraOrigins);
  hosts = new Set([...origins].map((origin) => new URL(origin).host));
  monitor.onChange = (view) => server.publish(clusterTopic, JSON.stringify({ type: "cluster", cluster: view } satisfies LiveEvent));
  monitor.start();

  return {
    url,
    origins,
    stop: async () => {
      await server.stop(true);
      monitor.stop();
      await Promise.race([sessions.closeAll(), Bun.sleep(shutdownGraceMs)]);
    },
  };
}

/**
 * The gateway's own origin; on a loopback address also its other loopback
 * names (a newcomer may type localhost or 127.0.0.1), plus any extra ones.
 */
export function originsOf(url: URL, extra: readonly string[]): Set<string> {
  const origins = new Set([url.origin, ...extra.map((origin) => new URL(origin).origin)]);
  if (["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
    for (const host of ["127.0.0.1", "localhost", "[::1]"]) origins.add(`${url.protocol}//${host}:${url.port}`);
  }
  return origins;
}

/** Opaque id, script-proof (HttpOnly), never sent by another site's request (SameSite=Strict), gone when the browser closes. */
function sessionCookie(id: string): string {
  return `${sessionCookieName}=${id}; Path=/; HttpOnly; SameSite=Strict`;
}

function sessionIdOf(request: Request): string | null {
  return new Bun.CookieMap(request.headers.get("cookie") ?? "").get(sessionCookieName);
}

function forbidden(message: string): GatewayError {
  return new GatewayError("FORBIDDEN", 403, message);
}

function failure(error: GatewayError | Described): Response {
  const described = error instanceof GatewayError ? describeError(error, [], false)! : error;
  return json(described.status, { error: described.error });
}

function json(status: number, body: unknown): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", "x-content-type-options": "nosniff" } });
}
