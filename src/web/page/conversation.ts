/**
 * The open conversation: its messages oldest first (from history pages,
 * live delivery and this session's sends), new ones arriving live; sending,
 * with the message shown as "sending…" until the cluster acknowledges it
 * (through a failover, the client library retries it with the same request
 * id, so it lands once); and read marks for what this page shows.
 */
import { messageTextBytesMax } from "../../limits.ts";
import type { WireMessage } from "../protocol.ts";
import { call, PageError } from "./api.ts";
import type { App } from "./app.ts";
import { byId, errorOf, guarded, h, onSubmit, reconcile, showFormError } from "./dom.ts";
import { messageMeta } from "./format.ts";

interface Pending {
  key: string;
  partner: string;
  text: string;
}

type ThreadItem = { kind: "message"; message: WireMessage } | { kind: "pending"; pending: Pending };

const utf8 = new TextEncoder();

export function setupConversation(app: App): void {
  const title = byId("conversation-title", HTMLHeadingElement);
  const empty = byId("conversation-empty", HTMLParagraphElement);
  const openForm = byId("open-form", HTMLFormElement);
  const openName = byId("open-username", HTMLInputElement);
  const thread = byId("thread", HTMLOListElement);
  const threadError = byId("thread-error", HTMLParagraphElement);
  const earlier = byId("thread-earlier", HTMLButtonElement);
  const sendForm = byId("send-form", HTMLFormElement);
  const sendLabel = byId("send-label", HTMLLabelElement);
  const text = byId("send-text", HTMLTextAreaElement);
  const hint = byId("send-hint", HTMLParagraphElement);
  const pending: Pending[] = [];
  let pendingCount = 0;
  let shownPartner: string | null = null;

  const render = () => {
    const partner = app.openPartner;
    empty.hidden = partner !== null;
    sendForm.hidden = partner === null;
    earlier.hidden = partner === null || !app.hasOlder;
    title.textContent = partner ? `Conversation with ${partner}` : "Conversation";
    sendLabel.textContent = partner ? `Message to ${partner}` : "Message";
    if (partner !== shownPartner) {
      shownPartner = partner;
      threadError.textContent = "";
      showFormError(sendForm, null);
      if (partner) text.focus();
    }
    const items: ThreadItem[] = partner
      ? [
          ...app.store.thread(partner).map((message) => ({ kind: "message" as const, message })),
          ...pending.filter((each) => each.partner === partner).map((each) => ({ kind: "pending" as const, pending: each })),
        ]
      : [];
    const atBottom = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 40;
    reconcile(thread, items, itemKey, (item) => threadItem(app, item));
    if (atBottom) thread.scrollTop = thread.scrollHeight;
    markShownRead();
  };

  /** Marks the open conversation's unread messages read, one call at a time, while this page is visible. */
  let marking = false;
  const markShownRead = () => {
    const partner = app.openPartner;
    if (marking || !partner || document.visibilityState !== "visible") return;
    const ids = app.store
      .thread(partner)
      .filter((message) => app.store.isUnreadForMe(message))
      .map((message) => message.id);
    if (ids.length === 0) return;
    marking = true;
    call("mark-read", { ids })
      .then(
        ({ marked }) => {
          threadError.textContent = "";
          app.setUnread(app.unread - marked);
          app.store.markRead(ids);
        },
        (error) => {
          threadError.textContent = `Could not mark the new messages read: ${errorOf(error).message}`;
        },
      )
      .finally(() => {
        marking = false;
      });
  };
  document.addEventListener("visibilitychange", markShownRead);

  const send = async () => {
    const partner = app.openPartner;
    if (!partner) return;
    const item: Pending = { key: `pending-${++pendingCount}`, partner, text: text.value };
    pending.push(item);
    text.value = "";
    showHint();
    showFormError(sendForm, null);
    render();
    try {
      const { message } = await call("send", { recipient: partner, text: item.text });
      app.receive(message);
    } catch (error) {
      // Nothing was sent (or the cluster could not say): put the text back to edit or send again.
      if (text.value === "") text.value = item.text;
      showHint();
      showFormError(sendForm, errorOf(error));
    } finally {
      pending.splice(pending.indexOf(item), 1);
      render();
    }
  };

  const showHint = () => {
    const bytes = utf8.encode(text.value).length;
    hint.textContent = `Enter sends, Shift+Enter starts a new line. ${bytes} of ${messageTextBytesMax} bytes.`;
  };
  text.addEventListener("input", showHint);
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendForm.requestSubmit();
    }
  });
  // Sends are not serialised: during a failover several may wait for the cluster at once, each shown as sending.
  sendForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void send();
  });
  showHint();

  onSubmit(openForm, async () => {
    const name = openName.value.trim();
    if (name === "") throw pageError("username", "Type the username of the person to talk to.");
    openName.value = "";
    app.openConversation(name);
  });
  earlier.addEventListener("click", () => void guarded(sendForm, () => app.loadOlder()));
  app.onView(render);
}

function itemKey(item: ThreadItem): string {
  return item.kind === "message" ? `message-${item.message.id}` : item.pending.key;
}

function threadItem(app: App, item: ThreadItem): HTMLLIElement {
  if (item.kind === "pending") {
    return h("li", { class: "mine pending", "aria-busy": "true" }, h("span", { class: "meta" }, "sending…"), item.pending.text);
  }
  const { message } = item;
  const mine = message.sender === app.session.username;
  return h("li", { class: mine ? "mine" : "theirs", "data-message-id": String(message.id) }, h("span", { class: "meta" }, messageMeta(message)), message.text);
}

function pageError(field: string, message: string): PageError {
  return new PageError({ code: "PAGE", message, field });
}
