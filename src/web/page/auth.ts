/**
 * Log in and create an account. The rules for usernames and passwords come
 * from the service's own limits (src/limits.ts) and show before anything is
 * sent; each rule says as you type whether it is met. The service still
 * decides: its answer, when it refuses, shows next to the field.
 */
import { passwordBytesMax, passwordBytesMin, usernameLengthMax, usernameLengthMin } from "../../limits.ts";
import { call } from "./api.ts";
import type { App } from "./app.ts";
import { byId, h, onSubmit } from "./dom.ts";

const utf8 = new TextEncoder();

const passwordRules: { text: string; met: (password: string) => boolean }[] = [
  {
    text: `At least ${passwordBytesMin} bytes (${passwordBytesMin} English letters or digits)`,
    met: (password) => utf8.encode(password).length >= passwordBytesMin,
  },
  {
    text: `At most ${passwordBytesMax} bytes (letters outside English may take 2 to 4 bytes each)`,
    met: (password) => utf8.encode(password).length <= passwordBytesMax,
  },
];

export function setupAuth(app: App): void {
  byId("username-rules", HTMLParagraphElement).textContent =
    `${usernameLengthMin} to ${usernameLengthMax} characters: letters, digits, "_", "." and "-". It must not be taken.`;
  const rules = byId("password-rules", HTMLUListElement);
  const password = byId("register-password", HTMLInputElement);
  const ruleItems = passwordRules.map((rule) => {
    const state = h("span", { class: "rule-state" });
    const item = h("li", {}, `${rule.text} `, state);
    rules.append(item);
    return { rule, item, state };
  });
  const showRules = () => {
    for (const { rule, item, state } of ruleItems) {
      const met = password.value.length > 0 && rule.met(password.value);
      item.dataset.met = met ? "yes" : "no";
      state.textContent = password.value.length === 0 ? "" : met ? "(met)" : "(not met yet)";
    }
  };
  password.addEventListener("input", showRules);
  showRules();

  const registerForm = byId("register-form", HTMLFormElement);
  const registerUsername = byId("register-username", HTMLInputElement);
  const done = byId("register-done", HTMLParagraphElement);
  onSubmit(registerForm, async () => {
    done.textContent = "";
    const reply = await call("register", { username: registerUsername.value, password: password.value });
    registerForm.reset();
    showRules();
    done.textContent = `Account ${reply.username} created. Log in with it now.`;
    byId("login-username", HTMLInputElement).value = reply.username;
    byId("login-password", HTMLInputElement).focus();
  });

  const loginForm = byId("login-form", HTMLFormElement);
  onSubmit(loginForm, async () => {
    const session = await call("login", {
      username: byId("login-username", HTMLInputElement).value,
      password: byId("login-password", HTMLInputElement).value,
    });
    loginForm.reset();
    done.textContent = "";
    app.applySession(session);
  });
}
