/**
 * History: every message the page knows, newest first, each with a
 * checkbox; older pages load on request; the ticked ones are deleted in
 * one request (the service deletes all of them or, if any is not the
 * user's, none).
 */
import type { WireMessage } from "../protocol.ts";
import { call, PageError } from "./api.ts";
import type { App } from "./app.ts";
import { byId, guarded, h, onSubmit, reconcile } from "./dom.ts";
import { messageMeta, plural } from "./format.ts";

export function setupHistory(app: App): void {
  const form = byId("history-form", HTMLFormElement);
  const list = byId("history-list", HTMLUListElement);
  const empty = byId("history-empty", HTMLParagraphElement);
  const older = byId("history-older", HTMLButtonElement);
  const selected = byId("history-selected", HTMLParagraphElement);
  const done = byId("history-done", HTMLParagraphElement);

  const ticked = () => [...list.querySelectorAll<HTMLInputElement>("input[type=checkbox]:checked")].map((box) => Number(box.value));
  const showSelected = () => {
    const count = ticked().length;
    selected.textContent = count === 0 ? "No message ticked." : `${plural(count, "message")} ticked.`;
  };

  app.onView(() => {
    const messages = app.store.all().reverse();
    empty.hidden = messages.length > 0;
    reconcile(
      list,
      messages,
      (message) => String(message.id),
      (message) => historyItem(message, showSelected),
    );
    older.disabled = !app.hasOlder;
    showSelected();
  });

  older.addEventListener("click", () => void guarded(form, () => app.loadOlder()));
  onSubmit(form, async () => {
    done.textContent = "";
    const ids = ticked();
    if (ids.length === 0) throw new PageError({ code: "PAGE", message: "Tick at least one message to delete." });
    const { deleted } = await call("delete-messages", { ids });
    const removed = app.store.remove(ids);
    app.setUnread(app.unread - removed.filter((message) => app.store.isUnreadForMe(message)).length);
    done.textContent = `Deleted ${plural(deleted, "message")}, for you and for the other side.`;
  });
}

function historyItem(message: WireMessage, onToggle: () => void): HTMLLIElement {
  const id = `history-${message.id}`;
  const box = h("input", { type: "checkbox", id, value: String(message.id) });
  box.addEventListener("change", onToggle);
  const label = h("label", { for: id }, h("span", { class: "meta" }, messageMeta(message)), message.text);
  return h("li", { "data-message-id": String(message.id) }, box, label);
}
