/** New messages, N at a time: the oldest unread ones, which the service then marks read, and how many wait still. */
import { readCountDefault, readCountMax } from "../../limits.ts";
import type { WireMessage } from "../protocol.ts";
import { call, PageError } from "./api.ts";
import type { App } from "./app.ts";
import { byId, h, onSubmit } from "./dom.ts";
import { messageMeta, plural } from "./format.ts";

export function setupInbox(app: App): void {
  const form = byId("read-form", HTMLFormElement);
  const count = byId("read-count", HTMLInputElement);
  const list = byId("read-messages", HTMLOListElement);
  const remaining = byId("read-remaining", HTMLParagraphElement);
  byId("read-count-label", HTMLLabelElement).textContent = `How many to read (1 to ${readCountMax})`;
  count.min = "1";
  count.max = String(readCountMax);
  count.value = String(readCountDefault);

  onSubmit(form, async () => {
    const wanted = Number(count.value);
    if (!Number.isInteger(wanted) || wanted < 1 || wanted > readCountMax) {
      throw new PageError({ code: "PAGE", message: `Choose a whole number from 1 to ${readCountMax}.`, field: "count" });
    }
    const reply = await call("read-new", { count: wanted });
    list.replaceChildren(...reply.messages.map(readItem));
    app.store.add(reply.messages);
    app.store.markRead(reply.messages.map((message) => message.id));
    app.setUnread(reply.unreadRemaining);
    const read = reply.messages.length === 0 ? "No new messages." : `Read ${plural(reply.messages.length, "message")}, oldest first.`;
    remaining.textContent = `${read} ${reply.unreadRemaining === 0 ? "Nothing more is unread." : `${plural(reply.unreadRemaining, "more message")} unread.`}`;
  });
  app.onSession((previous) => {
    if (app.session.username === previous) return;
    list.replaceChildren();
    remaining.textContent = "";
  });
}

function readItem(message: WireMessage): HTMLLIElement {
  return h("li", { "data-message-id": String(message.id) }, h("span", { class: "meta" }, messageMeta(message)), message.text);
}
