// A coordinator's pages: people (create, invite, deactivate), couples and their week plan, who is
// under or over plan, eligibility checks, and messages that failed for good.
//
// Whom the coordinator is looking at (a person, a couple, a participant's coverage) is page state
// kept in memory, never in the URL: the hash names only the page.

import { announce, field, fill, h, showFieldErrors, uid } from "../dom.js";
import { dateTime, language, money, t, time } from "../i18n.js";
import { isoWeek, shiftWeek, weekNav } from "../week.js";
import { problemText } from "./participant.js";

export const KINDS = ["participant", "clinician", "coordinator"];
export const ROLES = ["individual_therapist", "couples_therapist", "substance_use_counselor", "prescriber", "group_facilitator"];
export const ACCOUNT_STATUSES = ["none", "invited", "deactivated"];
/** US time zones a person may live in (the select's choices). */
export const ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
  "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "Pacific/Guam", "Pacific/Pago_Pago"];
/** The states and territories the API accepts (functions/common/models.py US_STATES). */
export const STATES = ["AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
  "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
  "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "GU", "VI", "AS", "MP"];
export const REQUIREMENTS = ["couples_session", "individual_session", "substance_use_counseling", "sessions_per_week", "hours_per_week"];
export const MESSAGE_KINDS = ["booked", "rescheduled", "cancelled", "reminder", "missed_session", "waitlist_promotion",
  "weekly_digest", "authorization_low", "authorization_expiring", "eligibility_problem", "dlq_alert"];
export const STANDINGS = ["under", "within", "over"];
export const COVERAGE = ["active", "inactive", "rejected"];
export const BENEFIT_CATEGORIES = ["mental_health", "substance_use"];
const FORMAT_HINTS = { email: "coordinator.err_email", phone: "coordinator.err_phone" };
const PAGE_SIZE = 25;
const MAX_PAGES = 20; // a select of everyone: at most 2,000 people, 100 a page

// --- page state ------------------------------------------------------------------------------

const memory = { owner: undefined };

/** This coordinator's page state; another sign-in starts from nothing. */
function state(ctx) {
  const owner = ctx.me?.person_id ?? null;
  if (memory.owner !== owner) {
    for (const key of Object.keys(memory)) delete memory[key];
    Object.assign(memory, {
      owner, kind: "participant", selected: null, planPartner: "", planWeek: null, week: null, month: null, eligibilityFor: "",
    });
  }
  return memory;
}

/** People by id, each read once per page (`GET /people/{id}`). */
function directory(ctx) {
  const known = new Map();
  return {
    add(people) { for (const p of people) known.set(p.person_id, p); },
    person(id) { return known.get(id) || null; },
    name(id) { return known.get(id)?.display_name || t("coordinator.unknown_person"); },
    async load(ids) {
      const missing = [...new Set(ids)].filter((id) => id && !known.has(id));
      await Promise.all(missing.map(async (id) => {
        try {
          known.set(id, (await ctx.api("GET", `/people/${encodeURIComponent(id)}`)).data);
        } catch {
          known.set(id, null);
        }
      }));
    },
  };
}

/** Every person of a kind (every page of `GET /people`), by name: the choices of a select. */
async function everyone(ctx, kind) {
  const found = [];
  let cursor = null;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const { data } = await ctx.api("GET", "/people", { query: { kind, limit: 100, cursor } });
    found.push(...data.items);
    cursor = data.next_cursor;
    if (!cursor) break;
  }
  return found.sort((a, b) => a.display_name.localeCompare(b.display_name));
}

// --- small pure helpers (web/tests/coordinator.test.mjs) -------------------------------------

/** Whole cents as dollars: 150000 -> "$1,500.00". */
export function cents(amount) {
  if (amount === null || amount === undefined) return null;
  const whole = Math.floor(amount / 100);
  return money(`${whole}.${String(amount - whole * 100).padStart(2, "0")}`);
}

/** "2026-12" moved by months. */
export function shiftMonth(month, by) {
  const [year, num] = month.split("-").map(Number);
  const index = year * 12 + (num - 1) + by;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
}

/** A problem as a form shows it: a field naming a list item (`body.licensed_states.0`) names
 * the list's own control, and "should match pattern" becomes words about the field's format. */
export function forForm(problem) {
  const errors = (problem?.errors || []).map((e) => {
    const name = String(e.field).replace(/(\.\d+)+$/, "");
    const format = /should match pattern/i.test(e.message || "");
    const hint = FORMAT_HINTS[name.split(".").pop()] || "coordinator.err_format";
    return { ...e, field: name, message: format ? t(hint) : e.message };
  });
  return { ...problem, errors };
}

/** Show an API problem on a form: at the fields it names, and in words in `error`. */
function formProblem(form, error, err) {
  const problem = forForm(err.problem);
  showFieldErrors(form, problem);
  // What a field shows needs no repeating; what no field shows (a list of checkboxes) is said here
  const elsewhere = problem.errors.filter((e) => !(form.elements.namedItem(e.field.split(".").pop()) instanceof Element));
  error.textContent = problem.errors.length
    ? [t("coordinator.fix_fields"), ...elsewhere.map((e) => `${e.field.replace(/^body\./, "")}: ${e.message}`)].join(" ")
    : problemText(err);
  error.hidden = false;
}

/** Each partner's sessions and hours once the coordinator has left some proposed items out:
 * `dropped` is [{attendee_ids, sessions, hours}]. */
export function adjustedWeeks(partners, dropped) {
  return partners.map((p) => {
    let { sessions, hours } = p;
    for (const item of dropped) {
      if (!item.attendee_ids.includes(p.participant_id)) continue;
      sessions -= item.sessions;
      hours -= item.hours;
    }
    return { ...p, sessions, hours: Math.round(hours * 100) / 100 };
  });
}

function hoursBetween(start, end) {
  return (Date.parse(end) - Date.parse(start)) / 3600000;
}

// --- shared bits -----------------------------------------------------------------------------

function locale() { return language() === "es" ? "es-US" : "en-US"; }

/** From one calendar date to another (the end may be open); neither: not stated. */
function dateRange(from, to) {
  if (!from && !to) return t("coordinator.not_said");
  return t("coordinator.date_range", { from: dateText(from), to: to ? dateText(to) : t("coordinator.open_ended") });
}

/** A calendar date ("2026-01-01") as the reader's language writes it. */
function dateText(iso) {
  if (!iso) return t("coordinator.not_said");
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${iso}T00:00:00Z`));
}

/** "2026-11" as "November 2026". */
function monthText(month) {
  const [year, num] = month.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(year, num - 1, 1)));
}

function percent(rate) {
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 2 }).format(Number(rate));
}

function number(value) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(value);
}

/** A value of an API vocabulary in the reader's language; one this app does not know, as sent. */
function label(prefix, value, vocabulary) {
  return vocabulary.includes(value) ? t(`coordinator.${prefix}_${value}`) : String(value);
}

function alertText(text) {
  return h("p", { role: "alert", class: "form-error" }, text);
}

function heading(text) {
  return h("h1", { tabindex: "-1" }, text);
}

function table(caption, headers, rows) {
  return h("table", {},
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows));
}

function options(people, { blank } = {}) {
  const list = people.map((p) => [p.person_id, `${p.display_name} · ${p.email}`]);
  return blank ? [["", blank], ...list] : list;
}

function accountText(account) {
  const status = t(`coordinator.account_${account.status}`);
  if (account.status === "invited" && account.invited_at) return `${status} (${dateText(account.invited_at.slice(0, 10))})`;
  if (account.status === "deactivated" && account.deactivated_at) return `${status} (${dateText(account.deactivated_at.slice(0, 10))})`;
  return status;
}

/** "More" of a paged list: `load()` fetches and draws the next page and answers how many are
 * shown (announced); a failure is said under `area`. */
function moreButton(load, area) {
  return h("button", {
    type: "button",
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        announce(t("coordinator.more_loaded", { count: await load() }));
      } catch (err) {
        e.target.disabled = false;
        area.append(alertText(problemText(err)));
      }
    },
  }, t("coordinator.more"));
}

/** A question with Yes / No under `area`; `onYes` runs with the Yes button (disabled meanwhile). */
function confirmStep(area, { question, explain, yes, onYes, back }) {
  const id = uid("confirm");
  const yesButton = h("button", { type: "button", class: "danger" }, yes);
  const noButton = h("button", { type: "button" }, t("coordinator.confirm_no"));
  const box = h("div", { class: "card confirm", role: "group", "aria-labelledby": id },
    h("h3", { id, tabindex: "-1" }, question), h("p", {}, explain), h("div", { class: "actions" }, yesButton, noButton));
  fill(area, box);
  box.querySelector("h3").focus();
  noButton.addEventListener("click", () => { fill(area); back?.focus(); });
  yesButton.addEventListener("click", async () => {
    yesButton.disabled = true;
    try {
      await onYes();
    } catch (err) {
      yesButton.disabled = false;
      box.append(alertText(problemText(err)));
    }
  });
}

// --- People ------------------------------------------------------------------------------------

async function peoplePage(root, ctx) {
  const s = state(ctx);
  const listArea = h("div", {});
  const detailArea = h("div", {});
  const kindField = field({
    label: t("coordinator.show_kind"), name: "list_kind", type: "select", value: s.kind,
    options: KINDS.map((k) => [k, t(`coordinator.kinds_${k}`)]),
  });
  let items = [];
  let cursor = null;

  async function loadList(more = false) {
    const kind = s.kind;
    const { data } = await ctx.api("GET", "/people", { query: { kind, limit: PAGE_SIZE, cursor: more ? cursor : null } });
    if (s.kind !== kind) return; // another kind was chosen meanwhile
    items = more ? [...items, ...data.items] : data.items;
    cursor = data.next_cursor;
    drawList();
    drawDetails();
  }

  function drawList() {
    const more = cursor ? moreButton(async () => { await loadList(true); return items.length; }, listArea) : null;
    fill(listArea, items.length
      ? table(t("coordinator.people_caption", { kind: t(`coordinator.kinds_${s.kind}`) }),
        [t("coordinator.name"), t("coordinator.email"), t("coordinator.time_zone"), t("coordinator.state"), t("coordinator.account")],
        items.map((p) => h("tr", { class: p.person_id === s.selected ? "selected" : null },
          h("th", { scope: "row" }, h("button", {
            type: "button", class: "link", "aria-current": p.person_id === s.selected ? "true" : null,
            onclick: () => select(p.person_id),
          }, p.display_name)),
          h("td", {}, p.email),
          h("td", {}, p.time_zone),
          h("td", {}, p.state || ""),
          h("td", {}, h("span", { class: `badge account-${p.account.status}` }, accountText(p.account))))))
      : h("p", {}, t("coordinator.people_none")),
    more ? h("div", { class: "actions" }, more) : null);
  }

  function select(personId) {
    s.selected = personId;
    drawList();
    drawDetails();
    detailArea.querySelector("h2")?.focus();
  }

  function replace(person) {
    items = items.map((p) => (p.person_id === person.person_id ? person : p));
    drawList();
    drawDetails();
  }

  function drawDetails() {
    const person = items.find((p) => p.person_id === s.selected);
    if (!person) { fill(detailArea); return; }
    const out = h("div", { "aria-live": "polite" });
    const confirmArea = h("div", {});
    const id = encodeURIComponent(person.person_id);
    const staff = person.kind !== "participant";

    async function act(path, done) {
      const { data } = await ctx.api("POST", `/people/${id}/${path}`);
      replace(data);
      detailArea.querySelector("h2")?.focus(); // the button pressed is gone: back to the person
      announce(t(done, { name: data.display_name }));
    }

    function button(label, className, onclick) {
      return h("button", { type: "button", class: className, onclick }, label);
    }

    const buttons = [];
    if (person.account.status !== "deactivated") {
      buttons.push(button(person.account.status === "none" ? t("coordinator.invite") : t("coordinator.reinvite"), "primary",
        (e) => run(e.target, () => act("invitation", "coordinator.invited"))));
    }
    if (staff && person.account.status === "invited") {
      buttons.push(button(t("coordinator.reset_mfa"), null, (e) => confirmStep(confirmArea, {
        question: t("coordinator.reset_mfa_question", { name: person.display_name }),
        explain: t("coordinator.reset_mfa_explain"),
        yes: t("coordinator.reset_mfa_yes"),
        back: e.target,
        onYes: () => act("second-factor-reset", "coordinator.mfa_reset"),
      })));
    }
    if (person.account.status === "deactivated") {
      buttons.push(button(t("coordinator.reactivate"), "primary", (e) => run(e.target, () => act("reactivation", "coordinator.reactivated"))));
    } else {
      buttons.push(button(t("coordinator.deactivate"), "danger", (e) => confirmStep(confirmArea, {
        question: t("coordinator.deactivate_question", { name: person.display_name }),
        explain: t("coordinator.deactivate_explain"),
        yes: t("coordinator.deactivate_yes"),
        back: e.target,
        onYes: () => act("deactivation", "coordinator.deactivated"),
      })));
    }

    async function run(target, action) {
      target.disabled = true;
      fill(out);
      try {
        await action();
      } catch (err) {
        target.disabled = false;
        fill(out, alertText(problemText(err)));
      }
    }

    fill(detailArea, h("section", { class: "card", "aria-labelledby": "person-h" },
      h("h2", { id: "person-h", tabindex: "-1" }, person.display_name),
      h("dl", { class: "facts" }, facts(person).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
      h("div", { class: "actions" }, buttons), confirmArea, out));
  }

  fill(root, heading(t("coordinator.people_title")),
    h("section", { class: "card", "aria-labelledby": "people-list-h" },
      h("h2", { id: "people-list-h" }, t("coordinator.people_list")), kindField, listArea),
    detailArea,
    personForm(ctx, async (person) => {
      s.kind = person.kind;
      kindField.querySelector("select").value = person.kind;
      s.selected = person.person_id;
      await loadList();
    }));
  kindField.querySelector("select").addEventListener("change", (e) => {
    s.kind = e.target.value;
    s.selected = null;
    loadList().catch((err) => fill(listArea, alertText(problemText(err))));
  });
  await loadList();
}

function facts(person) {
  const rows = [
    [t("coordinator.kind"), t(`coordinator.kind_${person.kind}`)],
    [t("coordinator.email"), person.email],
    [t("coordinator.phone"), person.phone || t("common.none")],
    [t("coordinator.time_zone"), person.time_zone],
    [t("coordinator.state"), person.state ? t(`coordinator.state_${person.state}`) : t("common.none")],
    [t("coordinator.account"), accountText(person.account)],
  ];
  const plan = person.treatment_plan;
  if (plan) {
    rows.push([t("coordinator.plan"), t("coordinator.plan_text", {
      smin: plan.sessions_per_week_min, smax: plan.sessions_per_week_max,
      hmin: number(plan.hours_per_week_min), hmax: number(plan.hours_per_week_max),
    })]);
    if (plan.needs_substance_use_counseling !== null && plan.needs_substance_use_counseling !== undefined) {
      rows.push([t("coordinator.plan_sud"), plan.needs_substance_use_counseling ? t("common.yes") : t("common.no")]);
    }
  }
  if (person.roles) rows.push([t("coordinator.roles"), person.roles.map((r) => t(`coordinator.role_${r}`)).join(", ")]);
  if (person.licensed_states) rows.push([t("coordinator.licensed_states"), person.licensed_states.join(", ")]);
  return rows;
}

/** Add a person: the fields of their kind; the API's problems shown at the fields they name. */
function personForm(ctx, created) {
  const zone = ZONES.includes(ctx.me?.time_zone) ? ctx.me.time_zone : "America/Chicago";
  const numberField = (label, name, attrs) => field({ label, name, type: "number", attrs: { inputmode: "decimal", ...attrs } });
  const participantPart = h("fieldset", { class: "group", "data-kind": "participant" },
    h("legend", {}, t("coordinator.plan_legend")),
    h("p", { class: "hint" }, t("coordinator.plan_hint")),
    field({ label: t("coordinator.age_group"), name: "age_group", type: "select", value: "adult",
      options: [["adult", t("coordinator.age_adult")], ["adolescent", t("coordinator.age_adolescent")]] }),
    numberField(t("coordinator.sessions_min"), "sessions_per_week_min", { min: 1, max: 14, step: 1 }),
    numberField(t("coordinator.sessions_max"), "sessions_per_week_max", { min: 1, max: 14, step: 1 }),
    numberField(t("coordinator.hours_min"), "hours_per_week_min", { min: 0, max: 40, step: 0.5 }),
    numberField(t("coordinator.hours_max"), "hours_per_week_max", { min: 0, max: 40, step: 0.5 }),
    field({ label: t("coordinator.plan_sud"), name: "needs_substance_use_counseling", type: "checkbox" }));
  const clinicianPart = h("fieldset", { class: "group", "data-kind": "clinician", hidden: true },
    h("legend", {}, t("coordinator.clinician_legend")),
    h("fieldset", { class: "field" }, h("legend", {}, t("coordinator.roles")),
      ROLES.map((role) => field({ label: t(`coordinator.role_${role}`), name: "roles", type: "checkbox", attrs: { value: role } }))),
    field({ label: t("coordinator.licensed_states"), name: "licensed_states", hint: t("coordinator.licensed_states_hint"), autocomplete: "off" }));
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "primary" }, t("coordinator.create_person"));
  const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "new-person-h" },
    h("h2", { id: "new-person-h" }, t("coordinator.new_person")),
    field({ label: t("coordinator.kind"), name: "kind", type: "select", value: "participant",
      options: KINDS.map((k) => [k, t(`coordinator.kind_${k}`)]) }),
    field({ label: t("coordinator.name"), name: "display_name", required: true, autocomplete: "off", attrs: { maxlength: 120 } }),
    field({ label: t("coordinator.email"), name: "email", type: "email", required: true, autocomplete: "off" }),
    field({ label: t("coordinator.phone_optional"), name: "phone", type: "tel", hint: t("coordinator.phone_hint"), autocomplete: "off" }),
    field({ label: t("coordinator.time_zone"), name: "time_zone", type: "select", value: zone,
      options: ZONES.map((z) => [z, `${t(`coordinator.zone_${z}`)} (${z})`]) }),
    field({ label: t("coordinator.state_optional"), name: "state", type: "select", value: "",
      options: [["", t("coordinator.state_none")], ...STATES.map((c) => [c, `${t(`coordinator.state_${c}`)} (${c})`])] }),
    participantPart, clinicianPart, error, h("div", { class: "actions" }, submit));
  const el = form.elements;
  const showKind = () => {
    participantPart.hidden = el.kind.value !== "participant";
    clinicianPart.hidden = el.kind.value !== "clinician";
  };
  el.kind.addEventListener("change", showKind);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = el.kind.value;
    const body = { kind, display_name: el.display_name.value.trim(), email: el.email.value.trim(), time_zone: el.time_zone.value };
    if (el.phone.value.trim()) body.phone = el.phone.value.replace(/[\s().-]/g, "");
    if (el.state.value) body.state = el.state.value;
    if (kind === "participant") {
      body.age_group = el.age_group.value;
      const plan = {};
      for (const name of ["sessions_per_week_min", "sessions_per_week_max", "hours_per_week_min", "hours_per_week_max"]) {
        if (el[name].value !== "") plan[name] = Number(el[name].value);
      }
      if (Object.keys(plan).length || el.needs_substance_use_counseling.checked) {
        body.treatment_plan = { ...plan, needs_substance_use_counseling: el.needs_substance_use_counseling.checked };
      }
    }
    if (kind === "clinician") {
      body.roles = [...form.querySelectorAll("input[name=roles]:checked")].map((c) => c.value);
      body.licensed_states = el.licensed_states.value.split(/[,\s]+/).filter(Boolean).map((c) => c.toUpperCase());
    }
    error.hidden = true;
    submit.disabled = true;
    try {
      const { data } = await ctx.api("POST", "/people", { body, idempotent: true });
      showFieldErrors(form, null);
      form.reset();
      el.time_zone.value = zone;
      showKind();
      announce(t("coordinator.person_created", { name: data.display_name, status: t(`coordinator.account_${data.account.status}`) }));
      await created(data);
    } catch (err) {
      formProblem(form, error, err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

// --- Couples: form one, a partner's care team, a couple's week plan ---------------------------

async function couplesPage(root, ctx) {
  const s = state(ctx);
  const dir = directory(ctx);
  const [participants, clinicians] = await Promise.all([everyone(ctx, "participant"), everyone(ctx, "clinician")]);
  dir.add(participants);
  dir.add(clinicians);
  const active = participants.filter((p) => p.account.status !== "deactivated");
  const withRole = (role) => clinicians.filter((c) => (c.roles || []).includes(role) && c.account.status !== "deactivated");
  const planArea = h("div", {});
  fill(root, heading(t("coordinator.couples_title")),
    coupleForm(), careTeamForm(), planArea);
  drawPlanner();

  function coupleForm() {
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const out = h("div", { "aria-live": "polite" });
    const blank = t("coordinator.choose");
    const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "couple-h" },
      h("h2", { id: "couple-h" }, t("coordinator.couple_new")),
      field({ label: t("coordinator.partner_a"), name: "partner_a", type: "select", options: options(active, { blank }) }),
      field({ label: t("coordinator.partner_b"), name: "partner_b", type: "select", options: options(active, { blank }) }),
      field({ label: t("coordinator.couples_therapist"), name: "couples_therapist_id", type: "select",
        options: options(withRole("couples_therapist"), { blank }) }),
      field({ label: t("coordinator.join_mode"), name: "join_mode", type: "select", value: "one_location",
        options: [["one_location", t("coordinator.join_one_location")], ["two_locations", t("coordinator.join_two_locations")]] }),
      error, h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("coordinator.couple_create"))), out);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const el = form.elements;
      const button = form.querySelector("button[type=submit]");
      error.hidden = true;
      button.disabled = true;
      try {
        const body = { partner_ids: [el.partner_a.value, el.partner_b.value], couples_therapist_id: el.couples_therapist_id.value, join_mode: el.join_mode.value };
        const { data } = await ctx.api("POST", "/couples", { body, idempotent: true });
        showFieldErrors(form, null);
        const text = t("coordinator.couple_formed", {
          a: dir.name(data.partner_ids[0]), b: dir.name(data.partner_ids[1]), therapist: dir.name(data.couples_therapist_id),
        });
        fill(out, h("p", { class: "notice" }, text));
        announce(text);
        s.planPartner = data.partner_ids[0];
        drawPlanner();
      } catch (err) {
        formProblem(form, error, err);
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  function careTeamForm() {
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const out = h("div", { "aria-live": "polite" });
    const none = t("coordinator.nobody");
    const slots = [
      ["individual_therapist_id", "individual_therapist"],
      ["substance_use_counselor_id", "substance_use_counselor"],
      ["prescriber_id", "prescriber"],
    ];
    const fields = h("div", { hidden: true },
      slots.map(([name, role]) => field({ label: t(`coordinator.role_${role}`), name, type: "select", options: options(withRole(role), { blank: none }) })),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("coordinator.care_team_save"))));
    const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "team-h" },
      h("h2", { id: "team-h" }, t("coordinator.care_team")),
      field({ label: t("coordinator.participant"), name: "participant", type: "select", options: options(active, { blank: t("coordinator.choose") }) }),
      fields, error, out);
    const el = form.elements;
    el.participant.addEventListener("change", async () => {
      fill(out);
      error.hidden = true;
      fields.hidden = true;
      const participant = el.participant.value;
      if (!participant) return;
      try {
        const { data } = await ctx.api("GET", `/participants/${encodeURIComponent(participant)}/care-team`);
        if (el.participant.value !== participant) return; // chosen again meanwhile
        for (const [name] of slots) el[name].value = data[name] || "";
        fields.hidden = false;
      } catch (err) {
        error.textContent = problemText(err);
        error.hidden = false;
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      const body = Object.fromEntries(slots.map(([name]) => [name, el[name].value || null]));
      try {
        await ctx.api("PUT", `/participants/${encodeURIComponent(el.participant.value)}/care-team`, { body });
        showFieldErrors(form, null);
        const text = t("coordinator.care_team_saved", { name: dir.name(el.participant.value) });
        fill(out, h("p", {}, text));
        announce(text);
      } catch (err) {
        formProblem(form, error, err);
      }
    });
    return form;
  }

  /** Choose a couple (through either partner), a week and the couple's limits; propose. */
  function drawPlanner() {
    const result = h("div", {});
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const coupleOut = h("p", { "aria-live": "polite" });
    const week = s.planWeek || shiftWeek(isoWeek(new Date()), 1);
    const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "plan-h" },
      h("h2", { id: "plan-h" }, t("coordinator.plan_title")),
      field({ label: t("coordinator.plan_partner"), name: "partner", type: "select", value: s.planPartner,
        hint: t("coordinator.plan_partner_hint"), options: options(active, { blank: t("coordinator.choose") }) }),
      coupleOut,
      field({ label: t("coordinator.week"), name: "week", value: week, hint: t("coordinator.week_hint"), autocomplete: "off",
        attrs: { pattern: "\\d{4}-W\\d{2}", inputmode: "text" } }),
      field({ label: t("coordinator.evenings"), name: "evenings", type: "checkbox", value: true }),
      field({ label: t("coordinator.weekends"), name: "weekends", type: "checkbox", value: true }),
      error, h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("coordinator.propose"))));
    const el = form.elements;
    let couple = null;

    async function findCouple() {
      couple = null;
      fill(coupleOut);
      fill(result); // a proposal for another couple no longer stands
      const partner = el.partner.value;
      s.planPartner = partner;
      if (!partner) return;
      const { data: team } = await ctx.api("GET", `/participants/${encodeURIComponent(partner)}/care-team`);
      if (el.partner.value !== partner) return; // chosen again meanwhile: the newer choice answers
      if (!team.couple_id) {
        fill(coupleOut, t("coordinator.no_couple", { name: dir.name(partner) }));
        return;
      }
      const { data } = await ctx.api("GET", `/couples/${encodeURIComponent(team.couple_id)}`);
      await dir.load([...data.partner_ids, data.couples_therapist_id]);
      if (el.partner.value !== partner) return;
      couple = data;
      fill(coupleOut, t("coordinator.couple_is", {
        a: dir.name(data.partner_ids[0]), b: dir.name(data.partner_ids[1]), therapist: dir.name(data.couples_therapist_id),
      }));
    }
    const found = () => findCouple().catch((err) => { error.textContent = problemText(err); error.hidden = false; });
    el.partner.addEventListener("change", found);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      fill(result);
      if (!couple) await findCouple();
      if (!couple) {
        showFieldErrors(form, { errors: [{ field: "partner", message: t("coordinator.choose_couple") }] });
        return;
      }
      const body = { week: el.week.value.trim().toUpperCase(), evenings: el.evenings.checked, weekends: el.weekends.checked };
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const { data } = await ctx.api("POST", `/couples/${encodeURIComponent(couple.couple_id)}/week-plan`, { body });
        showFieldErrors(form, null);
        s.planWeek = data.week;
        await showProposal(result, data);
      } catch (err) {
        formProblem(form, error, err);
      } finally {
        button.disabled = false;
      }
    });
    fill(planArea, form, result);
    if (s.planPartner) found();
  }

  /** The proposal: every session and group seat with a box to leave it out, each partner's week
   * against their plan (as adjusted), what stays unmet; then book what is kept. */
  async function showProposal(area, plan) {
    const clinicianIds = plan.sessions.map((x) => x.clinician_id);
    const [{ data: offered }] = await Promise.all([
      ctx.api("GET", "/groups"),
      dir.load([...plan.partners.map((p) => p.participant_id), ...clinicianIds]),
    ]);
    const groupsById = new Map(offered.items.map((g) => [g.group_id, g]));
    const zoneOf = (id) => dir.person(id)?.time_zone || ctx.me.time_zone;
    const whenText = (start, end, ids) => [...new Set(ids.map(zoneOf))]
      .map((zone) => `${dateTime(start, zone)} – ${time(end, zone)} (${zone})`).join("; ");
    const who = (ids) => ids.map((id) => dir.name(id)).join(", ");

    const sessionBoxes = plan.sessions.map((x) => h("input", {
      type: "checkbox", checked: true, "aria-label": t("coordinator.keep_session", { type: t(`participant.type_${x.type}`), when: whenText(x.start, x.end, x.attendee_ids), who: who(x.attendee_ids) }),
    }));
    const groupBoxes = plan.groups.map((g) => h("input", {
      type: "checkbox", checked: true, "aria-label": t("coordinator.keep_group", { group: groupsById.get(g.group_id)?.title || g.group_id, who: who(g.participant_ids) }),
    }));
    const weeksBody = h("tbody", {});
    const out = h("div", { "aria-live": "polite" });
    const book = h("button", { type: "button", class: "primary" }, t("coordinator.book"));

    function kept() {
      return {
        sessions: plan.sessions.filter((_, i) => sessionBoxes[i].checked),
        groups: plan.groups.filter((_, i) => groupBoxes[i].checked),
      };
    }

    function drawWeeks() {
      const dropped = [
        ...plan.sessions.filter((_, i) => !sessionBoxes[i].checked)
          .map((x) => ({ attendee_ids: x.attendee_ids, sessions: 1, hours: hoursBetween(x.start, x.end) })),
        ...plan.groups.filter((_, i) => !groupBoxes[i].checked).map((g) => {
          const minutes = groupsById.get(g.group_id)?.duration_minutes || 0;
          const count = (g.occurrences || []).length;
          return { attendee_ids: g.participant_ids, sessions: count, hours: (count * minutes) / 60 };
        }),
      ];
      const range = (value, min, max) => {
        const standing = value < min ? "under" : value > max ? "over" : null;
        return [t("coordinator.of_range", { value: number(value), min: number(min), max: number(max) }),
          standing ? [" ", h("strong", {}, t(`coordinator.standing_${standing}`))] : null];
      };
      fill(weeksBody, adjustedWeeks(plan.partners, dropped).map((p) => h("tr", {},
        h("th", { scope: "row" }, dir.name(p.participant_id)),
        h("td", {}, range(p.sessions, p.plan.sessions_per_week_min, p.plan.sessions_per_week_max)),
        h("td", {}, range(p.hours, p.plan.hours_per_week_min, p.plan.hours_per_week_max)))));
    }
    for (const box of [...sessionBoxes, ...groupBoxes]) box.addEventListener("change", drawWeeks);
    drawWeeks();

    book.addEventListener("click", async () => {
      const chosen = kept();
      if (!chosen.sessions.length && !chosen.groups.length) {
        fill(out, alertText(t("coordinator.book_nothing")));
        return;
      }
      book.disabled = true;
      fill(out);
      try {
        const { data } = await ctx.api("POST", `/couples/${encodeURIComponent(plan.couple_id)}/week-plan/book`,
          { body: { week: plan.week, sessions: chosen.sessions, groups: chosen.groups } });
        for (const box of [...sessionBoxes, ...groupBoxes]) box.disabled = true;
        const text = t("coordinator.booked", { sessions: data.session_ids.length, groups: data.group_ids.length, week: data.week });
        fill(out, h("div", { class: "notice" }, h("p", {}, text),
          h("ul", {}, chosen.sessions.map((x) => h("li", {}, `${t(`participant.type_${x.type}`)}: ${whenText(x.start, x.end, x.attendee_ids)} · ${who(x.attendee_ids)}`)),
            chosen.groups.map((g) => h("li", {}, `${groupsById.get(g.group_id)?.title || g.group_id} · ${who(g.participant_ids)}`)))));
        announce(text);
      } catch (err) {
        book.disabled = false;
        fill(out, alertText(err.status === 409 ? t("coordinator.book_clash", { detail: problemText(err) }) : problemText(err)));
      }
    });

    const summary = plan.complete ? t("coordinator.plan_complete") : t("coordinator.plan_incomplete", { count: plan.unmet.length });
    fill(area, h("section", { class: "card", "aria-labelledby": "proposal-h" },
      h("h2", { id: "proposal-h", tabindex: "-1" }, t("coordinator.proposal_title", { week: plan.week })),
      h("p", { class: plan.complete ? "ok" : "form-error" }, summary),
      h("h3", {}, t("coordinator.proposed_sessions")),
      plan.sessions.length
        ? table(t("coordinator.adjust_caption"),
          [t("coordinator.book_it"), t("coordinator.when"), t("coordinator.what"), t("coordinator.clinician"), t("coordinator.who")],
          plan.sessions.map((x, i) => h("tr", {},
            h("td", {}, sessionBoxes[i]),
            h("td", {}, whenText(x.start, x.end, x.attendee_ids)),
            h("td", {}, t(`participant.type_${x.type}`)),
            h("td", {}, dir.name(x.clinician_id)),
            h("td", {}, who(x.attendee_ids)))))
        : h("p", {}, t("coordinator.no_sessions")),
      h("h3", {}, t("coordinator.proposed_groups")),
      plan.groups.length
        ? table(null, [t("coordinator.book_it"), t("coordinator.group"), t("coordinator.who"), t("coordinator.meetings")],
          plan.groups.map((g, i) => h("tr", {},
            h("td", {}, groupBoxes[i]),
            h("td", {}, groupsById.get(g.group_id)?.title || g.group_id),
            h("td", {}, who(g.participant_ids)),
            h("td", {}, h("ul", { class: "plain" }, (g.occurrences || []).map((o) => h("li", {}, dateTime(o, zoneOf(g.participant_ids[0])))))))))
        : h("p", {}, t("coordinator.no_groups")),
      (plan.busy || []).length ? h("p", { class: "muted" }, t("coordinator.busy_items", { count: plan.busy.length })) : null,
      h("h3", {}, t("coordinator.partner_weeks")),
      h("table", {}, h("caption", {}, t("coordinator.partner_weeks_caption")),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, t("coordinator.partner")),
          h("th", { scope: "col" }, t("coordinator.sessions_range")),
          h("th", { scope: "col" }, t("coordinator.hours_range")))),
        weeksBody),
      plan.unmet.length ? [h("h3", {}, t("coordinator.unmet")), h("ul", {}, plan.unmet.map((u) => h("li", {},
        h("strong", {}, label("requirement", u.requirement, REQUIREMENTS)),
        u.participant_id ? ` (${dir.name(u.participant_id)})` : "", `: ${u.detail}`)))] : null,
      h("div", { class: "actions" }, book), out));
    area.querySelector("h2").focus();
    announce(summary);
  }
}

// --- Under / over plan -------------------------------------------------------------------------

async function intensityPage(root, ctx, week = undefined) {
  const s = state(ctx);
  if (week !== undefined) s.week = week;
  const { data } = await ctx.api("GET", "/intensity", { query: { week: s.week } });
  const dir = directory(ctx);
  await dir.load([...data.under, ...data.over].map((e) => e.participant_id));
  const go = (w) => intensityPage(root, ctx, w).then(() => root.querySelector("h1").focus())
    .catch((err) => fill(root, alertText(problemText(err))));
  const part = (id, title, entries, none) => h("section", { class: "card", "aria-labelledby": id },
    h("h2", { id }, title, " ", h("span", { class: "badge" }, String(entries.length))),
    entries.length
      ? table(null, [t("coordinator.participant"), t("coordinator.plan"), t("coordinator.scheduled"), t("coordinator.attended"),
        t("coordinator.sessions_standing"), t("coordinator.hours_standing")],
      entries.map((e) => {
        const plan = dir.person(e.participant_id)?.treatment_plan;
        return h("tr", {},
          h("th", { scope: "row" }, dir.name(e.participant_id)),
          h("td", {}, plan ? t("coordinator.plan_text", {
            smin: plan.sessions_per_week_min, smax: plan.sessions_per_week_max,
            hmin: number(plan.hours_per_week_min), hmax: number(plan.hours_per_week_max) }) : t("common.none")),
          h("td", {}, t("coordinator.figures", { sessions: e.scheduled.sessions, hours: number(e.scheduled.hours) })),
          h("td", {}, t("coordinator.figures", { sessions: e.attended.sessions, hours: number(e.attended.hours) })),
          h("td", {}, label("standing", e.sessions_standing, STANDINGS)),
          h("td", {}, label("standing", e.hours_standing, STANDINGS)));
      }))
      : h("p", {}, none));
  fill(root, heading(t("coordinator.intensity_title", { week: data.week })),
    weekNav(data.week, go),
    h("p", {}, t("coordinator.within", { count: data.within })),
    part("under-h", t("coordinator.under"), data.under, t("coordinator.under_none")),
    part("over-h", t("coordinator.over"), data.over, t("coordinator.over_none")));
}

// --- Eligibility -------------------------------------------------------------------------------

async function eligibilityPage(root, ctx) {
  const s = state(ctx);
  const participants = await everyone(ctx, "participant");
  const area = h("div", {});
  const chooser = field({ label: t("coordinator.participant"), name: "participant", type: "select", value: s.eligibilityFor,
    options: options(participants, { blank: t("coordinator.choose") }) });
  const select = chooser.querySelector("select");
  fill(root, heading(t("coordinator.eligibility_title")), h("div", { class: "card" }, chooser), area);
  const show = () => {
    s.eligibilityFor = select.value;
    if (!select.value) { fill(area); return Promise.resolve(); }
    const wanted = select.value;
    return coverage(area, ctx, wanted, () => select.value === wanted).catch((err) => fill(area, alertText(problemText(err))));
  };
  select.addEventListener("change", show);
  await show();
}

/** A participant's plans, a check per plan, and each plan's latest result; `current()` says
 * whether this participant is still the one chosen (a newer choice draws instead). */
async function coverage(area, ctx, participantId, current) {
  const id = encodeURIComponent(participantId);
  const [{ data: plans }, { data: results }] = await Promise.all([
    ctx.api("GET", `/participants/${id}/plans`),
    ctx.api("GET", `/participants/${id}/eligibility`),
  ]);
  if (!current()) return;
  const out = h("div", { "aria-live": "polite" });
  const latest = new Map(results.items.map((r) => [r.plan_id, r]));

  async function check(plan, button) {
    button.disabled = true;
    fill(out, h("p", {}, t("coordinator.checking", { payer: plan.payer_name })));
    try {
      const { data } = await ctx.api("POST", `/participants/${id}/plans/${encodeURIComponent(plan.plan_id)}/eligibility-checks`, { idempotent: true });
      await coverage(area, ctx, participantId, current);
      announce(t("coordinator.checked", { payer: data.payer_name, message: data.message }));
      area.querySelector(`#result-${CSS.escape(data.plan_id)}`)?.focus();
    } catch (err) {
      button.disabled = false;
      fill(out, alertText(problemText(err)));
    }
  }

  fill(area,
    h("section", { class: "card", "aria-labelledby": "plans-h" },
      h("h2", { id: "plans-h" }, t("coordinator.plans")),
      plans.items.length
        ? table(null, [t("coordinator.payer"), t("coordinator.plan_type"), t("coordinator.member_id"), t("coordinator.plan_status"),
          t("coordinator.effective"), t("coordinator.actions")],
        plans.items.map((plan) => h("tr", {},
          h("th", { scope: "row" }, plan.payer_name),
          h("td", {}, plan.plan_type),
          h("td", {}, plan.member_id_last4 ? `…${plan.member_id_last4}` : t("common.none")),
          h("td", {}, t(`coordinator.plan_status_${plan.status}`)),
          h("td", {}, dateRange(plan.effective_from, plan.effective_to)),
          h("td", {}, plan.plan_type === "SELF_PAY" ? t("coordinator.self_pay") : h("button", {
            type: "button", class: "primary", "aria-label": t("coordinator.check_named", { payer: plan.payer_name }),
            onclick: (e) => check(plan, e.target),
          }, t("coordinator.check"))))))
        : h("p", {}, t("coordinator.plans_none")),
      out),
    plans.items.filter((p) => latest.has(p.plan_id)).map((p) => eligibilityResult(latest.get(p.plan_id), ctx.me.time_zone)));
}

function eligibilityResult(r, zone) {
  return h("section", { class: "card", "aria-labelledby": `result-${r.plan_id}` },
    h("h2", { id: `result-${r.plan_id}`, tabindex: "-1" }, t("coordinator.result_title", { payer: r.payer_name })),
    h("p", {}, h("span", { class: "badge" }, label("coverage", r.status, COVERAGE)), " ", r.message),
    r.stale ? h("p", { class: "notice" }, h("strong", {}, t("coordinator.stale")), r.stale_reason ? ` ${r.stale_reason}` : "") : null,
    h("dl", { class: "facts" },
      h("dt", {}, t("coordinator.checked_at")), h("dd", {}, dateTime(r.checked_at, zone)),
      h("dt", {}, t("coordinator.plan_dates")), h("dd", {}, dateRange(r.plan_begin, r.plan_end)),
      r.plan_description ? [h("dt", {}, t("coordinator.plan_description")), h("dd", {}, r.plan_description)] : null,
      r.insurance_type_name ? [h("dt", {}, t("coordinator.insurance_type")), h("dd", {}, r.insurance_type_name)] : null,
      (r.active_service_types || []).length
        ? [h("dt", {}, t("coordinator.active_services")), h("dd", {}, r.active_service_types.map((x) => x.name || x.code).join(", "))] : null),
    (r.benefits || []).length ? benefitsTable(r.benefits) : null,
    (r.payer_messages || []).length ? [h("h3", {}, t("coordinator.payer_messages")), h("ul", {}, r.payer_messages.map((m) => h("li", {}, m)))] : null,
    (r.rejections || []).length ? [h("h3", {}, t("coordinator.rejections")),
      table(null, [t("coordinator.rejection_code"), t("coordinator.rejection_reason"), t("coordinator.rejection_next"), t("coordinator.rejection_retry")],
        r.rejections.map((x) => h("tr", {},
          h("th", { scope: "row" }, x.code),
          h("td", {}, x.reason),
          h("td", {}, x.follow_up_action || t("common.none")),
          h("td", {}, x.retryable ? t("common.yes") : t("common.no")))))] : null);
}

function benefitsTable(benefits) {
  const accumulator = (a) => (a?.individual_total_cents === null || a?.individual_total_cents === undefined
    ? t("coordinator.not_said")
    : t("coordinator.remaining_of", { remaining: cents(a.individual_remaining_cents) ?? t("coordinator.not_said"), total: cents(a.individual_total_cents) }));
  const share = (c) => (c ? [
    c.not_covered ? t("coordinator.not_covered") : null,
    c.copay_cents !== null && c.copay_cents !== undefined ? t("coordinator.copay", { amount: cents(c.copay_cents) }) : null,
    c.coinsurance_rate ? t("coordinator.coinsurance", { rate: percent(c.coinsurance_rate) }) : null,
    c.prior_auth_required ? t("coordinator.prior_auth") : null,
  ].filter(Boolean).join("; ") || t("coordinator.not_said") : t("coordinator.not_said"));
  const rows = [];
  for (const b of benefits) {
    for (const [network, c] of [["in_network", b.in_network], ["out_of_network", b.out_of_network]]) {
      if (!c) continue;
      rows.push(h("tr", {},
        h("th", { scope: "row" }, `${label("category", b.category, BENEFIT_CATEGORIES)}, ${t(`coordinator.${network}`)}`),
        h("td", {}, share(c)),
        h("td", {}, accumulator(c.deductible)),
        h("td", {}, accumulator(c.out_of_pocket))));
    }
  }
  return table(t("coordinator.benefits_caption"),
    [t("coordinator.benefit"), t("coordinator.cost_share"), t("coordinator.deductible"), t("coordinator.out_of_pocket")], rows);
}

// --- Notification failures ---------------------------------------------------------------------

async function failuresPage(root, ctx, month = undefined) {
  const s = state(ctx);
  if (month !== undefined) s.month = month;
  const { data } = await ctx.api("GET", "/notifications/failures", { query: { month: s.month } });
  const dir = directory(ctx);
  const zone = ctx.me.time_zone;
  let items = data.items;
  let cursor = data.next_cursor;
  const body = h("tbody", {});
  const listArea = h("div", {});
  const go = (m) => failuresPage(root, ctx, m).then(() => root.querySelector("h1").focus())
    .catch((err) => fill(root, alertText(problemText(err))));

  async function draw() {
    await dir.load(items.map((f) => f.person_id));
    fill(body, items.map((f) => h("tr", {},
      h("td", {}, dateTime(f.failed_at, zone)),
      h("th", { scope: "row" }, dir.name(f.person_id)),
      h("td", {}, f.kind ? label("message", f.kind, MESSAGE_KINDS) : t("common.none")),
      h("td", {}, t(`coordinator.channel_${f.channel}`)),
      h("td", {}, f.reason),
      h("td", { class: "num" }, String(f.attempts)))));
    const more = cursor ? moreButton(async () => {
      const { data: next } = await ctx.api("GET", "/notifications/failures", { query: { month: data.month, cursor } });
      items = [...items, ...next.items];
      cursor = next.next_cursor;
      await draw();
      return items.length;
    }, listArea) : null;
    fill(listArea, items.length
      ? [h("table", {}, h("caption", {}, t("coordinator.failures_caption", { zone })),
        h("thead", {}, h("tr", {}, [t("coordinator.failed_at"), t("coordinator.person"), t("coordinator.message_kind"),
          t("coordinator.channel"), t("coordinator.reason"), t("coordinator.attempts")]
          .map((text, i) => h("th", { scope: "col", class: i === 5 ? "num" : null }, text)))),
        body), more ? h("div", { class: "actions" }, more) : null]
      : h("p", {}, t("coordinator.failures_none")));
  }

  await draw();
  const title = t("coordinator.failures_title", { month: monthText(data.month) });
  fill(root, heading(title),
    h("div", { class: "week-nav", role: "group", "aria-label": t("coordinator.month_of", { month: monthText(data.month) }) },
      h("button", { type: "button", onclick: () => go(shiftMonth(data.month, -1)) }, t("coordinator.previous_month")),
      h("button", { type: "button", onclick: () => go(null) }, t("coordinator.this_month")),
      h("button", { type: "button", onclick: () => go(shiftMonth(data.month, 1)) }, t("coordinator.next_month"))),
    h("section", { class: "card", "aria-label": title }, listArea));
}

export const pages = [
  { id: "people", label: "coordinator.nav_people", render: peoplePage },
  { id: "couples", label: "coordinator.nav_couples", render: couplesPage },
  { id: "intensity", label: "coordinator.nav_intensity", render: (root, ctx) => intensityPage(root, ctx) },
  { id: "eligibility", label: "coordinator.nav_eligibility", render: eligibilityPage },
  { id: "failures", label: "coordinator.nav_failures", render: (root, ctx) => failuresPage(root, ctx) },
];
