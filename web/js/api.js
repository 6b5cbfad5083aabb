// The Tandem API. Every call carries the signed-in person's ID token; a problem response
// (RFC 9457) becomes an ApiError with its title, detail and the fields it names.

import * as session from "./session.js";
import { language } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

let config = null;
let cognito = null;

export function configure(appConfig, cognitoClient) {
  config = appConfig;
  cognito = cognitoClient;
}

function newKey() {
  return crypto.randomUUID();
}

/**
 * api("GET", "/me/schedule", {query: {week}}) -> {data, etag, headers}
 * options: body, query, ifMatch, idempotent (adds an Idempotency-Key, kept across the retry).
 */
export async function api(method, path, options = {}) {
  const url = new URL(config.api_url.replace(/\/$/, "") + path);
  for (const [k, v] of Object.entries(options.query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Accept: "application/json", "Accept-Language": language() };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.ifMatch) headers["If-Match"] = options.ifMatch;
  if (options.idempotent) headers["Idempotency-Key"] = newKey();
  const send = async () => fetch(url, {
    method,
    headers: { ...headers, Authorization: await session.idToken(cognito) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    cache: "no-store",
    credentials: "omit",
    referrerPolicy: "no-referrer",
  });
  let reply;
  try {
    reply = await send();
    if (reply.status === 401) {
      await session.reauth();
      reply = await send();
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(0, { title: "network", detail: String(err?.message || err) });
  }
  const type = reply.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await reply.json().catch(() => null) : await reply.text();
  if (!reply.ok) throw new ApiError(reply.status, typeof data === "object" ? data : { detail: data });
  return { data, etag: reply.headers.get("ETag"), headers: reply.headers, status: reply.status };
}
