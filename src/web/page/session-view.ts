/** The header: who is logged in, the unread count, live delivery, which replica answers; logging out; signed-in or signed-out sections. */
import { call } from "./api.ts";
import type { App } from "./app.ts";
import { byId, errorOf } from "./dom.ts";
import { liveText, plural } from "./format.ts";

export function setupSessionView(app: App): void {
  const who = byId("who", HTMLParagraphElement);
  const live = byId("live-state", HTMLParagraphElement);
  const unread = byId("unread", HTMLParagraphElement);
  const logout = byId("logout", HTMLButtonElement);
  const logoutError = byId("logout-error", HTMLParagraphElement);
  const signedIn = byId("signed-in", HTMLDivElement);
  const signedOut = byId("signed-out", HTMLElement);
  const note = byId("session-note", HTMLParagraphElement);

  app.onSession((previous) => {
    const { username } = app.session;
    who.textContent = username ? `Logged in as ${username} (through the replica at ${app.session.replica})` : "Not logged in";
    live.textContent = liveText(app.session.live);
    logout.hidden = username === null;
    signedIn.hidden = username === null;
    signedOut.hidden = username !== null;
    note.textContent = username === null && app.session.live.state === "ended" ? app.session.live.reason : "";
    if (username !== previous) {
      logoutError.textContent = "";
      // Move the focus to what just appeared, so a keyboard user carries on from there.
      if (username) byId("conversation-title", HTMLHeadingElement).focus();
      else if (previous) byId("login-username", HTMLInputElement).focus();
    }
  });
  app.onView(() => {
    unread.textContent = app.session.username ? `You have ${plural(app.unread, "unread message")}.` : "";
  });

  logout.addEventListener("click", async () => {
    logoutError.textContent = "";
    try {
      app.applySession(await call("logout", {}));
    } catch (error) {
      logoutError.textContent = errorOf(error).message;
    }
  });
}
