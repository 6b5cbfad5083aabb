// A small DOM builder. Text always goes in as text nodes (never innerHTML), so nothing a server
// or a person typed can become markup or script.

/** h("button", {type: "button", onclick: f, class: "x"}, "text", child...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      el.className = value;
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
/** A unique element id (for label/for, aria-describedby). */
export function uid(prefix = "f") {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled form field: {label, name, type, value, required, autocomplete, options, hint}. */
export function field({ label, name, type = "text", value = "", required = false, autocomplete, options, hint, attrs = {} }) {
  const id = uid(name);
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = `${id}-error`;
  let control;
  if (type === "select") {
    control = h("select", { id, name, required, "aria-describedby": hintId, ...attrs },
      (options || []).map(([v, text]) => h("option", { value: v, selected: String(v) === String(value) }, text)));
  } else if (type === "checkbox") {
    control = h("input", { id, name, type, checked: Boolean(value), "aria-describedby": hintId, ...attrs });
    return h("div", { class: "field field-check" }, control, h("label", { for: id }, label),
      hint ? h("p", { id: hintId, class: "hint" }, hint) : null,
      h("p", { id: errorId, class: "field-error", hidden: true }));
  } else {
    control = h("input", { id, name, type, value, required, autocomplete, "aria-describedby": hintId, ...attrs });
  }
  return h("div", { class: "field" }, h("label", { for: id }, label),
    hint ? h("p", { id: hintId, class: "hint" }, hint) : null, control,
    h("p", { id: errorId, class: "field-error", hidden: true }));
}

/** Mark fields a problem response names (`errors[].field`, e.g. `body.email`) as invalid, with the message. */
export function showFieldErrors(form, problem) {
  for (const el of form.querySelectorAll(".field-error")) { el.hidden = true; el.textContent = ""; }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  let first = null;
  for (const err of problem?.errors || []) {
    const name = fieldName(err);
    const control = name && form.elements.namedItem(name);
    if (!control || !(control instanceof Element)) continue;
    control.setAttribute("aria-invalid", "true");
    const out = document.getElementById(`${control.id}-error`);
    if (out) {
      out.textContent = err.message || "";
      out.hidden = false;
      control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), out.id].filter(Boolean).join(" "));
    }
    first = first || control;
  }
  if (first) first.focus();
}

/** The form control a problem's `errors[].field` ("body.email", "body.treatment_plan.x") names. */
function fieldName(err) {
  return typeof err.field === "string" ? err.field.split(".").pop() : null;
}

const ANNOUNCE_SHOWN_MS = 6000;
let announced = null;

/** Say something to screen-reader users (and show it a few seconds) without moving focus. */
export function announce(text) {
  const status = document.getElementById("status");
  status.textContent = "";
  clearTimeout(announced);
  setTimeout(() => {
    status.textContent = text;
    announced = setTimeout(() => { status.textContent = ""; }, ANNOUNCE_SHOWN_MS);
  }, 50);
}

/** Forget what was announced (a new page). */
export function clearAnnouncement() {
  clearTimeout(announced);
  document.getElementById("status").textContent = "";
}
