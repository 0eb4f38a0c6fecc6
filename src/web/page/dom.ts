/** Small DOM helpers: typed lookups, element building (text only, never HTML), keyed list updates, form errors. */
import type { ApiError } from "../protocol.ts";
import { PageError } from "./api.ts";

export function byId<Element extends HTMLElement>(id: string, type: new () => Element): Element {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return element;
}

type Child = Node | string | null;

/** An element with attributes and children; strings become text nodes, so user text is never parsed as HTML. */
export function h<Tag extends keyof HTMLElementTagNameMap>(
  tag: Tag,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[Tag] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

/**
 * Makes `list`'s children the elements of `items`, in order, reusing the
 * element already shown for a key: a live region then announces only what
 * is new, and a ticked checkbox stays ticked.
 */
export function reconcile<Item>(list: HTMLElement, items: readonly Item[], key: (item: Item) => string, create: (item: Item) => HTMLElement): void {
  const existing = new Map<string, HTMLElement>();
  for (const child of [...list.children]) {
    if (child instanceof HTMLElement && child.dataset.key !== undefined) existing.set(child.dataset.key, child);
  }
  const wanted = new Set(items.map(key));
  for (const [itemKey, element] of existing) if (!wanted.has(itemKey)) element.remove();
  let previous: Element | null = null;
  for (const item of items) {
    const itemKey = key(item);
    let element = existing.get(itemKey);
    if (!element) {
      element = create(item);
      element.dataset.key = itemKey;
    }
    const expectedPlace: Element | null = previous ? previous.nextElementSibling : list.firstElementChild;
    if (expectedPlace !== element) list.insertBefore(element, expectedPlace);
    previous = element;
  }
}

/**
 * Shows `error` in the form's error line (role=alert, so it is read out)
 * and marks the field it is about, which then takes the focus; null clears
 * both.
 */
export function showFormError(form: HTMLFormElement, error: ApiError | null): void {
  const line = form.querySelector<HTMLElement>(".error");
  if (!line) throw new Error(`form #${form.id} has no error line`);
  for (const field of form.querySelectorAll("[aria-invalid]")) {
    field.removeAttribute("aria-invalid");
    describedBy(field, line.id, false);
  }
  line.textContent = error?.message ?? "";
  if (!error?.field) return;
  const field = form.elements.namedItem(error.field);
  if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) {
    field.setAttribute("aria-invalid", "true");
    describedBy(field, line.id, true);
    field.focus();
  }
}

function describedBy(element: Element, id: string, on: boolean): void {
  const ids = new Set((element.getAttribute("aria-describedby") ?? "").split(/\s+/).filter((word) => word !== ""));
  if (on) ids.add(id);
  else ids.delete(id);
  if (ids.size > 0) element.setAttribute("aria-describedby", [...ids].join(" "));
  else element.removeAttribute("aria-describedby");
}

/**
 * Runs `action` on submit with the form's buttons disabled meanwhile (so a
 * double press sends nothing twice); a failure shows in the form's error
 * line, never only in the console.
 */
export function onSubmit(form: HTMLFormElement, action: () => Promise<void>): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void guarded(form, action);
  });
}

/** Runs `action` for `form` (a submit, or a button of it) as onSubmit does. */
export async function guarded(form: HTMLFormElement, action: () => Promise<void>): Promise<void> {
  const buttons = [...form.querySelectorAll("button")];
  if (buttons.some((button) => button.getAttribute("aria-busy") === "true")) return;
  for (const button of buttons) button.setAttribute("aria-busy", "true");
  form.setAttribute("aria-busy", "true");
  showFormError(form, null);
  try {
    await action();
  } catch (error) {
    showFormError(form, errorOf(error));
  } finally {
    for (const button of buttons) button.removeAttribute("aria-busy");
    form.removeAttribute("aria-busy");
  }
}

export function errorOf(error: unknown): ApiError {
  if (error instanceof PageError) return error.error;
  console.error(error);
  return { code: "PAGE", message: "Something went wrong in this page; reload it and try again." };
}
