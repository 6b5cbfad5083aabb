// Two-step sign-in for a signed-in participant (optional for them; staff enrol at first
// sign-in and cannot turn it off, since the staff pool requires it).

import { announce, fill, field, h } from "../dom.js";
import { t } from "../i18n.js";
import * as session from "../session.js";
import { errorText, otpauthUri } from "./signin.js";

export async function twoStepCard(ctx) {
  const out = h("div", { "aria-live": "polite" });
  const card = h("section", { class: "card" }, h("h2", {}, t("common.two_step_title")), out);
  let enabled = false;
  try {
    enabled = await ctx.cognito.totpEnabled(session.accessToken());
  } catch {
    fill(out, h("p", { class: "form-error" }, t("common.err_try_again")));
    return card;
  }
  show();
  return card;

  function show() {
    if (enabled) {
      fill(out, h("p", {}, t("common.two_step_on")),
        h("button", { type: "button", class: "danger", onclick: turnOff }, t("common.two_step_turn_off")));
    } else {
      fill(out, h("p", {}, t("common.two_step_off")),
        h("button", { type: "button", class: "primary", onclick: setUp }, t("common.two_step_set_up")));
    }
  }

  async function setUp() {
    const secret = await ctx.cognito.associateForUser(session.accessToken());
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const form = h("form", {},
      h("p", {}, t("common.totp_setup_key")),
      h("p", { class: "secret", "data-testid": "totp-secret" }, h("code", {}, secret.match(/.{1,4}/g).join(" "))),
      h("p", {}, h("a", { href: otpauthUri(session.who().email, secret) }, t("common.totp_setup_link"))),
      field({ label: t("common.totp_code"), name: "code", required: true, autocomplete: "one-time-code", attrs: { inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6 } }),
      error,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("common.totp_verify")),
        h("button", { type: "button", onclick: show }, t("common.cancel"))));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await ctx.cognito.verifyForUser(session.accessToken(), form.elements.code.value.trim(), "Tandem web");
        await ctx.cognito.setTotp(session.accessToken(), true);
        enabled = true;
        show();
        announce(t("common.two_step_on"));
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
      }
    });
    fill(out, form);
    form.elements.code.focus();
  }

  async function turnOff() {
    try {
      await ctx.cognito.setTotp(session.accessToken(), false);
      enabled = false;
      show();
      announce(t("common.two_step_off"));
    } catch (err) {
      fill(out, h("p", { class: "form-error", role: "alert" }, errorText(err)));
    }
  }
}
