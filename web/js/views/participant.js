// A participant's pages: my week, makeups, my costs, and settings (notifications, SMS consent,
// calendar link).

import { announce, fill, field, h, showFieldErrors } from "../dom.js";
import { dateTime, money, t } from "../i18n.js";
import { days, roomOpen as opensAt, typeLabel, weekNav } from "../week.js";
import { twoStepCard } from "./security.js";

const REFRESH_JOIN_MS = 30000;

/** The week's schedule with Join (when the room is open) and Cancel. */
async function weekPage(root, ctx, week = null) {
  const { data } = await ctx.api("GET", "/me/schedule", { query: { week } });
  const zone = data.time_zone;
  const opensMinutes = ctx.config.room_opens_minutes ?? 15;
  const joinArea = h("div", { "aria-live": "polite" });
  const cancelArea = h("div", {});
  const list = data.items.length
    ? days(data.items, zone, (entry) => entryLine(entry))
    : [h("p", { class: "card" }, t("participant.week_empty"))];
  fill(root,
    h("h1", { tabindex: "-1" }, t("participant.week_title", { week: data.week })),
    h("p", { class: "muted" }, t("participant.times_in_zone", { zone })),
    weekNav(data.week, (w) => weekPage(root, ctx, w).catch((err) => failed(root, err))),
    data.redisclosure_notice ? notice(data.redisclosure_notice) : null,
    joinArea, cancelArea, list);
  const timer = setInterval(() => {
    if (!root.isConnected || !root.contains(joinArea)) { clearInterval(timer); return; }
    for (const button of root.querySelectorAll("button[data-opens]")) button.hidden = !roomOpen(button.dataset.opens, button.dataset.ends);
  }, REFRESH_JOIN_MS);

  function roomOpen(start, end) {
    return opensAt(start, end, opensMinutes);
  }

  function entryLine(entry) {
    if (entry.visibility === "busy") return h("span", {}, t("participant.type_busy"));
    const parts = [h("span", { class: "what" }, typeLabel(entry.type))];
    if (entry.status !== "booked") parts.push(h("span", { class: "badge" }, t(`participant.status_${entry.status}`)));
    if (entry.private) parts.push(h("span", { class: "badge" }, t("participant.private")));
    if (entry.status === "booked" && entry.session_id && !entry.group_id) {
      // Sessions have video rooms (GET /sessions/{id}/join); group occurrences do not yet.
      parts.push(h("button", {
        type: "button", class: "primary", hidden: !roomOpen(entry.start, entry.end),
        "aria-label": t("participant.join_named", { type: typeLabel(entry.type) }),
        dataset: { opens: entry.start, ends: entry.end },
        onclick: () => join(entry),
      }, t("participant.join")));
      if (Date.parse(entry.start) > Date.now()) {
        parts.push(h("button", {
          type: "button", class: "danger", onclick: () => askCancel(entry),
          "aria-label": t("participant.cancel_named", { type: typeLabel(entry.type), when: dateTime(entry.start, zone) }),
        }, t("participant.cancel_session")));
      }
    }
    return parts;
  }

  async function join(entry) {
    try {
      const { data: room } = await ctx.api("GET", `/sessions/${encodeURIComponent(entry.session_id)}/join`);
      fill(joinArea, h("div", { class: "notice" },
        h("p", {}, t("participant.room_ready", { type: typeLabel(entry.type) })),
        h("p", { class: "muted" }, t("participant.room_until", { end: dateTime(room.closes_at, zone) }))));
    } catch (err) {
      fill(joinArea, h("p", { role: "alert", class: "form-error" }, problemText(err)));
    }
  }

  function askCancel(entry) {
    const reason = field({ label: t("participant.cancel_reason"), name: "reason", attrs: { maxlength: 200 } });
    const yes = h("button", { type: "button", class: "danger" }, t("participant.cancel_confirm"));
    const no = h("button", { type: "button" }, t("participant.cancel_keep"));
    const box = h("div", { class: "card", role: "group", "aria-labelledby": "cancel-q" },
      h("h2", { id: "cancel-q", tabindex: "-1" }, t("participant.cancel_question", { when: dateTime(entry.start, zone), type: typeLabel(entry.type) })),
      h("p", {}, t("participant.cancel_policy", { hours: ctx.config.cancel_cutoff_hours ?? 24 })), reason, h("div", { class: "actions" }, yes, no));
    fill(cancelArea, box);
    box.querySelector("h2").focus();
    no.addEventListener("click", () => fill(cancelArea));
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        const id = encodeURIComponent(entry.session_id);
        const { etag } = await ctx.api("GET", `/sessions/${id}`);
        const text = box.querySelector("input[name=reason]").value.trim();
        const { data: done } = await ctx.api("POST", `/sessions/${id}/cancel`, { ifMatch: etag, body: text ? { reason: text } : {} });
        announce(done.late_cancel ? t("participant.cancelled_late") : t("participant.cancelled"));
        await weekPage(root, ctx, data.week);
      } catch (err) {
        yes.disabled = false;
        box.append(h("p", { role: "alert", class: "form-error" }, problemText(err)));
      }
    });
  }
}

/** Makeup offers for missed sessions; accepting one books it (or nothing, if it was taken). */
async function makeupsPage(root, ctx) {
  const { data } = await ctx.api("GET", "/me/makeups");
  const zone = ctx.me.time_zone;
  const offers = data.items;
  fill(root, h("h1", { tabindex: "-1" }, t("participant.makeups_title")),
    offers.length ? null : h("p", { class: "card" }, t("participant.makeups_none")),
    offers.map((offer, n) => h("section", { class: "card", "aria-labelledby": `offer-${n}` },
      h("h2", { id: `offer-${n}` }, t("participant.makeup_for", { type: typeLabel(offer.missed_type), week: offer.week })),
      h("p", {}, h("span", { class: "badge" }, t(`participant.offer_${offer.status}`))),
      offer.status === "open"
        ? h("ul", { class: "plain" }, offer.options.map((option, index) => h("li", { class: "entry" },
          h("span", {}, optionText(option, zone)),
          // A time can be taken up here; an untimed check-in is arranged by the team.
          option.start
            ? h("button", {
              type: "button", class: "primary", onclick: (e) => accept(offer, index, e.target),
              "aria-label": t("participant.makeup_accept_named", { option: optionText(option, zone) }),
            }, t("participant.makeup_accept"))
            : h("span", { class: "muted" }, t("participant.makeup_team_arranges")))))
        : null)));

  async function accept(offer, index, button) {
    button.disabled = true;
    try {
      await ctx.api("POST", `/me/makeups/${encodeURIComponent(offer.missed_session_id)}/accept`, { body: { option: index } });
      announce(t("participant.makeup_booked"));
      await makeupsPage(root, ctx);
    } catch (err) {
      button.disabled = false;
      button.after(h("p", { role: "alert", class: "form-error" }, problemText(err)));
    }
  }
}

function optionText(option, zone) {
  const kind = t(`participant.makeup_kind_${option.kind}`);
  return option.start ? `${kind}: ${dateTime(option.start, zone)}` : kind;
}

/** The week's estimate, every dollar with its reason, and the coverage summary. */
async function costsPage(root, ctx, week = null) {
  const me = encodeURIComponent(ctx.me.person_id);
  const [{ data: estimate }, { data: summary }] = await Promise.all([
    ctx.api("GET", `/participants/${me}/estimates/week`, { query: { week } }),
    ctx.api("GET", `/participants/${me}/coverage-summary`),
  ]);
  fill(root,
    h("h1", { tabindex: "-1" }, t("participant.costs_title", { week: estimate.week })),
    weekNav(estimate.week, (w) => costsPage(root, ctx, w).catch((err) => failed(root, err))),
    estimate.redisclosure_notice ? notice(estimate.redisclosure_notice) : null,
    h("section", { class: "card" },
      h("h2", {}, t("participant.costs_total")),
      h("p", { class: "total" }, t("participant.you_pay_total", { amount: money(estimate.totals.you_pay) })),
      h("p", { class: "muted" }, t("participant.basis_" + estimate.basis)),
      estimate.lines.length ? linesTable(estimate) : h("p", {}, t("participant.costs_none")),
      estimate.notes.length ? h("ul", {}, estimate.notes.map((n) => h("li", {}, n))) : null),
    h("section", { class: "card" },
      h("h2", {}, t("participant.coverage_title")),
      h("table", {}, h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, t("participant.coverage_category")),
        h("th", { scope: "col" }, t("participant.coverage_status")),
        h("th", { scope: "col" }, t("participant.coverage_share")))),
      h("tbody", {}, summary.categories.map((c) => h("tr", {},
        h("th", { scope: "row" }, c.label),
        h("td", {}, t(`participant.coverage_${c.status}`)),
        h("td", {}, c.your_share)))))));
}

function linesTable(estimate) {
  return h("table", {},
    h("caption", { class: "muted" }, t("participant.costs_caption")),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("participant.line_day")),
      h("th", { scope: "col" }, t("participant.line_service")),
      h("th", { scope: "col", class: "num" }, t("participant.line_charge")),
      h("th", { scope: "col", class: "num" }, t("participant.line_plan_pays")),
      h("th", { scope: "col", class: "num" }, t("participant.line_you_pay")),
      h("th", { scope: "col" }, t("participant.line_why")))),
    h("tbody", {}, estimate.lines.map((line) => h("tr", {},
      h("td", {}, line.day),
      h("td", {}, line.restricted ? t("participant.restricted_service") : (line.sources || []).map((s) => typeLabel(s.type)).join(", ") || line.code || ""),
      h("td", { class: "num" }, money(line.charge)),
      h("td", { class: "num" }, money(line.plan_pays)),
      h("td", { class: "num" }, money(line.you_pay)),
      h("td", {}, h("ul", { class: "plain" }, line.parts.map((part) => h("li", {}, `${money(part.amount)}: ${part.reason}`)),
        line.note ? h("li", {}, line.note) : null))))),
    h("tfoot", {}, h("tr", {},
      h("th", { scope: "row", colspan: 2 }, t("participant.costs_total")),
      h("td", { class: "num" }, money(estimate.totals.charge)),
      h("td", { class: "num" }, money(estimate.totals.plan_pays)),
      h("td", { class: "num" }, money(estimate.totals.you_pay)),
      h("td", {}))));
}

/** Notification preferences, SMS consent and the calendar link. */
async function settingsPage(root, ctx) {
  const { data: prefs, etag } = await ctx.api("GET", "/me/notification-preferences");
  const form = h("form", { class: "card" },
    h("h2", {}, t("participant.notifications_title")),
    h("p", { class: "muted" }, t("participant.contact_on_file", { email: prefs.email || t("common.none"), mobile: prefs.mobile_phone || t("common.none") })),
    field({ label: t("participant.email_enabled"), name: "email_enabled", type: "checkbox", value: prefs.email_enabled }),
    field({ label: t("participant.sms_enabled"), name: "sms_enabled", type: "checkbox", value: prefs.sms_enabled }),
    field({ label: t("participant.sms_consent"), name: "sms_consent", type: "checkbox", value: Boolean(prefs.sms_consent?.active), hint: t("participant.sms_consent_hint"), attrs: { disabled: !prefs.mobile_phone } }),
    field({ label: t("participant.quiet_start"), name: "quiet_hours_start", type: "time", value: prefs.quiet_hours_start.slice(0, 5), required: true }),
    field({ label: t("participant.quiet_end"), name: "quiet_hours_end", type: "time", value: prefs.quiet_hours_end.slice(0, 5), required: true }),
    field({ label: t("participant.reminder_minutes"), name: "reminder_offsets_minutes", value: prefs.reminder_offsets_minutes.join(", "), hint: t("participant.reminder_hint") }),
    field({ label: t("participant.message_language"), name: "language", type: "select", value: prefs.language, options: [["en", "English"], ["es", "Español"]] }),
    h("p", { class: "form-error", role: "alert", hidden: true }),
    h("button", { type: "submit", class: "primary" }, t("common.save")));
  let version = etag;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const el = form.elements;
    const body = {
      email_enabled: el.email_enabled.checked,
      sms_enabled: el.sms_enabled.checked,
      quiet_hours_start: el.quiet_hours_start.value,
      quiet_hours_end: el.quiet_hours_end.value,
      reminder_offsets_minutes: el.reminder_offsets_minutes.value.split(/[,\s]+/).filter(Boolean).map(Number),
      language: el.language.value,
      channels: prefs.channels,
    };
    if (prefs.mobile_phone && el.sms_consent.checked !== Boolean(prefs.sms_consent?.active)) body.sms_consent = el.sms_consent.checked;
    const error = form.querySelector(".form-error");
    error.hidden = true;
    try {
      const saved = await ctx.api("PUT", "/me/notification-preferences", { ifMatch: version, body });
      version = saved.etag;
      Object.assign(prefs, saved.data);
      showFieldErrors(form, null);
      announce(t("common.saved"));
    } catch (err) {
      showFieldErrors(form, err.problem);
      error.textContent = problemText(err);
      error.hidden = false;
    }
  });

  const feedOut = h("div", { "aria-live": "polite" });
  const feed = h("section", { class: "card" },
    h("h2", {}, t("participant.calendar_title")),
    h("p", {}, t("participant.calendar_intro")),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", onclick: createFeed }, t("participant.calendar_create")),
      h("button", { type: "button", class: "danger", onclick: revokeFeed }, t("participant.calendar_revoke"))),
    feedOut);

  async function createFeed() {
    try {
      const { data } = await ctx.api("POST", "/me/calendar-feed");
      const input = h("input", { type: "text", readonly: true, value: data.url, id: "feed-url", "aria-label": t("participant.calendar_link") });
      const copy = h("button", { type: "button", onclick: async () => {
        try { await navigator.clipboard.writeText(data.url); announce(t("participant.calendar_copied")); } catch { input.select(); }
      } }, t("participant.calendar_copy"));
      fill(feedOut, h("label", { for: "feed-url" }, t("participant.calendar_link")), input, h("div", { class: "actions" }, copy),
        h("p", { class: "muted" }, t("participant.calendar_private")));
    } catch (err) {
      fill(feedOut, h("p", { role: "alert", class: "form-error" }, problemText(err)));
    }
  }

  async function revokeFeed() {
    try {
      await ctx.api("DELETE", "/me/calendar-feed");
      fill(feedOut, h("p", {}, t("participant.calendar_revoked")));
    } catch (err) {
      fill(feedOut, h("p", { role: "alert", class: "form-error" }, problemText(err)));
    }
  }

  fill(root, h("h1", { tabindex: "-1" }, t("participant.settings_title")), form, feed, await twoStepCard(ctx));
}

function notice(text) {
  return h("aside", { class: "notice", "aria-label": t("common.notice") }, text);
}

export function problemText(err) {
  const problem = err?.problem || {};
  const fields = (problem.errors || []).map((e) => `${e.field.replace(/^body\./, "")}: ${e.message}`);
  return [problem.detail || problem.title || t("common.err_try_again"), ...fields].join(" ");
}

function failed(root, err) {
  fill(root, h("p", { role: "alert", class: "form-error" }, problemText(err)));
}

export const pages = [
  { id: "week", label: "participant.nav_week", render: (root, ctx) => weekPage(root, ctx) },
  { id: "makeups", label: "participant.nav_makeups", render: makeupsPage },
  { id: "costs", label: "participant.nav_costs", render: (root, ctx) => costsPage(root, ctx) },
  { id: "settings", label: "participant.nav_settings", render: settingsPage },
];
