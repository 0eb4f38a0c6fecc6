/**
 * People: the conversations the user has (newest first, with how many are
 * unread), and the account list, searched with `*` and `?` and paged.
 * Choosing a name opens the conversation with that person.
 */
import { call } from "./api.ts";
import type { App } from "./app.ts";
import { byId, guarded, h, onSubmit, reconcile } from "./dom.ts";
import { plural } from "./format.ts";

/** Usernames one page of the account list shows. */
export const accountsPageSize = 10;

export function setupPeople(app: App): void {
  setupConversations(app);
  setupAccounts(app);
}

function setupConversations(app: App): void {
  const list = byId("conversations", HTMLUListElement);
  const none = byId("no-conversations", HTMLParagraphElement);
  app.onView(() => {
    const partners = app.store.partners();
    none.hidden = partners.length > 0;
    reconcile(
      list,
      partners,
      (partner) => partner.name,
      () => h("li", {}, h("button", { type: "button", class: "link" })),
    );
    for (const [at, partner] of partners.entries()) {
      const button = list.children[at]!.querySelector("button")!;
      const unread = partner.unread > 0 ? `, ${plural(partner.unread, "unread message")}` : "";
      button.textContent = partner.name;
      if (partner.unread > 0) button.append(" ", h("span", { class: "badge", "aria-hidden": "true" }, String(partner.unread)));
      button.setAttribute("aria-label", `Conversation with ${partner.name}${unread}`);
      button.setAttribute("aria-current", String(partner.name === app.openPartner));
      button.onclick = () => app.openConversation(partner.name);
    }
  });
}

function setupAccounts(app: App): void {
  const form = byId("accounts-form", HTMLFormElement);
  const pattern = byId("accounts-pattern", HTMLInputElement);
  const list = byId("accounts", HTMLUListElement);
  const pageLine = byId("accounts-page", HTMLParagraphElement);
  const first = byId("accounts-first", HTMLButtonElement);
  const next = byId("accounts-next", HTMLButtonElement);
  /** The search shown, the page's number and the token of the page after it ("" when it is the last). */
  let shown = { pattern: "", page: 1, nextPageToken: "" };

  const load = async (searched: string, pageToken: string, page: number) => {
    const reply = await call("accounts", { pattern: searched, pageSize: accountsPageSize, pageToken });
    shown = { pattern: searched, page, nextPageToken: reply.nextPageToken };
    reconcile(
      list,
      reply.usernames,
      (name) => name,
      (name) => {
        const label = name === app.session.username ? `${name} (you)` : name;
        const button = h("button", { type: "button", class: "link", "aria-label": `Talk to ${label}` }, label);
        button.addEventListener("click", () => app.openConversation(name));
        return h("li", {}, button);
      },
    );
    const what = searched === "" ? "All accounts" : `Accounts matching ${searched}`;
    pageLine.textContent = reply.usernames.length === 0 ? `${what}: none.` : `${what}, page ${page}${reply.nextPageToken ? "" : " (the last)"}.`;
    const hadFocus = document.activeElement;
    first.disabled = page === 1;
    next.disabled = reply.nextPageToken === "";
    // A button that just became disabled loses the focus; keep it in the pager.
    if (hadFocus === next && next.disabled) first.focus();
    if (hadFocus === first && first.disabled && !next.disabled) next.focus();
  };

  onSubmit(form, () => load(pattern.value.trim(), "", 1));
  next.addEventListener("click", () => void guarded(form, () => load(shown.pattern, shown.nextPageToken, shown.page + 1)));
  first.addEventListener("click", () => void guarded(form, () => load(shown.pattern, "", 1)));
  app.onSession((previous) => {
    if (app.session.username && app.session.username !== previous) {
      pattern.value = "";
      void guarded(form, () => load("", "", 1));
    }
  });
}
