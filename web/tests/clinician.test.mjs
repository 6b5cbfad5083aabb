// When a clinician's week offers Join and attendance (web/js/week.js), run by node's test runner
// (tests/unit/test_web_js.py runs this file).
import assert from "node:assert/strict";
import { test } from "node:test";

import { begun, roomOpen } from "../js/week.js";

const START = "2026-11-17T10:00:00-06:00";
const END = "2026-11-17T10:50:00-06:00";
const at = (iso) => Date.parse(iso);

test("the room opens the set minutes before the start and closes at the end", () => {
  assert.equal(roomOpen(START, END, 15, at("2026-11-17T09:44:59-06:00")), false);
  assert.equal(roomOpen(START, END, 15, at("2026-11-17T09:45:00-06:00")), true);
  assert.equal(roomOpen(START, END, 15, at("2026-11-17T10:49:59-06:00")), true);
  assert.equal(roomOpen(START, END, 15, at("2026-11-17T10:50:00-06:00")), false);
  assert.equal(roomOpen(START, END, 0, at("2026-11-17T09:59:59-06:00")), false);
});

test("attendance opens when the session begins, whatever the offsets say", () => {
  assert.equal(begun(START, at("2026-11-17T15:59:59Z")), false);
  assert.equal(begun(START, at("2026-11-17T16:00:00Z")), true);
});
