/**
 * The page: plain TypeScript and the DOM, bundled by Bun from this folder's
 * index.html (no UI library: a handful of forms and lists do not need one).
 * It says hello to the gateway (which sets the session cookie), opens the
 * live socket, and wires each part of the page to the shared state.
 */
import { call } from "./api.ts";
import { App } from "./app.ts";
import { setupAuth } from "./auth.ts";
import { showCluster } from "./cluster-view.ts";
import { setupConversation } from "./conversation.ts";
import { setupDanger } from "./danger.ts";
import { byId, errorOf } from "./dom.ts";
import { setupHistory } from "./history.ts";
import { setupInbox } from "./inbox.ts";
import { connectLive } from "./live.ts";
import { setupPeople } from "./people.ts";
import { setupSessionView } from "./session-view.ts";

const app = new App();
setupSessionView(app);
setupAuth(app);
setupPeople(app);
setupConversation(app);
setupInbox(app);
setupHistory(app);
setupDanger(app);
showCluster(null);

const gatewayState = byId("gateway-state", HTMLParagraphElement);

// A new user, or the page loaded for one already logged in: the newest page of history seeds the conversations.
app.onSession((previous) => {
  if (app.session.username && app.session.username !== previous) {
    app.loadOlder().catch((error) => showHistoryError(error));
  }
});

function showHistoryError(error: unknown): void {
  byId("history-error", HTMLParagraphElement).textContent = `Could not load history: ${errorOf(error).message}`;
}

async function start(): Promise<void> {
  try {
    // The first call makes the browser session (and its cookie) before the socket asks for it.
    app.applySession(await call("hello", {}));
  } catch (error) {
    gatewayState.textContent = errorOf(error).message;
  }
  connectLive({
    onConnection: (connected) => {
      gatewayState.textContent = connected ? "" : "Lost the connection to the gateway; reconnecting…";
    },
    onEvent: (event) => {
      switch (event.type) {
        case "hello":
          app.applySession(event.session);
          // Pushes start with this socket; what arrived while there was none is in the newest history page.
          if (app.session.username) app.refreshNewest().catch((error) => showHistoryError(error));
          showCluster(event.cluster);
          break;
        case "session":
          app.applySession(event.session);
          break;
        case "message":
          app.receive(event.message);
          break;
        case "cluster":
          showCluster(event.cluster);
          break;
      }
    },
  });
}

void start();
