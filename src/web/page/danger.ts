/**
 * Deleting the account, behind a confirmation that says what goes: the
 * account's password and a ticked "cannot be undone" are both needed.
 */
import { call, PageError } from "./api.ts";
import type { App } from "./app.ts";
import { byId, onSubmit } from "./dom.ts";

export function setupDanger(app: App): void {
  const open = byId("danger-open", HTMLButtonElement);
  const form = byId("danger-form", HTMLFormElement);
  const warning = byId("danger-warning", HTMLParagraphElement);
  const password = byId("danger-password", HTMLInputElement);
  const understood = byId("danger-understood", HTMLInputElement);
  const confirm = byId("danger-confirm", HTMLButtonElement);
  const cancel = byId("danger-cancel", HTMLButtonElement);

  const show = (shown: boolean) => {
    form.hidden = !shown;
    open.setAttribute("aria-expanded", String(shown));
    if (shown) password.focus();
    else form.reset();
  };
  open.addEventListener("click", () => show(form.hidden));
  cancel.addEventListener("click", () => {
    show(false);
    open.focus();
  });

  app.onSession((previous) => {
    if (app.session.username === previous) return;
    show(false);
    const name = app.session.username ?? "";
    byId("danger-username", HTMLInputElement).value = name;
    warning.textContent =
      `This deletes the account ${name} for good: you are logged out everywhere, messages to ${name} are deleted, ` +
      "and so are the messages you sent that are still unread. Messages already read stay with their readers. It cannot be undone.";
    confirm.textContent = `Delete the account ${name}`;
  });

  onSubmit(form, async () => {
    if (!understood.checked) {
      throw new PageError({ code: "PAGE", message: "Tick “I understand that this cannot be undone” to go on.", field: "understood" });
    }
    app.applySession(await call("delete-account", { password: password.value }));
  });
}
