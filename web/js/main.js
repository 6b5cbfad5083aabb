// Tandem's web app: boot, navigation and the signed-in shell. Pages live in views/<role>.js;
// each exports `pages`: [{id, label (an i18n key), render(root, ctx)}].
//
// URLs carry only the page's name (#/week): never a person, a session or anything clinical.

import { Cognito } from "./cognito.js";
import { api, configure } from "./api.js";
import { announce, clearAnnouncement, h, fill } from "./dom.js";
import { initialLanguage, setLanguage, t } from "./i18n.js";
import * as session from "./session.js";
import { signIn } from "./views/signin.js";

const ROLE_VIEWS = {
  participant: () => import("./views/participant.js"),
  clinician: () => import("./views/clinician.js"),
  coordinator: () => import("./views/coordinator.js"),
};

const ctx = { config: null, cognito: null, api, me: null, pages: [] };
const main = () => document.getElementById("main");

async function boot() {
  const reply = await fetch("config.json", { cache: "no-store" });
  ctx.config = await reply.json();
  ctx.cognito = new Cognito(ctx.config.cognito_endpoint);
  configure(ctx.config, ctx.cognito);
  session.setReauthenticate(reauthenticate);
  session.onChange(() => { shell().catch(showFailure); });
  const languages = document.getElementById("language");
  const lang = initialLanguage();
  languages.value = lang;
  await setLanguage(lang);
  languages.addEventListener("change", async () => {
    await setLanguage(languages.value);
    await render();
  });
  document.getElementById("sign-out").addEventListener("click", signOut);
  // Escape would close the sign-in dialog and leave the request waiting for it hanging.
  document.getElementById("reauth").addEventListener("cancel", (event) => event.preventDefault());
  window.addEventListener("hashchange", () => { render().catch(showFailure); });
  await shell();
}

/** Signed out: the sign-in form. Signed in: the role's pages. */
async function shell() {
  const out = document.getElementById("sign-out");
  const nav = document.getElementById("nav");
  if (!session.signedIn()) {
    ctx.me = null;
    ctx.pages = [];
    out.hidden = true;
    fill(nav);
    fill(document.getElementById("who"));
    await signIn(main(), ctx);
    return; // session.start -> onChange -> shell() again
  }
  const who = session.who();
  const load = ROLE_VIEWS[who.role];
  if (!load) {
    fill(main(), h("p", { role: "alert" }, t("common.err_no_role")));
    return;
  }
  ctx.pages = (await load()).pages;
  ctx.me = (await api("GET", "/me")).data;
  out.hidden = false;
  if (!ctx.pages.some((p) => `#/${p.id}` === location.hash)) history.replaceState(null, "", `#/${ctx.pages[0].id}`);
  await render();
}

let renders = 0;

/** Show the page the hash names. A page renders into a container of its own that replaces the
 * one shown only if no later render started meanwhile (a language change, then a click: the
 * slower, older one must not win). */
async function render() {
  const seq = ++renders;
  const nav = document.getElementById("nav");
  if (!session.signedIn()) {
    if (!ctx.pages.length) await shell();
    return;
  }
  fill(document.getElementById("who"), ctx.me ? ctx.me.display_name : "");
  const id = location.hash.replace(/^#\//, "");
  const page = ctx.pages.find((p) => p.id === id) || ctx.pages[0];
  fill(nav, h("ul", {}, ctx.pages.map((p) => h("li", {},
    h("a", { href: `#/${p.id}`, "aria-current": p === page ? "page" : null }, t(p.label))))));
  document.title = `${t(page.label)} · Tandem`;
  const root = main();
  clearAnnouncement();
  fill(root, h("p", { class: "loading" }, t("common.loading")));
  const view = h("div", { class: "view" });
  try {
    await page.render(view, ctx);
  } catch (err) {
    if (seq === renders) showFailure(err);
    return;
  }
  if (seq !== renders) return;
  fill(root, view);
  root.focus({ preventScroll: true });
}

function showFailure(err) {
  const detail = err?.problem?.detail || err?.message || String(err);
  fill(main(), h("div", { class: "card", role: "alert" }, h("h1", {}, t("common.err_page")), h("p", {}, detail)));
}

let pending = null;
/** The sign-in dialog over the page (the session ended or could not be refreshed): the page
 * underneath stays as it was, and whatever waited for a token goes on after. */
function reauthenticate() {
  if (pending) return pending;
  const dialog = document.getElementById("reauth");
  const before = session.who();
  const body = h("div", {});
  fill(dialog, body);
  dialog.showModal();
  pending = signIn(body, ctx, { heading: t("common.reauth_title"), intro: t("common.reauth_intro"), email: before?.email || "" })
    .then(() => {
      // Someone else signed in at this computer: what waited was the previous person's (a form
      // of theirs, say) and must not go on as the new one. The app starts over for them.
      if (session.who()?.personId !== before?.personId) throw new Error(t("common.reauth_someone_else"));
    })
    .finally(() => { dialog.close(); pending = null; });
  return pending;
}

async function signOut() {
  const token = session.accessToken();
  session.end(); // forget the tokens at once, whatever Cognito answers
  if (token) await ctx.cognito.signOut(token).catch(() => {});
  history.replaceState(null, "", location.pathname);
  announce(t("common.signed_out"));
}

boot().catch(showFailure);
