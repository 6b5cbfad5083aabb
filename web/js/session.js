// Who is signed in. Tokens live in this module's memory only: not in localStorage,
// sessionStorage or cookies, where other scripts or a later user of the computer could read them.
// A reload therefore asks for the password again; an expiring ID token is refreshed silently,
// and when that fails (signed out elsewhere, deactivated) the sign-in dialog opens over the page,
// so nothing the person was doing is lost, and the request that needed the token then goes on.

import { claims } from "./cognito.js";

const REFRESH_MARGIN_SECONDS = 120;

let state = null; // {pool, clientId, tokens, claims}
let reauthenticate = null; // () => Promise<void>, set by the app: opens the sign-in dialog
const listeners = new Set();

export function onChange(listener) { listeners.add(listener); }

export function signedIn() { return state !== null; }

/** {personId, role, email, pool} of the signed-in person. */
export function who() {
  if (!state) return null;
  const c = state.claims;
  const groups = c["cognito:groups"] || [];
  const role = ["coordinator", "clinician", "participant"].find((r) => groups.includes(r)) || null;
  return { personId: c["custom:person_id"], role, email: c.email, pool: state.pool };
}

export function start(pool, clientId, tokens) {
  const changed = !state || state.claims["custom:person_id"] !== claims(tokens.idToken)["custom:person_id"];
  state = { pool, clientId, tokens, claims: claims(tokens.idToken) };
  if (changed) for (const listener of listeners) listener(who());
}

export function end() {
  state = null;
  for (const listener of listeners) listener(null);
}

export function setReauthenticate(fn) { reauthenticate = fn; }

export function accessToken() { return state?.tokens.accessToken; }
export function current() { return state; }

/** A valid ID token for the API: refreshed when it is about to expire; when it cannot be,
 * the person signs in again first (the page stays as it is). */
export async function idToken(cognito) {
  if (!state) throw new Error("not signed in");
  const now = Date.now() / 1000;
  if (state.claims.exp - now > REFRESH_MARGIN_SECONDS) return state.tokens.idToken;
  try {
    const tokens = await cognito.refresh(state.clientId, state.tokens.refreshToken);
    start(state.pool, state.clientId, tokens);
  } catch {
    await reauth();
  }
  return state.tokens.idToken;
}

/** The API refused the token (revoked, expired early): sign in again over the page. */
export async function reauth() {
  if (!reauthenticate) throw new Error("session expired");
  await reauthenticate();
}
