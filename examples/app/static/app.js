// The example page: supertokens-web-js keeps the session (cookies, automatic refresh, sign-out);
// this file only calls the backend's /api routes and shows what comes back.
// ?poll=N: read the claims every N seconds while signed in (default 10; 0 = never), so that a
// refresh happens while you watch once the access token has expired.
"use strict";

const Session = window.supertokensSession;
const params = new URLSearchParams(window.location.search);
const POLL_SECONDS = Number(params.get("poll") ?? 10);
const $ = (id) => document.getElementById(id);

let pending = 0; // actions in flight: body[data-busy] (tests wait for 0)
let done = 0; // actions finished: body[data-done]
let accessTokenExp = null; // seconds, from the live payload

window.supertokens.init({
  appInfo: { appName: "authstate example", apiDomain: window.location.origin, apiBasePath: "/auth" },
  recipeList: [Session.init({ tokenTransferMethod: "cookie", onHandleEvent })],
});

class SignedOut extends Error {}

// -- the SDK's events ----------------------------------------------------------------------------

function onHandleEvent(event) {
  const detail = event.action !== "UNAUTHORISED" ? ""
    : event.sessionExpiredOrRevoked ? "sessionExpiredOrRevoked=true: the session has ended"
    : "sessionExpiredOrRevoked=false: there was no session";
  logEvent(event.action, detail);
  switch (event.action) {
    case "SESSION_CREATED":
    case "REFRESH_SESSION":
    case "ACCESS_TOKEN_PAYLOAD_UPDATED":
      renderSession().catch(showError);
      break;
    case "UNAUTHORISED":
      showSignedOut(event.sessionExpiredOrRevoked ? "The session was revoked or has expired." : "Not signed in.");
      break;
    case "SIGN_OUT":
      showSignedOut("Signed out.");
      break;
  }
}

function logEvent(action, detail) {
  const item = document.createElement("li");
  item.dataset.action = action;
  item.textContent = `${new Date().toLocaleTimeString()}  ${action}${detail ? "  " + detail : ""}`;
  const list = $("events");
  list.prepend(item);
  while (list.children.length > 40) list.lastChild.remove();
}

// -- calling the backend ---------------------------------------------------------------------------

async function call(method, path, body) {
  // The SDK patched fetch: it sends the cookies, refreshes on a 401 "try refresh token" and retries.
  const response = await fetch(window.location.origin + path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    // The SDK could not refresh: the session is gone (signed out, revoked, or its refresh token stolen).
    showSignedOut("The session has ended: signed out, revoked or expired.");
    throw new SignedOut();
  }
  const text = await response.text();
  let data = text;
  try { data = JSON.parse(text); } catch { /* plain text */ }
  if (!response.ok) {
    const message = typeof data === "object" && data !== null ? (data.detail ?? JSON.stringify(data)) : data;
    throw new Error(`${method} ${path}: ${response.status} ${message}`);
  }
  return data;
}

// Runs a button's work: clears the error line, counts the call, shows a failure.
function action(work) {
  return async (event) => {
    if (event) event.preventDefault();
    showError(null);
    setPending(+1);
    try {
      await work(event);
    } catch (error) {
      if (!(error instanceof SignedOut)) showError(error);
    } finally {
      done += 1;
      document.body.dataset.done = String(done);
      setPending(-1);
    }
  };
}

function setPending(change) {
  pending += change;
  document.body.dataset.busy = String(pending);
}

function showError(error) {
  const box = $("error");
  if (error === null) { box.hidden = true; box.textContent = ""; return; }
  console.error(error);
  box.textContent = String(error && error.message ? error.message : error);
  box.hidden = false;
}

function parseValue(text) {
  try { return JSON.parse(text); } catch { return text; }
}

function show(id, value) {
  $(id).textContent = JSON.stringify(value, null, 2);
}

// -- what the page shows ---------------------------------------------------------------------------

async function renderSession() {
  if (!(await Session.doesSessionExist())) {
    showSignedOut("");
    return false;
  }
  const payload = await Session.getAccessTokenPayloadSecurely();
  $("user-id").textContent = await Session.getUserId();
  $("handle").textContent = payload.sessionHandle;
  show("payload", payload);
  accessTokenExp = payload.exp;
  tick();
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
  document.body.dataset.state = "signed-in";
  return true;
}

function showSignedOut(reason) {
  accessTokenExp = null;
  $("signed-in").hidden = true;
  $("signed-out").hidden = false;
  $("signed-out-reason").textContent = reason;
  document.body.dataset.state = "signed-out";
}

function tick() {
  if (accessTokenExp === null) return;
  const seconds = Math.round(accessTokenExp - Date.now() / 1000);
  $("expiry").textContent = seconds > 0
    ? `The access token expires in ${seconds} s.`
    : `The access token expired ${-seconds} s ago: the SDK refreshes it at the next call.`;
}

async function loadAll() {
  await Promise.all([readClaims(), readSessionData(), readMetadata(), listSessions()]);
}

async function readClaims() {
  show("me", await call("GET", "/api/me"));
  await renderSession(); // the call may have refreshed the session, or another tab may have changed it
}

async function readSessionData() {
  show("session-data", (await call("GET", "/api/session-data")).sessionData);
}

async function readMetadata() {
  show("metadata", (await call("GET", "/api/metadata")).metadata);
}

async function mergeMetadata(update) {
  const { metadata } = await call("POST", "/api/metadata", { update });
  show("metadata", metadata);
  return metadata;
}

async function listSessions() {
  const { sessions } = await call("GET", "/api/sessions");
  const body = $("sessions").querySelector("tbody");
  body.replaceChildren(...sessions.map((item) => {
    const row = document.createElement("tr");
    row.dataset.handle = item.sessionHandle;
    const cells = [
      item.sessionHandle + (item.current ? " (this one)" : ""),
      new Date(item.timeCreated).toLocaleTimeString(),
      JSON.stringify(item.claims),
    ].map((text) => Object.assign(document.createElement("td"), { textContent: text }));
    const revoke = Object.assign(document.createElement("button"), { type: "button", textContent: "Revoke" });
    revoke.className = "revoke";
    revoke.addEventListener("click", action(() => revokeSession(item.sessionHandle)));
    const last = document.createElement("td");
    last.append(revoke);
    row.append(...cells, last);
    return row;
  }));
}

async function revokeSession(handle) {
  const result = await call("POST", "/api/sessions/revoke", { sessionHandle: handle });
  if (result.current) {
    showSignedOut("You revoked this session.");
    return;
  }
  await listSessions();
}

// -- buttons ---------------------------------------------------------------------------------------

$("signin-form").addEventListener("submit", action(async () => {
  await call("POST", "/api/signin", { name: $("name").value });
  await renderSession();
  await loadAll();
}));
$("read").addEventListener("click", action(readClaims));
$("refresh").addEventListener("click", action(async () => {
  if (!(await Session.attemptRefreshingSession())) {
    showSignedOut("The session has ended: its refresh was refused.");
    return;
  }
  await renderSession();
}));
$("signout").addEventListener("click", action(() => Session.signOut()));
$("set-online").addEventListener("click", action(async () => {
  const key = $("claim-key").value;
  show("me", await call("POST", "/api/claims/online", { key, value: parseValue($("claim-value").value) }));
  await renderSession(); // the response carried the new token: the live payload has the claim now
}));
$("set-offline").addEventListener("click", action(async () => {
  const handle = $("handle").textContent;
  const body = { key: $("claim-key").value, value: parseValue($("claim-value").value), sessionHandle: handle };
  show("me", await call("POST", "/api/claims/offline", body));
}));
$("read-data").addEventListener("click", action(readSessionData));
$("write-data").addEventListener("click", action(async () => {
  const body = { key: $("data-key").value, value: parseValue($("data-value").value) };
  show("session-data", (await call("POST", "/api/session-data", body)).sessionData);
}));
$("read-metadata").addEventListener("click", action(readMetadata));
$("merge-metadata").addEventListener("click", action(async () => {
  await mergeMetadata(JSON.parse($("metadata-update").value));
}));
$("list-sessions").addEventListener("click", action(listSessions));

// For scripts and tests (tests/browser): the page's own calls, without the buttons.
window.demo = { call, mergeMetadata, readMetadata, readClaims, renderSession };

// -- start -----------------------------------------------------------------------------------------

setInterval(tick, 1000);
if (POLL_SECONDS > 0) {
  setInterval(() => {
    if (document.body.dataset.state === "signed-in" && pending === 0) action(readClaims)();
  }, POLL_SECONDS * 1000);
}
setPending(0);
fetch("/config.json").then((r) => r.json()).then((config) => {
  $("core").textContent = config.core + (config.accessTokenNote ? `; ${config.accessTokenNote}` : "");
}).catch(() => {});
action(async () => {
  if (await renderSession()) await loadAll();
})();
