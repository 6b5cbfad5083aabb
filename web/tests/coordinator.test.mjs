// The coordinator's pages (web/js/views/coordinator.js): their pure helpers, and every string
// they show present in English and Spanish (tests/unit/test_web_js.py runs this file).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  ACCOUNT_STATUSES, BENEFIT_CATEGORIES, COVERAGE, KINDS, MESSAGE_KINDS, REQUIREMENTS, ROLES, STANDINGS, STATES, ZONES,
  adjustedWeeks, cents, forForm, shiftMonth,
} from "../js/views/coordinator.js";

const source = readFileSync(new URL("../js/views/coordinator.js", import.meta.url), "utf8");
const strings = (lang) => JSON.parse(readFileSync(new URL(`../i18n/${lang}/coordinator.json`, import.meta.url), "utf8"));

test("whole cents read as dollars", () => {
  assert.equal(cents(150000), "$1,500.00");
  assert.equal(cents(3005), "$30.05");
  assert.equal(cents(7), "$0.07");
  assert.equal(cents(0), "$0.00");
  assert.equal(cents(null), null);
});

test("months move across year ends", () => {
  assert.equal(shiftMonth("2026-12", 1), "2027-01");
  assert.equal(shiftMonth("2027-01", -1), "2026-12");
  assert.equal(shiftMonth("2026-03", -14), "2025-01");
  assert.equal(shiftMonth("2026-06", 0), "2026-06");
});

test("a problem naming a list item names the list, and a pattern failure says what format", () => {
  const problem = {
    title: "Unprocessable Content",
    errors: [
      { field: "body.licensed_states.0", message: "Value error, not a US state or territory code" },
      { field: "body.email", message: "String should match pattern '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'" },
      { field: "body.phone", message: "String should match pattern '^\\+[1-9][0-9]{7,14}$'" },
      { field: "body.display_name", message: "String should match pattern 'x'" },
      { field: "body.treatment_plan.sessions_per_week_min", message: "Input should be greater than or equal to 1" },
    ],
  };
  const shown = forForm(problem);
  assert.deepEqual(shown.errors.map((e) => e.field), [
    "body.licensed_states", "body.email", "body.phone", "body.display_name", "body.treatment_plan.sessions_per_week_min"]);
  // t() without loaded strings answers with the key: the words each field gets
  assert.deepEqual(shown.errors.map((e) => e.message), [
    "Value error, not a US state or territory code", "coordinator.err_email", "coordinator.err_phone", "coordinator.err_format",
    "Input should be greater than or equal to 1"]);
  assert.equal(shown.title, "Unprocessable Content");
  assert.deepEqual(forForm(undefined).errors, []);
});

test("leaving proposed items out lowers the weeks of the partners who attend them", () => {
  const plan = { sessions_per_week_min: 3, sessions_per_week_max: 5, hours_per_week_min: 9, hours_per_week_max: 12 };
  const partners = [
    { participant_id: "per_a", sessions: 5, hours: 9, plan },
    { participant_id: "per_b", sessions: 4, hours: 8, plan },
  ];
  const adjusted = adjustedWeeks(partners, [
    { attendee_ids: ["per_a", "per_b"], sessions: 1, hours: 1 }, // the couples session
    { attendee_ids: ["per_a"], sessions: 2, hours: 2.5 }, // two group meetings
  ]);
  assert.deepEqual(adjusted.map((p) => [p.participant_id, p.sessions, p.hours]), [["per_a", 2, 5.5], ["per_b", 3, 7]]);
  assert.equal(adjusted[0].plan, plan);
  assert.deepEqual(adjustedWeeks(partners, []), partners);
});

test("every string the pages show is there in English and in Spanish, with the same placeholders", () => {
  const en = strings("en");
  const es = strings("es");
  assert.deepEqual(Object.keys(es).sort(), Object.keys(en).sort());
  const used = new Set([...source.matchAll(/"coordinator\.([a-z0-9_]+)"/g)].map((m) => m[1]));
  const vocab = (prefix, values) => values.map((v) => `${prefix}_${v}`);
  for (const key of [
    ...used,
    ...vocab("kind", KINDS), ...vocab("kinds", KINDS), ...vocab("role", ROLES), ...vocab("account", ACCOUNT_STATUSES),
    ...vocab("state", STATES), ...vocab("zone", ZONES), ...vocab("requirement", REQUIREMENTS),
    ...vocab("message", MESSAGE_KINDS), ...vocab("standing", STANDINGS), ...vocab("coverage", COVERAGE),
    ...vocab("category", BENEFIT_CATEGORIES), ...vocab("channel", ["email", "sms"]),
    ...vocab("plan_status", ["active", "inactive", "pending_verification"]), "in_network", "out_of_network",
  ]) {
    assert.ok(en[key], `English has no "${key}"`);
    assert.ok(es[key], `Spanish has no "${key}"`);
  }
  const holes = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of Object.keys(en)) assert.deepEqual(holes(es[key]), holes(en[key]), `placeholders of "${key}"`);
});
