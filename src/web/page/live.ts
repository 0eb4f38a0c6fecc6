/**
 * The page's socket to the gateway: live messages, session changes and the
 * cluster view. It reconnects by itself, with a pause that doubles up to
 * a bound, and says so while the gateway cannot be reached.
 */
import { livePath, type LiveEvent } from "../protocol.ts";

const reconnectPauseFirstMs = 250;
const reconnectPauseMaxMs = 5000;

export interface LiveHandlers {
  onEvent(event: LiveEvent): void;
  onConnection(connected: boolean): void;
}

export function connectLive(handlers: LiveHandlers): void {
  let pause = reconnectPauseFirstMs;
  const connect = () => {
    const url = new URL(livePath, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      pause = reconnectPauseFirstMs;
      handlers.onConnection(true);
    });
    socket.addEventListener("message", (event) => handlers.onEvent(JSON.parse(String(event.data)) as LiveEvent));
    socket.addEventListener("close", () => {
      handlers.onConnection(false);
      setTimeout(connect, pause);
      pause = Math.min(reconnectPauseMaxMs, pause * 2);
    });
  };
  connect();
}
