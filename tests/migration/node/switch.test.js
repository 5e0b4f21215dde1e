// supertokens-node 24.0.3, unmodified, after the switch: its core is authstate's /cdi, and a client comes with
// the cookies of a session the SuperTokens core issued (tokens from the JDK-only generator, the session
// imported by authstate-migrate). Run by tests/migration/test_sdk_switch.py with NODE_PATH pointing at
// tests/sdk/node/node_modules, and:
//   AUTHSTATE_SDK_CONNECTION_URI, AUTHSTATE_SDK_API_KEY   the core (authstate's /cdi) and its API key
//   CORE_ACCESS_TOKEN, CORE_REFRESH_TOKEN, CORE_ANTI_CSRF  the core session's tokens, as the client holds them
//   CORE_USER_ID, CORE_HANDLE                              whose session it is
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const express = require("express");
const supertokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const UserMetadata = require("supertokens-node/recipe/usermetadata");
const { middleware, errorHandler } = require("supertokens-node/framework/express");
const { verifySession } = require("supertokens-node/recipe/session/framework/express");

const env = process.env;
supertokens.init({
  framework: "express",
  supertokens: { connectionURI: env.AUTHSTATE_SDK_CONNECTION_URI, apiKey: env.AUTHSTATE_SDK_API_KEY },
  appInfo: { appName: "authstate-migration", apiDomain: "http://api.example.com", websiteDomain: "http://web.example.com", apiBasePath: "/auth" },
  recipeList: [Session.init({ antiCsrf: "VIA_TOKEN" }), UserMetadata.init()],
});

const app = express();
app.use(middleware());
app.get("/me", verifySession(), async (req, res) => {
  const s = req.session;
  res.json({ userId: s.getUserId(), handle: s.getHandle(), payload: s.getAccessTokenPayload(), data: await s.getSessionDataFromDatabase() });
});
app.use(errorHandler());

let server;
let base;
before(async () => {
  server = await new Promise((resolve) => { const s = app.listen(0, "127.0.0.1", () => resolve(s)); });
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

// The cookies as the SDK sets them (values percent-encoded); the anti-csrf header as the frontend sends it.
const cookie = (name, token) => `${name}=${encodeURIComponent(token)}`;
const setCookie = (res, name) => {
  const line = res.headers.getSetCookie().find((l) => l.startsWith(`${name}=`));
  return line === undefined ? undefined : decodeURIComponent(line.slice(name.length + 1).split(";")[0]);
};
const call = (method, path, { cookies = [], antiCsrf = env.CORE_ANTI_CSRF } = {}) =>
  fetch(base + path, { method, headers: { rid: "session", cookie: cookies.join("; "), ...(antiCsrf ? { "anti-csrf": antiCsrf } : {}) } });

let newAccess;
let newRefresh;
let newAntiCsrf;

test("the core's access token verifies against authstate's JWKS, and the session's data is there", async () => {
  const res = await call("GET", "/me", { cookies: [cookie("sAccessToken", env.CORE_ACCESS_TOKEN)] });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json();
  assert.equal(body.userId, env.CORE_USER_ID);
  assert.equal(body.handle, env.CORE_HANDLE);
  assert.equal(body.payload.tier, "gold");
  assert.deepEqual(body.data, { n: 1 });
  assert.deepEqual((await UserMetadata.getUserMetadata(env.CORE_USER_ID)).metadata, { lang: "fr" });
});

test("the core's refresh token refreshes once through the SDK (its anti-CSRF token checked)", async () => {
  const wrong = await call("POST", "/auth/session/refresh", { cookies: [cookie("sRefreshToken", env.CORE_REFRESH_TOKEN)], antiCsrf: "wrong" });
  assert.equal(wrong.status, 401);
  const res = await call("POST", "/auth/session/refresh", { cookies: [cookie("sRefreshToken", env.CORE_REFRESH_TOKEN)] });
  assert.equal(res.status, 200, await res.clone().text());
  newAccess = setCookie(res, "sAccessToken");
  newRefresh = setCookie(res, "sRefreshToken");
  newAntiCsrf = res.headers.get("anti-csrf") ?? env.CORE_ANTI_CSRF;
  assert.ok(newRefresh.startsWith("rt1."), newRefresh);
  const me = await call("GET", "/me", { cookies: [cookie("sAccessToken", newAccess)], antiCsrf: newAntiCsrf });
  assert.equal((await me.json()).handle, env.CORE_HANDLE);
});

test("the old core refresh token replayed is theft: the session is revoked", async () => {
  const again = await call("POST", "/auth/session/refresh", { cookies: [cookie("sRefreshToken", newRefresh)], antiCsrf: newAntiCsrf });
  assert.equal(again.status, 200); // the new token is in use now
  const replay = await call("POST", "/auth/session/refresh", { cookies: [cookie("sRefreshToken", env.CORE_REFRESH_TOKEN)] });
  assert.equal(replay.status, 401);
  assert.deepEqual(await Session.getAllSessionHandlesForUser(env.CORE_USER_ID), []);
});
