// supertokens-node 24.0.3, unmodified, against authstate's CDI facade: an Express app (verifySession,
// the SDK's own /auth/session/refresh) driven over real HTTP with a cookie jar, and the awsLambda
// verifySession wrapper (and middleware) called with API Gateway HTTP API (v2) events, as a Lambda would be.
// Every Node call in the seeds for the session and user-metadata recipes runs here.
//
// Run by tests/sdk/test_node_sdk.py:  node --test sdk.test.js  with
//   AUTHSTATE_SDK_CONNECTION_URI  the core (authstate's /cdi, or the recording proxy in front of it)
//   AUTHSTATE_SDK_API_KEY         its API key
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const express = require("express");
const supertokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const UserMetadata = require("supertokens-node/recipe/usermetadata");
const { middleware, errorHandler } = require("supertokens-node/framework/express");
const { verifySession } = require("supertokens-node/recipe/session/framework/express");
const { verifySession: lambdaVerifySession } = require("supertokens-node/recipe/session/framework/awsLambda");
const { middleware: lambdaMiddleware } = require("supertokens-node/framework/awsLambda");
const JWT = require("supertokens-node/recipe/jwt");
const OpenId = require("supertokens-node/recipe/openid");
const { PrimitiveClaim } = require("supertokens-node/recipe/session/claims");

const ISS = "http://api.example.com/auth";
const PROTECTED = new Set([
  "sub", "exp", "iat", "tId", "rsub", "sessionHandle", "refreshTokenHash1", "parentRefreshTokenHash1", "antiCsrfToken",
]);

supertokens.init({
  framework: "express",
  supertokens: {
    connectionURI: process.env.AUTHSTATE_SDK_CONNECTION_URI,
    apiKey: process.env.AUTHSTATE_SDK_API_KEY,
  },
  appInfo: { appName: "authstate-sdk-tests", apiDomain: "http://api.example.com", websiteDomain: "http://web.example.com", apiBasePath: "/auth" },
  recipeList: [
    Session.init({
      antiCsrf: "VIA_TOKEN",
      // seed 003: a claim added at creation
      override: {
        functions: (originalImplementation) => ({
          ...originalImplementation,
          createNewSession: async function (input) {
            input.accessTokenPayload = { ...input.accessTokenPayload, someKey: "someValue" };
            return originalImplementation.createNewSession(input);
          },
        }),
      },
    }),
    UserMetadata.init(),
  ],
});

// ---- the Express app (seeds 000, 002, 003) ----------------------------------------------------------------

const app = express();
app.use(express.json());
app.use(middleware());
app.post("/login", async (req, res, next) => {
  try {
    const s = await Session.createNewSession(
      req, res, req.body.tenantId ?? "public", supertokens.convertToRecipeUserId(req.body.userId),
      req.body.accessTokenPayload, req.body.sessionData,
    );
    res.json({ handle: s.getHandle(), userId: s.getUserId(), payload: s.getAccessTokenPayload() });
  } catch (err) {
    next(err);
  }
});
app.get("/me", verifySession(), async (req, res) => {
  const session = req.session;
  res.json({ userId: session.getUserId(), handle: session.getHandle(), payload: session.getAccessTokenPayload() });
});
app.get("/me-db", verifySession({ checkDatabase: true }), async (req, res) => {
  res.json({ handle: req.session.getHandle(), payload: req.session.getAccessTokenPayload() });
});
app.post("/updateinfo", verifySession(), async (req, res) => {
  // seed 000
  const session = req.session;
  const userId = session.getUserId();
  await UserMetadata.updateUserMetadata(userId, { newKey: "data" });
  res.json({ message: "successfully updated user metadata" });
});
app.post("/update-session-data", verifySession(), async (req, res) => {
  // seed 002, method 1 (with the await the seed leaves out: getSessionDataFromDatabase returns a Promise)
  const session = req.session;
  const currSessionData = await session.getSessionDataFromDatabase();
  await session.updateSessionDataInDatabase({ newKey: "newValue", ...currSessionData });
  res.json({ message: "successfully updated Session data in the database", data: await session.getSessionDataFromDatabase() });
});
app.post("/update-access-token-payload", verifySession(), async (req, res) => {
  // seed 003, online
  const session = req.session;
  await session.mergeIntoAccessTokenPayload(req.body);
  res.json({ message: "successfully updated access token payload", payload: session.getAccessTokenPayload() });
});
// the session object's own calls to the core: its times, and its claim functions (each an online merge)
const TIER = new PrimitiveClaim({ key: "st-tier", fetchValue: () => "gold" });
app.post("/session-object", verifySession(), async (req, res) => {
  const session = req.session;
  const times = { timeCreated: await session.getTimeCreated(), expiry: await session.getExpiry() };
  await session.fetchAndSetClaim(TIER);
  const fetched = await session.getClaimValue(TIER);
  await session.setClaimValue(TIER, "silver");
  const set = await session.getClaimValue(TIER);
  await session.removeClaim(TIER);
  res.json({ ...times, claims: [fetched, set, await session.getClaimValue(TIER)] });
});
app.post("/logout", verifySession(), async (req, res) => {
  await req.session.revokeSession();
  res.json({ revoked: req.session.getHandle() });
});
app.use(errorHandler());

let server;
let baseUrl;
before(async () => {
  server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

// ---- a browser: cookie jar (with paths), anti-csrf header, front token --------------------------------------

class Browser {
  constructor() {
    this.cookies = new Map(); // name -> {value, path}
    this.antiCsrf = undefined;
    this.front = undefined;
  }

  clone() {
    const other = new Browser();
    for (const [k, v] of this.cookies) other.cookies.set(k, { ...v });
    other.antiCsrf = this.antiCsrf;
    return other;
  }

  cookieHeader(path) {
    return [...this.cookies.entries()]
      .filter(([, c]) => path === c.path || path.startsWith(c.path.endsWith("/") ? c.path : c.path + "/"))
      .map(([k, c]) => `${k}=${c.value}`)
      .join("; ");
  }

  store(setCookies) {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(";").map((p) => p.trim());
      const name = pair.slice(0, pair.indexOf("="));
      const value = pair.slice(pair.indexOf("=") + 1);
      const attr = Object.fromEntries(attributes.map((a) => {
        const i = a.indexOf("=");
        return i < 0 ? [a.toLowerCase(), true] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
      }));
      const expired = attr.expires !== undefined && Date.parse(attr.expires) <= Date.now();
      if (expired || attr["max-age"] === "0" || value === "") this.cookies.delete(name);
      else this.cookies.set(name, { value, path: attr.path ?? "/" });
    }
  }

  async request(method, path, { body, headers = {}, sendAntiCsrf = true } = {}) {
    const h = { rid: "session", ...headers };
    if (sendAntiCsrf && this.antiCsrf !== undefined && h["anti-csrf"] === undefined) h["anti-csrf"] = this.antiCsrf;
    const cookie = this.cookieHeader(path);
    if (cookie) h.cookie = cookie;
    if (body !== undefined) h["content-type"] = "application/json";
    const res = await fetch(baseUrl + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    this.store(res.headers.getSetCookie());
    if (res.headers.get("anti-csrf")) this.antiCsrf = res.headers.get("anti-csrf");
    const front = res.headers.get("front-token");
    if (front === "remove") this.front = undefined;
    else if (front) this.front = JSON.parse(Buffer.from(front, "base64").toString());
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  get(path, options) {
    return this.request("GET", path, options);
  }

  post(path, body, options = {}) {
    return this.request("POST", path, { ...options, body });
  }

  async login(userId, extra = {}) {
    const res = await this.post("/login", { userId, ...extra }, { headers: { "st-auth-mode": "cookie" } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }

  refresh(options) {
    return this.post("/auth/session/refresh", undefined, options);
  }

  get accessToken() {
    return this.cookies.get("sAccessToken")?.value;
  }

  get refreshToken() {
    const c = this.cookies.get("sRefreshToken");
    return c === undefined ? undefined : decodeURIComponent(c.value);
  }

  get claims() {
    return decode(this.accessToken);
  }
}

const decode = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
const custom = (claims) => Object.fromEntries(Object.entries(claims).filter(([k]) => !PROTECTED.has(k)));
const sha256 = (s) => crypto.createHash("sha256").update(s).digest("hex");
const uid = (name) => `node-${name}-${crypto.randomUUID().slice(0, 12)}`;

// ---- Express flows ------------------------------------------------------------------------------------------

test("sign-in: the override's claim in the cookie token and the front token; verifySession reads it", async () => {
  const user = uid("signin");
  const b = new Browser();
  const view = await b.login(user);
  const claims = b.claims;
  assert.deepEqual(custom(claims), { iss: ISS, someKey: "someValue" });
  assert.equal(claims.sub, user);
  assert.equal(claims.sessionHandle, view.handle);
  assert.equal(claims.parentRefreshTokenHash1, null);
  assert.equal(claims.refreshTokenHash1, sha256(b.refreshToken));
  assert.equal(b.antiCsrf, claims.antiCsrfToken);
  assert.deepEqual(b.front, { uid: user, ate: claims.exp * 1000, up: claims });
  const me = await b.get("/me");
  assert.equal(me.status, 200);
  assert.deepEqual(me.body, { userId: user, handle: view.handle, payload: claims });
  const none = await new Browser().get("/me");
  assert.deepEqual(none, { status: 401, body: { message: "unauthorised" } });
});

test("seed 000: updateUserMetadata for the signed-in user; get, merge rule, clear", async () => {
  const user = uid("metadata");
  const b = new Browser();
  await b.login(user);
  const res = await b.post("/updateinfo", {});
  assert.deepEqual(res, { status: 200, body: { message: "successfully updated user metadata" } });
  // node hands the core's whole answer to the app
  assert.deepEqual(await UserMetadata.getUserMetadata(user), { status: "OK", metadata: { newKey: "data" } });
  await UserMetadata.updateUserMetadata(user, { preferences: { theme: "dark" }, notifications: { email: true }, todos: ["use-text-notifs"] });
  assert.deepEqual(await UserMetadata.updateUserMetadata(user, { notifications: { sms: true }, todos: null }), {
    status: "OK",
    metadata: { newKey: "data", preferences: { theme: "dark" }, notifications: { sms: true } },
  });
  assert.deepEqual((await UserMetadata.updateUserMetadata(user, { preferences: { font: "mono", x: null }, newKey: null })).metadata, {
    preferences: { font: "mono", x: null }, notifications: { sms: true },
  });
  assert.deepEqual(await UserMetadata.clearUserMetadata(user), { status: "OK" });
  assert.deepEqual(await UserMetadata.getUserMetadata(user), { status: "OK", metadata: {} });
});

test("seed 002: session data after verification, and offline by handle", async () => {
  const user = uid("sessiondata");
  const b = new Browser();
  const { handle } = await b.login(user, { sessionData: { cart: 2 } });
  const online = await b.post("/update-session-data", {});
  assert.equal(online.status, 200);
  assert.deepEqual(online.body.data, { newKey: "newValue", cart: 2 });
  // Method 2, as the seed writes it (awaited so the test can check the result)
  const sessionHandles = await Session.getAllSessionHandlesForUser(user);
  assert.deepEqual(sessionHandles, [handle]);
  for (const h of sessionHandles) {
    const currSessionInfo = await Session.getSessionInformation(h);
    if (currSessionInfo === undefined) continue;
    const currSessionData = currSessionInfo.sessionDataInDatabase;
    assert.equal(await Session.updateSessionDataInDatabase(h, { newKey: "offline", ...currSessionData, extra: 1 }), true);
  }
  const info = await Session.getSessionInformation(handle);
  assert.deepEqual(info.sessionDataInDatabase, { newKey: "newValue", cart: 2, extra: 1 });
  assert.equal(await Session.updateSessionDataInDatabase(handle, { replaced: true }), true);
  assert.deepEqual((await Session.getSessionInformation(handle)).sessionDataInDatabase, { replaced: true });
  assert.equal(await Session.updateSessionDataInDatabase(handle + "-unknown", {}), false);
  assert.equal(await Session.getSessionInformation(handle + "-unknown"), undefined);
});

test("seed 003: merge online (new token at once) and offline by handle (after the next refresh)", async () => {
  const user = uid("payload");
  const b = new Browser();
  const { handle } = await b.login(user);
  const before = b.claims;
  const online = await b.post("/update-access-token-payload", { newKey: "newValue", someKey: null });
  assert.equal(online.status, 200);
  assert.deepEqual(custom(b.claims), { iss: ISS, newKey: "newValue" });
  assert.deepEqual(online.body.payload, b.claims);
  assert.deepEqual(b.front.up, b.claims);
  assert.equal(b.claims.exp, before.exp);

  // offline, as the seed writes it
  const sessionHandles = await Session.getAllSessionHandlesForUser(user);
  for (const h of sessionHandles) {
    const currSessionInfo = await Session.getSessionInformation(h);
    if (currSessionInfo === undefined) continue;
    assert.equal(await Session.mergeIntoAccessTokenPayload(h, { offline: "yes" }), true);
  }
  const info = await Session.getSessionInformation(handle);
  assert.deepEqual(info.customClaimsInAccessTokenPayload, { iss: ISS, newKey: "newValue", offline: "yes" });
  assert.deepEqual(custom((await b.get("/me")).body.payload), { iss: ISS, newKey: "newValue" });
  assert.equal((await b.refresh()).status, 200);
  assert.deepEqual(custom(b.claims), { iss: ISS, newKey: "newValue", offline: "yes" });
  assert.deepEqual(custom(b.front.up), { iss: ISS, newKey: "newValue", offline: "yes" });

  // checkDatabase sees an offline change at once (the core answers with a new token)
  assert.equal(await Session.mergeIntoAccessTokenPayload(handle, { later: 1 }), true);
  const fresh = await b.get("/me-db");
  assert.equal(fresh.status, 200);
  assert.deepEqual(custom(fresh.body.payload), { iss: ISS, newKey: "newValue", offline: "yes", later: 1 });
  assert.deepEqual(fresh.body.payload, b.claims);

  await assert.rejects(Session.mergeIntoAccessTokenPayload(handle, { sub: "hacker" }), /The user payload contains protected field/);
  assert.equal(await Session.mergeIntoAccessTokenPayload(handle + "-unknown", { x: 1 }), false);
});

test("refresh with cookies, child token verified by the core, replayed refresh token is theft", async () => {
  const user = uid("theft");
  const b = new Browser();
  const { handle } = await b.login(user);
  const firstRefresh = b.refreshToken;
  const thief = b.clone();

  const noCsrf = await b.clone().refresh({ sendAntiCsrf: false });
  assert.deepEqual(noCsrf, { status: 401, body: { message: "unauthorised" } });
  assert.notEqual(await Session.getSessionInformation(handle), undefined);

  const refreshed = await b.refresh();
  assert.equal(refreshed.status, 200);
  assert.notEqual(b.refreshToken, firstRefresh);
  assert.equal(b.claims.parentRefreshTokenHash1, sha256(firstRefresh));
  assert.equal(b.claims.refreshTokenHash1, sha256(b.refreshToken));
  assert.equal(b.antiCsrf, b.claims.antiCsrfToken);

  const me = await b.get("/me"); // child token: the core verifies it and answers with a new access token
  assert.equal(me.status, 200);
  assert.equal(b.claims.parentRefreshTokenHash1, null);
  assert.equal(b.claims.refreshTokenHash1, sha256(b.refreshToken));
  assert.deepEqual(me.body.payload, b.claims);

  const stolen = await thief.refresh();
  assert.deepEqual(stolen, { status: 401, body: { message: "token theft detected" } });
  assert.equal(thief.accessToken, undefined);
  assert.equal(await Session.getSessionInformation(handle), undefined);
  assert.deepEqual(await b.get("/me-db"), { status: 401, body: { message: "unauthorised" } });
  assert.deepEqual(await b.refresh(), { status: 401, body: { message: "unauthorised" } });
});

test("sessions of a user with and without tenant; revokeSession, revokeAllSessionsForUser", async () => {
  const user = uid("handles");
  const one = await new Browser().login(user);
  const two = await new Browser().login(user);
  const other = await new Browser().login(user, { tenantId: "tenant1" });
  assert.equal(other.payload.tId, "tenant1");
  const sorted = (a) => [...a].sort();
  assert.deepEqual(sorted(await Session.getAllSessionHandlesForUser(user)), sorted([one.handle, two.handle, other.handle]));
  assert.deepEqual(sorted(await Session.getAllSessionHandlesForUser(user, true, "public")), sorted([one.handle, two.handle]));
  assert.deepEqual(await Session.getAllSessionHandlesForUser(user, true, "tenant1"), [other.handle]);
  assert.equal((await Session.getSessionInformation(other.handle)).tenantId, "tenant1");
  assert.equal(await Session.revokeSession(one.handle), true);
  assert.equal(await Session.revokeSession(one.handle), false);
  assert.deepEqual(await Session.revokeAllSessionsForUser(user, true, "tenant1"), [other.handle]);
  assert.deepEqual(await Session.revokeAllSessionsForUser(user), [two.handle]);
  assert.deepEqual(await Session.getAllSessionHandlesForUser(user), []);
});

// ---- AWS Lambda (API Gateway HTTP API, payload v2) ----------------------------------------------------------

function lambdaEvent(browser, method, path, body) {
  const headers = { "content-type": "application/json", rid: "session" };
  if (browser.antiCsrf !== undefined) headers["anti-csrf"] = browser.antiCsrf;
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: "",
    cookies: [...browser.cookies.entries()]
      .filter(([, c]) => path === c.path || path.startsWith(c.path.endsWith("/") ? c.path : c.path + "/"))
      .map(([k, c]) => `${k}=${c.value}`),
    headers,
    requestContext: { http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "node" }, stage: "$default" },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

function absorb(browser, result) {
  browser.store(result.cookies ?? []);
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  if (headers["anti-csrf"]) browser.antiCsrf = headers["anti-csrf"];
  if (headers["front-token"] && headers["front-token"] !== "remove") browser.front = JSON.parse(Buffer.from(headers["front-token"], "base64").toString());
  return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
}

test("awsLambda verifySession: seeds 000, 002 and 003 as Lambda handlers; refresh through the Lambda middleware", async () => {
  const user = uid("lambda");
  const b = new Browser();
  const { handle } = await b.login(user);

  // seed 003 (Lambda): mergeIntoAccessTokenPayload; the new token comes back in the v2 result's cookies
  const updateinfo003 = lambdaVerifySession(async (awsEvent) => {
    const session = awsEvent.session;
    await session.mergeIntoAccessTokenPayload({ newKey: "newValue" });
    return { body: JSON.stringify({ message: "successfully updated access token payload" }), statusCode: 200 };
  });
  const merged = absorb(b, await updateinfo003(lambdaEvent(b, "POST", "/updateinfo")));
  assert.deepEqual(merged, { status: 200, body: { message: "successfully updated access token payload" } });
  assert.deepEqual(custom(b.claims), { iss: ISS, someKey: "someValue", newKey: "newValue" });
  assert.deepEqual(b.front.up, b.claims);

  // seed 002 (Lambda)
  const updateinfo002 = lambdaVerifySession(async (awsEvent) => {
    const session = awsEvent.session;
    const currSessionData = await session.getSessionDataFromDatabase();
    await session.updateSessionDataInDatabase({ newKey: "newValue", ...currSessionData });
    return { body: JSON.stringify({ message: "successfully updated Session data in the database" }), statusCode: 200 };
  });
  assert.equal(absorb(b, await updateinfo002(lambdaEvent(b, "POST", "/updateinfo"))).status, 200);
  assert.deepEqual((await Session.getSessionInformation(handle)).sessionDataInDatabase, { newKey: "newValue" });

  // seed 000 (Lambda)
  const updateinfo000 = lambdaVerifySession(async (awsEvent) => {
    const session = awsEvent.session;
    const userId = session.getUserId();
    await UserMetadata.updateUserMetadata(userId, { newKey: "data" });
    return { body: JSON.stringify({ message: "successfully updated user metadata" }), statusCode: 200 };
  });
  assert.equal(absorb(b, await updateinfo000(lambdaEvent(b, "POST", "/updateinfo"))).status, 200);
  assert.deepEqual((await UserMetadata.getUserMetadata(user)).metadata, { newKey: "data" });

  // the payload as a Lambda reads it (seed 003, "reading the payload"), with checkDatabase
  const myApi = lambdaVerifySession(async (awsEvent) => {
    const accessTokenPayload = awsEvent.session.getAccessTokenPayload();
    return { body: JSON.stringify({ customClaimValue: accessTokenPayload.newKey }), statusCode: 200 };
  }, { checkDatabase: true });
  assert.deepEqual(absorb(b, await myApi(lambdaEvent(b, "GET", "/myApi"))), { status: 200, body: { customClaimValue: "newValue" } });
  assert.deepEqual(absorb(new Browser(), await myApi(lambdaEvent(new Browser(), "GET", "/myApi"))), {
    status: 401, body: { message: "unauthorised" },
  });

  // the SDK's refresh route behind the awsLambda middleware
  const auth = lambdaMiddleware();
  const oldRefresh = b.refreshToken;
  const refreshed = absorb(b, await auth(lambdaEvent(b, "POST", "/auth/session/refresh")));
  assert.equal(refreshed.status, 200);
  assert.equal(b.claims.parentRefreshTokenHash1, sha256(oldRefresh));
  assert.equal(absorb(b, await myApi(lambdaEvent(b, "GET", "/myApi"))).status, 200);
  assert.equal(b.claims.parentRefreshTokenHash1, null);

  assert.deepEqual(await Session.revokeAllSessionsForUser(user), [handle]);
  assert.deepEqual(absorb(b, await myApi(lambdaEvent(b, "GET", "/myApi"))), { status: 401, body: { message: "unauthorised" } });
});

// ---- every other request of docs/cdi-requests.md (tests/sdk/test_node_sdk.py holds the run to the table) ---

const tokensOf = (session) => ({ handle: session.getHandle(), ...session.getAllSessionTokensDangerously() });

test("without request and response: create, get (checkDatabase), refresh; the empty user id", async () => {
  const tenant = `t-${crypto.randomUUID().slice(0, 12)}`;
  const created = tokensOf(await Session.createNewSessionWithoutRequestResponse(tenant, supertokens.convertToRecipeUserId(""), { a: 1 }, {}, true));
  const got = await Session.getSessionWithoutRequestResponse(created.accessToken, undefined, { checkDatabase: true, antiCsrfCheck: false });
  assert.equal(got.getUserId(), "");
  assert.equal(got.getTenantId(), tenant);
  const refreshed = tokensOf(await Session.refreshSessionWithoutRequestResponse(created.refreshToken, true));
  assert.equal(refreshed.handle, created.handle);
  assert.deepEqual(await Session.getAllSessionHandlesForUser("", true, tenant), [created.handle]);
  assert.deepEqual(await Session.revokeAllSessionsForUser("", true, tenant), [created.handle]);
});

test("claims by handle: fetchAndSetClaim, setClaimValue, getClaimValue, removeClaim, validateClaimsForSessionHandle", async () => {
  const user = uid("claims");
  const b = new Browser();
  const { handle } = await b.login(user);
  assert.equal(await Session.fetchAndSetClaim(handle, TIER), true);
  assert.deepEqual(await Session.getClaimValue(handle, TIER), { status: "OK", value: "gold" });
  assert.equal(await Session.setClaimValue(handle, TIER, "silver"), true);
  assert.deepEqual(await Session.getClaimValue(handle, TIER), { status: "OK", value: "silver" });
  assert.equal(await Session.removeClaim(handle, TIER), true);
  assert.deepEqual(await Session.getClaimValue(handle, TIER), { status: "OK", value: undefined });
  assert.deepEqual(await Session.validateClaimsForSessionHandle(handle), { status: "OK", invalidClaims: [] });
});

test("the session object: times, claims (online merges), revokeSession; signout; revokeMultipleSessions", async () => {
  const user = uid("object");
  const b = new Browser();
  const { handle } = await b.login(user);
  const res = await b.post("/session-object", {});
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.claims, ["gold", "silver", null]); // the last: removed (undefined in JSON)
  assert.ok(res.body.expiry > res.body.timeCreated);
  assert.deepEqual(await b.post("/logout", {}), { status: 200, body: { revoked: handle } });
  assert.equal(await Session.getSessionInformation(handle), undefined);

  const c = new Browser();
  const second = await c.login(user);
  assert.equal((await c.post("/auth/signout", undefined)).status, 200);
  assert.equal(await Session.getSessionInformation(second.handle), undefined);

  const one = (await new Browser().login(user)).handle;
  const two = (await new Browser().login(user)).handle;
  assert.deepEqual((await Session.revokeMultipleSessions([one, two, "no-such-handle"])).sort(), [one, two].sort());
});

async function verifiesWith(jwksUrl, token) {
  const [header, payload, signature] = token.split(".");
  const { kid, alg } = JSON.parse(Buffer.from(header, "base64url").toString());
  assert.equal(alg, "RS256");
  const { keys } = await (await fetch(jwksUrl)).json();
  const jwk = keys.find((k) => k.kid === kid);
  assert.ok(jwk, `${kid} is not in ${jwksUrl}`);
  const key = crypto.createPublicKey({ key: jwk, format: "jwk" });
  return crypto.verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, "base64url"));
}

test("JWT recipe: createJWT (JWT and Session/OpenID), getJWKS, the SDK's JWKS and discovery routes", async () => {
  const jwt = await JWT.createJWT({ scope: "read" }, 120);
  assert.equal(jwt.status, "OK");
  const viaOpenId = await Session.createJWT({ scope: "write" }, 120, false);
  assert.equal(viaOpenId.status, "OK");
  const openIdClaims = decode(viaOpenId.jwt);
  assert.equal(openIdClaims.iss, "http://api.example.com/auth");
  assert.equal(JSON.parse(Buffer.from(viaOpenId.jwt.split(".")[0], "base64url").toString()).kid.slice(0, 2), "d-");
  const claims = decode(jwt.jwt);
  assert.equal(claims.exp - claims.iat, 120);
  assert.equal(claims.iss, "http://api.example.com");
  const connection = process.env.AUTHSTATE_SDK_CONNECTION_URI;
  for (const url of [`${connection}/.well-known/jwks.json`, `${baseUrl}/auth/jwt/jwks.json`]) {
    assert.equal(await verifiesWith(url, jwt.jwt), true, url);
    assert.equal(await verifiesWith(url, viaOpenId.jwt), true, url);
  }
  const jwks = await JWT.getJWKS();
  assert.ok(jwks.keys.some((k) => k.kid.startsWith("s-")));
  assert.deepEqual((await Session.getJWKS()).keys, jwks.keys);
  const discovery = await (await fetch(`${baseUrl}/auth/.well-known/openid-configuration`)).json();
  assert.equal(discovery.jwks_uri, "http://api.example.com/auth/jwt/jwks.json");
  assert.equal((await OpenId.getOpenIdDiscoveryConfiguration()).issuer, "http://api.example.com/auth");
});
