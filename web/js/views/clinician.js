// A clinician's pages: my week (sessions and the groups they lead, with their people by name,
// Join when the room opens, attendance once a session has begun) and my caseload.

import { announce, fill, h, uid } from "../dom.js";
import { dateTime, t } from "../i18n.js";
import { begun, days, roomOpen, typeLabel, weekNav } from "../week.js";
import { problemText } from "./participant.js";

const REFRESH_MS = 30000;
const ATTENDANCE = ["attended", "no_show", "late_cancel", "excused"];
const MISSED = new Set(["no_show", "late_cancel"]);

/** Participant id -> name, from the clinician's caseload (the people whose names are theirs to see). */
async function caseloadNames(ctx) {
  const { data } = await ctx.api("GET", `/clinicians/${encodeURIComponent(ctx.me.person_id)}/caseload`);
  return { items: data.items, names: new Map(data.items.map((i) => [i.participant_id, i.display_name])) };
}

function nameOf(names, id) {
  return names.get(id) || t("clinician.not_on_caseload");
}

/** The week: every session and group occurrence in the clinician's own zone. */
async function weekPage(root, ctx, week = null) {
  const [{ data }, { names }] = await Promise.all([
    ctx.api("GET", "/me/schedule", { query: { week } }),
    caseloadNames(ctx),
  ]);
  const zone = data.time_zone;
  const opens = ctx.config.room_opens_minutes ?? 15;
  const joinArea = h("div", { "aria-live": "polite" });
  const workArea = h("div", {});
  fill(root,
    h("h1", { tabindex: "-1" }, t("clinician.week_title", { week: data.week })),
    h("p", { class: "muted" }, t("clinician.times_in_zone", { zone })),
    weekNav(data.week, (w) => weekPage(root, ctx, w).catch((err) => failed(root, err))),
    data.redisclosure_notice ? h("aside", { class: "notice", "aria-label": t("common.notice") }, data.redisclosure_notice) : null,
    joinArea, workArea,
    data.items.length ? days(data.items, zone, entryLine) : h("p", { class: "card" }, t("clinician.week_empty")));
  const timer = setInterval(() => {
    if (!root.contains(joinArea)) { clearInterval(timer); return; }
    for (const button of root.querySelectorAll("button[data-opens]")) button.hidden = !roomOpen(button.dataset.opens, button.dataset.ends, opens);
    for (const button of root.querySelectorAll("button[data-begins]")) button.hidden = !begun(button.dataset.begins);
  }, REFRESH_MS);

  function entryLine(entry) {
    if (entry.visibility === "busy") return h("span", {}, t("clinician.busy"));
    const what = typeLabel(entry.type);
    const parts = [h("span", { class: "what" }, what)];
    if (entry.status !== "booked") parts.push(h("span", { class: "badge" }, t(`participant.status_${entry.status}`)));
    if (entry.private) parts.push(h("span", { class: "badge" }, t("participant.private")));
    if (entry.group_id) parts.push(h("span", { class: "muted" }, t("clinician.group_you_lead")));
    else if (entry.attendee_ids.length) parts.push(h("span", { class: "people" }, entry.attendee_ids.map((id) => nameOf(names, id)).join(", ")));
    const when = dateTime(entry.start, zone);
    if (entry.status === "booked" && entry.session_id && !entry.group_id) {
      // Sessions have video rooms (GET /sessions/{id}/join); group occurrences do not yet.
      parts.push(h("button", {
        type: "button", class: "primary", hidden: !roomOpen(entry.start, entry.end, opens),
        "aria-label": t("clinician.join_named", { type: what, when }),
        dataset: { opens: entry.start, ends: entry.end },
        onclick: () => join(entry),
      }, t("clinician.join")));
    }
    if (entry.role === "clinician" && entry.status !== "cancelled" && entry.session_id) {
      parts.push(h("button", {
        type: "button", hidden: !begun(entry.start), dataset: { begins: entry.start },
        "aria-label": t("clinician.attendance_named", { type: what, when }),
        onclick: () => attendance(entry).catch((err) => fill(workArea, h("p", { role: "alert", class: "form-error" }, problemText(err)))),
      }, t("clinician.record_attendance")));
    }
    return parts;
  }

  async function join(entry) {
    try {
      const { data: room } = await ctx.api("GET", `/sessions/${encodeURIComponent(entry.session_id)}/join`);
      fill(joinArea, h("div", { class: "notice" },
        h("p", {}, t("clinician.room_ready", { type: typeLabel(entry.type) })),
        h("p", { class: "muted" }, t("clinician.room_until", { end: dateTime(room.closes_at, zone) }))));
    } catch (err) {
      fill(joinArea, h("p", { role: "alert", class: "form-error" }, problemText(err)));
    }
  }

  /** The attendance form: a session's attendees, or who was enrolled in the group then. */
  async function attendance(entry) {
    const group = entry.group_id ? await groupTarget(entry) : null;
    const target = group || await sessionTarget(entry);
    const title = t("clinician.attendance_title", { type: typeLabel(entry.type), when: dateTime(entry.start, zone) });
    const heading = h("h2", { id: uid("attendance"), tabindex: "-1" }, title);
    if (!target.people.length) {
      fill(workArea, h("section", { class: "card work" }, heading, h("p", {}, t("clinician.attendance_nobody"))));
      heading.focus();
      return;
    }
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const submit = h("button", { type: "submit", class: "primary" }, t("clinician.attendance_save"));
    const form = h("form", { class: "card work", "aria-labelledby": heading.id }, heading,
      entry.status === "late_cancelled" ? h("p", {}, t("clinician.attendance_late_cancelled")) : null,
      target.people.map((person) => statusGroup(person, target.current[person.id], target.choices)),
      error,
      h("div", { class: "actions" }, submit,
        h("button", { type: "button", onclick: () => fill(workArea) }, t("common.cancel"))));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      submit.disabled = true;
      const records = target.people.map((person) => ({ person_id: person.id, status: form.elements[`att-${person.id}`].value }));
      try {
        const saved = await target.save(records);
        showResult(saved, target.people, title);
      } catch (err) {
        error.textContent = problemText(err);
        error.hidden = false;
        submit.disabled = false;
      }
    });
    fill(workArea, form);
    heading.focus();
  }

  async function sessionTarget(entry) {
    const id = encodeURIComponent(entry.session_id);
    const { data: session, etag } = await ctx.api("GET", `/sessions/${id}`);
    let version = etag;
    return {
      people: session.attendee_ids.map((pid) => ({ id: pid, name: nameOf(names, pid) })),
      current: session.attendance,
      choices: session.status === "late_cancelled" ? ["late_cancel"] : ATTENDANCE,
      save: async (records) => {
        const reply = await ctx.api("POST", `/sessions/${id}/attendance`, { ifMatch: version, body: { records } });
        version = reply.etag;
        return reply.data.attendance;
      },
    };
  }

  async function groupTarget(entry) {
    const groupId = encodeURIComponent(entry.group_id);
    const occurrence = entry.session_id.slice(entry.session_id.indexOf("@") + 1);
    if (!/^[0-9T:.Z-]+$/.test(occurrence)) throw new Error(`unexpected occurrence ${occurrence}`);
    const { data: roster } = await ctx.api("GET", `/groups/${groupId}/roster`);
    const began = Date.parse(entry.start);
    return {
      people: roster.enrolled.filter((m) => Date.parse(m.since) <= began)
        .map((m) => ({ id: m.participant_id, name: m.display_name || t("clinician.unnamed") })),
      current: {},
      choices: ATTENDANCE,
      save: async (records) => {
        // The instant as the API wrote it (UTC, "Z"): colons are plain path characters, sent as they are
        const path = `/groups/${groupId}/occurrences/${occurrence}/attendance`;
        return (await ctx.api("POST", path, { body: { records } })).data.attendance;
      },
    };
  }

  function showResult(attendance, people, title) {
    const heading = h("h2", { tabindex: "-1" }, t("clinician.attendance_saved"));
    fill(workArea, h("section", { class: "card work", "aria-live": "polite" }, heading,
      h("p", { class: "muted" }, title),
      h("ul", {}, people.map((person) => {
        const status = attendance[person.id];
        const said = t("clinician.attendance_line", { name: person.name, status: status ? t(`clinician.att_${status}`) : t("common.none") });
        return h("li", {}, said, MISSED.has(status) ? ` ${t("clinician.makeup_offered")}` : "");
      }))));
    announce(t("clinician.attendance_saved"));
    heading.focus();
  }
}

/** One attendee's status: a radio group with their name as its legend. */
function statusGroup(person, current, choices) {
  const name = `att-${person.id}`;
  return h("fieldset", { class: "field attendance" }, h("legend", {}, person.name),
    h("div", { class: "choices" }, choices.map((status, index) => {
      const id = uid("att");
      return h("div", { class: "field-check" },
        h("input", { type: "radio", id, name, value: status, required: index === 0, checked: current === status }),
        h("label", { for: id }, t(`clinician.att_${status}`)));
    })));
}

/** The participants the clinician treats, by name, with their positions on each team. */
async function caseloadPage(root, ctx) {
  const { items } = await caseloadNames(ctx);
  const sorted = [...items].sort((a, b) => (a.display_name || "").localeCompare(b.display_name || ""));
  fill(root, h("h1", { tabindex: "-1" }, t("clinician.caseload_title")),
    sorted.length
      ? h("table", {},
        h("caption", { class: "muted" }, t("clinician.caseload_caption", { count: sorted.length })),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, t("clinician.caseload_name")),
          h("th", { scope: "col" }, t("clinician.caseload_roles")))),
        h("tbody", {}, sorted.map((item) => h("tr", {},
          h("th", { scope: "row" }, item.display_name || t("clinician.unnamed")),
          h("td", {}, item.roles.map((role) => t(`clinician.role_${role}`)).join(", "))))))
      : h("p", { class: "card" }, t("clinician.caseload_empty")));
}

function failed(root, err) {
  fill(root, h("p", { role: "alert", class: "form-error" }, problemText(err)));
}

export const pages = [
  { id: "week", label: "clinician.nav_week", render: (root, ctx) => weekPage(root, ctx) },
  { id: "caseload", label: "clinician.nav_caseload", render: caseloadPage },
];
