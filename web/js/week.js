// ISO weeks ("2026-W49") and a week's schedule as a list of days, shared by the pages.

import { h } from "./dom.js";
import { day, t, time } from "./i18n.js";

/** The Monday (UTC date) of an ISO week. */
export function mondayOf(week) {
  const [, year, num] = week.match(/^(\d{4})-W(\d{2})$/).map(Number);
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const monday1 = new Date(jan4);
  monday1.setUTCDate(jan4.getUTCDate() - ((jan4.getUTCDay() + 6) % 7));
  monday1.setUTCDate(monday1.getUTCDate() + 7 * (num - 1));
  return monday1;
}

/** The ISO week of a UTC date. */
export function isoWeek(date) {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const dow = (d.getUTCDay() + 6) % 7; // Monday 0
  d.setUTCDate(d.getUTCDate() - dow + 3); // the week's Thursday decides its year
  const year = d.getUTCFullYear();
  const num = Math.ceil(((d - Date.UTC(year, 0, 1)) / 86400000 + 1) / 7);
  return `${year}-W${String(num).padStart(2, "0")}`;
}

export function shiftWeek(week, by) {
  const monday = mondayOf(week);
  monday.setUTCDate(monday.getUTCDate() + 7 * by);
  return isoWeek(monday);
}

/** Previous / this / next week buttons; `onWeek(week | null)` (null: this week). */
export function weekNav(week, onWeek) {
  return h("div", { class: "week-nav", role: "group", "aria-label": t("common.week_of", { week }) },
    h("button", { type: "button", onclick: () => onWeek(shiftWeek(week, -1)) }, t("common.previous_week")),
    h("button", { type: "button", onclick: () => onWeek(null) }, t("common.this_week")),
    h("button", { type: "button", onclick: () => onWeek(shiftWeek(week, 1)) }, t("common.next_week")));
}

/** A schedule's entries grouped by day in `zone`; `render(entry)` gives each entry's line. */
export function days(entries, zone, render) {
  const byDay = new Map();
  for (const entry of [...entries].sort((a, b) => a.start.localeCompare(b.start))) {
    const key = day(entry.start, zone);
    if (!byDay.has(key)) byDay.set(key, []);
    byDay.get(key).push(entry);
  }
  return [...byDay.entries()].map(([label, items]) => h("section", { class: "card day" },
    h("h2", {}, label),
    h("ul", { class: "plain" }, items.map((entry) => h("li", { class: "entry" },
      h("span", { class: "when" }, `${time(entry.start, zone)} – ${time(entry.end, zone)}`),
      render(entry))))));
}

/** A session or group type's name ("individual" -> "Individual therapy"). */
export function typeLabel(type) {
  return type ? t(`participant.type_${type}`) : t("participant.type_busy");
}

/** Whether a session's video room is open at `now`: from `opensMinutes` before its start until its end. */
export function roomOpen(start, end, opensMinutes, now = Date.now()) {
  return now >= Date.parse(start) - opensMinutes * 60000 && now < Date.parse(end);
}

/** Whether a session has begun at `now` (its attendance can be taken from then on). */
export function begun(start, now = Date.now()) {
  return now >= Date.parse(start);
}
