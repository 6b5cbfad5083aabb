// Signing in: password, then whatever Cognito asks for: a new password at the first sign-in,
// TOTP enrolment (staff must; the staff pool requires it), or the TOTP code.

import { h, fill, field } from "../dom.js";
import { t } from "../i18n.js";
import * as session from "../session.js";

const POOL_KEY = "tandem.pool"; // which kind of account was used last: not a secret

/**
 * Render the sign-in flow into `root`; resolves once the person is signed in.
 * ctx: {config, cognito}. `heading` lets the re-sign-in dialog say why it is there.
 */
export function signIn(root, ctx, { heading = t("common.sign_in_title"), intro = null, email = "" } = {}) {
  return new Promise((resolve) => {
    const done = (pool, clientId, tokens) => {
      session.start(pool, clientId, tokens);
      localStorage.setItem(POOL_KEY, pool);
      resolve();
    };
    passwordStep(root, ctx, { heading, intro, email }, done);
  });
}

export function errorText(err) {
  const known = {
    NotAuthorizedException: "common.err_not_authorized",
    UserNotFoundException: "common.err_not_authorized",
    CodeMismatchException: "common.err_code",
    EnableSoftwareTokenMFAException: "common.err_code",
    InvalidPasswordException: "common.err_password_policy",
    PasswordResetRequiredException: "common.err_reset_required",
    TooManyRequestsException: "common.err_too_many",
    LimitExceededException: "common.err_too_many",
    NetworkError: "common.err_network",
    PasswordMismatch: "common.err_mismatch",
  };
  return t(known[err?.type] || "common.err_sign_in");
}

function form(root, title, intro, fields, submitLabel, onSubmit) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: "primary" }, submitLabel);
  const el = h("form", { class: "card narrow", novalidate: false }, h("h1", { tabindex: "-1" }, title),
    intro ? h("p", {}, intro) : null, fields, error, button);
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      await onSubmit(el);
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
      error.focus?.();
    } finally {
      button.disabled = false;
    }
  });
  fill(root, el);
  el.querySelector("h1").focus();
  return el;
}

function passwordStep(root, ctx, { heading, intro, email }, done) {
  const last = localStorage.getItem(POOL_KEY) || "participant";
  const pools = h("fieldset", { class: "field" }, h("legend", {}, t("common.account_kind")),
    ["participant", "staff"].map((pool) => h("div", { class: "field-check" },
      h("input", { type: "radio", name: "pool", id: `pool-${pool}`, value: pool, checked: pool === last }),
      h("label", { for: `pool-${pool}` }, t(`common.pool_${pool}`)))));
  form(root, heading, intro, [
    pools,
    field({ label: t("common.email"), name: "email", type: "email", value: email, required: true, autocomplete: "username" }),
    field({ label: t("common.password"), name: "password", type: "password", required: true, autocomplete: "current-password" }),
  ], t("common.sign_in"), async (el) => {
    const pool = el.elements.pool.value;
    const clientId = ctx.config.pools[pool].client_id;
    const username = el.elements.email.value.trim();
    const result = await ctx.cognito.signIn(clientId, username, el.elements.password.value);
    await next(root, ctx, { pool, clientId, username }, result, done);
  });
}

function next(root, ctx, who, result, done) {
  if (result.tokens) return done(who.pool, who.clientId, result.tokens);
  switch (result.challenge) {
    case "NEW_PASSWORD_REQUIRED": return newPasswordStep(root, ctx, who, result.session, done);
    case "MFA_SETUP": return totpSetupStep(root, ctx, who, result.session, done);
    case "SOFTWARE_TOKEN_MFA": return totpStep(root, ctx, who, result.session, done);
    default: {
      const p = h("p", { role: "alert" }, t("common.err_unsupported_challenge"));
      return fill(root, h("div", { class: "card narrow" }, p));
    }
  }
}

function newPasswordStep(root, ctx, who, cognitoSession, done) {
  form(root, t("common.new_password_title"), t("common.new_password_intro"), [
    field({ label: t("common.new_password"), name: "password", type: "password", required: true, autocomplete: "new-password", hint: t("common.password_hint") }),
    field({ label: t("common.confirm_password"), name: "confirm", type: "password", required: true, autocomplete: "new-password" }),
  ], t("common.save_password"), async (el) => {
    if (el.elements.password.value !== el.elements.confirm.value) {
      throw Object.assign(new Error("mismatch"), { type: "PasswordMismatch" });
    }
    const result = await ctx.cognito.respond(who.clientId, "NEW_PASSWORD_REQUIRED", cognitoSession, {
      USERNAME: who.username, NEW_PASSWORD: el.elements.password.value,
    });
    await next(root, ctx, who, result, done);
  });
}

async function totpSetupStep(root, ctx, who, cognitoSession, done) {
  const { secret, session: associated } = await ctx.cognito.associateSoftwareToken(cognitoSession);
  const uri = otpauthUri(who.username, secret);
  const grouped = secret.match(/.{1,4}/g).join(" ");
  form(root, t("common.totp_setup_title"), t("common.totp_setup_intro"), [
    h("p", {}, t("common.totp_setup_key")),
    h("p", { class: "secret", "data-testid": "totp-secret" }, h("code", {}, grouped)),
    h("p", {}, h("a", { href: uri }, t("common.totp_setup_link"))),
    field({ label: t("common.totp_code"), name: "code", required: true, autocomplete: "one-time-code", attrs: { inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6 } }),
  ], t("common.totp_verify"), async (el) => {
    const verified = await ctx.cognito.verifySoftwareToken(associated, el.elements.code.value.trim(), "Tandem web");
    const result = await ctx.cognito.respond(who.clientId, "MFA_SETUP", verified, { USERNAME: who.username });
    await next(root, ctx, who, result, done);
  });
}

function totpStep(root, ctx, who, cognitoSession, done) {
  form(root, t("common.totp_title"), t("common.totp_intro"), [
    field({ label: t("common.totp_code"), name: "code", required: true, autocomplete: "one-time-code", attrs: { inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6 } }),
  ], t("common.totp_verify"), async (el) => {
    const result = await ctx.cognito.respond(who.clientId, "SOFTWARE_TOKEN_MFA", cognitoSession, {
      USERNAME: who.username, SOFTWARE_TOKEN_MFA_CODE: el.elements.code.value.trim(),
    });
    await next(root, ctx, who, result, done);
  });
}

/** The key as authenticator apps take it from a link (Key Uri Format). */
export function otpauthUri(account, secret) {
  const issuer = "Tandem";
  return `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?secret=${secret}&issuer=${encodeURIComponent(issuer)}`;
}
