// ISO-week arithmetic of the web app (web/js/week.js), run by node's test runner
// (tests/unit/test_web_js.py runs this file).
import assert from "node:assert/strict";
import { test } from "node:test";

import { isoWeek, mondayOf, shiftWeek } from "../js/week.js";

test("the Monday of an ISO week", () => {
  assert.equal(mondayOf("2026-W50").toISOString().slice(0, 10), "2026-12-07");
  assert.equal(mondayOf("2026-W01").toISOString().slice(0, 10), "2025-12-29");
  assert.equal(mondayOf("2026-W53").toISOString().slice(0, 10), "2026-12-28");
  assert.equal(mondayOf("2021-W01").toISOString().slice(0, 10), "2021-01-04");
});

test("the ISO week of a date, across year ends", () => {
  assert.equal(isoWeek(new Date(Date.UTC(2026, 11, 31))), "2026-W53");
  assert.equal(isoWeek(new Date(Date.UTC(2027, 0, 3))), "2026-W53");
  assert.equal(isoWeek(new Date(Date.UTC(2027, 0, 4))), "2027-W01");
  assert.equal(isoWeek(new Date(Date.UTC(2024, 11, 30))), "2025-W01");
  assert.equal(isoWeek(new Date(Date.UTC(2021, 0, 3))), "2020-W53");
});

test("moving by weeks crosses 53-week years", () => {
  assert.equal(shiftWeek("2026-W52", 1), "2026-W53");
  assert.equal(shiftWeek("2026-W53", 1), "2027-W01");
  assert.equal(shiftWeek("2027-W01", -1), "2026-W53");
  assert.equal(shiftWeek("2025-W52", 1), "2026-W01");
  assert.equal(shiftWeek("2026-W50", -50), "2025-W52");
});
