// Tests of ZohoauthStore (node --test).
//
// The tests against a real token service are run by the Go test
// TestNodeTokenStore (examples/serve): it starts the service over a store
// holding an expired token of one user and sets the variables below; run
// alone, they are skipped. The tests against a hostile service start their
// own small HTTP server and always run.
//
// The real SDK is not installed: the resolve hook in sdkstub/hooks.mjs maps
// @zohocrm/nodejs-sdk-8.0 to the stand-in under sdkstub/, so the store and
// the SDK classes are imported after it is registered.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { register } from "node:module";
import { inspect } from "node:util";

register("./sdkstub/hooks.mjs", import.meta.url);
const { OAuthToken, UserSignature, SDKException } = await import("@zohocrm/nodejs-sdk-8.0");
const { ZohoauthStore, TOKEN_STORE } = await import("../zohoauth_store.mjs");

const ENV = [
  "ZOHOAUTH_SERVE_URL", "ZOHOAUTH_SERVE_KEY", "ZOHOAUTH_TEST_WRITER_KEY", "ZOHOAUTH_TEST_OWN_KEY",
  "ZOHOAUTH_TEST_OWN_USER", "ZOHOAUTH_TEST_REVOKED_KEY", "ZOHOAUTH_TEST_USER", "ZOHOAUTH_TEST_CLIENT_ID",
  "ZOHOAUTH_TEST_OTHER_USER", "ZOHOAUTH_TEST_OLD_ACCESS",
];
const env = process.env;
const haveService = ENV.every((v) => env[v]);

// newToken returns an OAuthToken with the given fields set through the
// SDK's setters.
function newToken({ id, clientId, clientSecret, refreshToken, accessToken, expiresIn, userName } = {}) {
  const token = new OAuthToken();
  if (id !== undefined) token.setId(id);
  if (clientId !== undefined) token.setClientId(clientId);
  if (clientSecret !== undefined) token.setClientSecret(clientSecret);
  if (refreshToken !== undefined) token.setRefreshToken(refreshToken);
  if (accessToken !== undefined) token.setAccessToken(accessToken);
  if (expiresIn !== undefined) token.setExpiresIn(expiresIn);
  if (userName !== undefined) token.setUserSignature(new UserSignature(userName));
  return token;
}

// rejectsStore awaits promise, checks that it rejects with an SDKException
// of code TOKEN_STORE that shows none of the secrets, and returns it.
async function rejectsStore(promise, secrets = []) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof SDKException, `want an SDKException, got ${err}`);
  assert.equal(err.code, TOKEN_STORE);
  const shown = [String(err), err.message, err.stack, JSON.stringify(err.details), inspect(err, { depth: 5 })].join("\n");
  for (const s of secrets.filter(Boolean)) {
    assert.ok(!shown.includes(s), `the exception shows a secret: ${s.slice(0, 8)}…`);
  }
  return err;
}

describe("ZohoauthStore against zohoauth serve", { skip: haveService ? false : "run by the Go test TestNodeTokenStore (examples/serve)" }, () => {
  let store, writer, own, user, clientId, ownUser, keys;
  before(() => {
    user = env.ZOHOAUTH_TEST_USER;
    clientId = env.ZOHOAUTH_TEST_CLIENT_ID;
    ownUser = env.ZOHOAUTH_TEST_OWN_USER + ":9";
    store = new ZohoauthStore(); // URL and key from the environment
    writer = new ZohoauthStore({ url: env.ZOHOAUTH_SERVE_URL, apiKey: env.ZOHOAUTH_TEST_WRITER_KEY });
    own = new ZohoauthStore({ url: env.ZOHOAUTH_SERVE_URL, apiKey: env.ZOHOAUTH_TEST_OWN_KEY });
    keys = [env.ZOHOAUTH_SERVE_KEY, env.ZOHOAUTH_TEST_WRITER_KEY, env.ZOHOAUTH_TEST_OWN_KEY, env.ZOHOAUTH_TEST_REVOKED_KEY];
  });

  const ownToken = (client, accessToken = "1000.at.node") => newToken({
    clientId: client, clientSecret: "node-secret", refreshToken: "1000.rt.node." + client,
    accessToken, expiresIn: String(Date.now() + 3600 * 1000), userName: ownUser,
  });

  test("the six methods are the store's own and return promises", () => {
    for (const m of ["findToken", "saveToken", "deleteToken", "getTokens", "deleteTokens", "findTokenById"]) {
      assert.ok(Object.hasOwn(ZohoauthStore.prototype, m), m);
    }
    const p = store.findToken("not a token");
    assert.ok(p instanceof Promise);
    return p;
  });

  test("findToken fills the token in place with a valid access token and no secret", async () => {
    const token = newToken({ userName: user, clientId });
    const found = await store.findToken(token);
    assert.equal(found, token); // filled in place, as Zoho's stores do
    assert.ok(found.getAccessToken());
    assert.notEqual(found.getAccessToken(), env.ZOHOAUTH_TEST_OLD_ACCESS);
    assert.ok(Number(found.getExpiresIn()) > Date.now() + 60 * 1000, `expiry ${found.getExpiresIn()}`);
    assert.ok(found.getId());
    assert.equal(found.getRefreshToken() ?? null, null);
    assert.equal(found.getClientSecret() ?? null, null);
    assert.equal(found.getGrantToken() ?? null, null);
    assert.match(found.getAPIDomain(), /^http/);
  });

  test("findToken replaces an old access token and its expiry", async () => {
    const token = newToken({ userName: user, accessToken: "1000.old", expiresIn: String(Date.now() - 1000) });
    await store.findToken(token);
    assert.notEqual(token.getAccessToken(), "1000.old");
    assert.ok(Number(token.getExpiresIn()) > Date.now());
  });

  test("findToken of an unknown user is null", async () => {
    assert.equal(await store.findToken(newToken({ userName: "nobody@example.com:1" })), null);
  });

  test("findToken of something else returns it as is", async () => {
    assert.equal(await store.findToken("not a token"), "not a token");
    const other = { getId: () => "1" };
    assert.equal(await store.findToken(other), other);
  });

  test("a user out of the key's scope is refused: 403 out_of_scope", async () => {
    const err = await rejectsStore(store.findToken(newToken({ userName: env.ZOHOAUTH_TEST_OTHER_USER })), keys);
    assert.equal(err.details.status, 403);
    assert.equal(err.details.error, "out_of_scope");
  });

  test("a wrong key is refused: 401 unauthorized", async () => {
    const bad = "zak_000000000000_" + "A".repeat(43);
    const err = await rejectsStore(new ZohoauthStore({ url: env.ZOHOAUTH_SERVE_URL, apiKey: bad }).getTokens(), [bad, ...keys]);
    assert.equal(err.details.status, 401);
    assert.equal(err.details.error, "unauthorized");
  });

  test("a revoked key is refused: 401 key_revoked", async () => {
    const revoked = new ZohoauthStore({ url: env.ZOHOAUTH_SERVE_URL, apiKey: env.ZOHOAUTH_TEST_REVOKED_KEY });
    const err = await rejectsStore(revoked.findToken(newToken({ userName: user })), keys);
    assert.equal(err.details.status, 401);
    assert.equal(err.details.error, "key_revoked");
  });

  test("saveToken sets the id; findTokenById finds it; deleteToken deletes it, twice", async () => {
    const token = ownToken("1000.NODE1");
    await own.saveToken(token);
    assert.match(String(token.getId()), /^[0-9]+$/);
    const found = await own.findTokenById(token.getId());
    assert.ok(found instanceof OAuthToken);
    assert.equal(found.getId(), token.getId());
    assert.equal(found.getAccessToken(), "1000.at.node");
    assert.equal(found.getRefreshToken(), "1000.rt.node.1000.NODE1"); // this key may see secrets
    assert.equal(found.getUserSignature().getName(), ownUser);
    assert.ok((await own.getTokens()).some((t) => t.getId() === token.getId()));
    await own.deleteToken(token.getId());
    const err = await rejectsStore(own.findTokenById(token.getId()), keys);
    assert.equal(err.details.status, 404);
    assert.equal(err.details.error, "not_found");
    await own.deleteToken(token.getId()); // an unknown id: no error
  });

  test("saveToken merges over the stored token", async () => {
    const token = ownToken("1000.NODE2");
    await own.saveToken(token);
    await own.saveToken(newToken({ id: token.getId(), accessToken: "1000.at.new" }));
    const found = await own.findTokenById(token.getId());
    assert.equal(found.getAccessToken(), "1000.at.new");
    assert.equal(found.getRefreshToken(), "1000.rt.node.1000.NODE2"); // not erased
    await own.deleteToken(token.getId());
  });

  test("findTokenById of an id the key may not see is refused without the token", async () => {
    const token = newToken({ userName: user });
    await store.findToken(token);
    const err = await rejectsStore(own.findTokenById(token.getId()), [token.getAccessToken(), ...keys]);
    assert.equal(err.details.status, 403);
  });

  test("getTokens shows the key's scope without secrets", async () => {
    const tokens = await store.getTokens();
    assert.deepEqual(tokens.map((t) => t.getUserSignature().getName()), [user]);
    for (const t of tokens) {
      assert.ok(t instanceof OAuthToken);
      assert.equal(t.getRefreshToken() ?? null, null);
      assert.equal(t.getClientSecret() ?? null, null);
    }
  });

  test("deleteTokens deletes the key's scope only", async () => {
    await own.saveToken(ownToken("1000.NODE3"));
    await own.saveToken(ownToken("1000.NODE4"));
    await own.deleteTokens();
    assert.deepEqual(await own.getTokens(), []);
    const names = (await writer.getTokens()).map((t) => t.getUserSignature()?.getName());
    assert.ok(names.includes(user), names.join(","));
  });
});

describe("ZohoauthStore against a hostile or absent service", () => {
  const KEY = "zak_111111111111_" + "B".repeat(43);
  const LEAK = "1000.leakedaccesstoken0123456789";
  let server, url, handler, other, otherURL, otherHits;

  const listen = async (fn) => {
    const s = createServer((req, res) => fn(req, res));
    await new Promise((resolve) => s.listen(0, "127.0.0.1", resolve));
    return [s, `http://127.0.0.1:${s.address().port}`];
  };

  before(async () => {
    // One connection a request: a test that leaves an answer unfinished
    // does not spoil the next one's connection.
    [server, url] = await listen((req, res) => {
      res.setHeader("Connection", "close");
      handler(req, res);
    });
    otherHits = [];
    [other, otherURL] = await listen((req, res) => {
      otherHits.push(req.headers.authorization ?? "");
      res.end("{}");
    });
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    other.close();
  });

  const store = (opts = {}) => new ZohoauthStore({ url, apiKey: KEY, ...opts });

  test("an answer that is not JSON is refused without quoting it", async () => {
    handler = (req, res) => res.end(`<html>${LEAK}</html>`);
    const err = await rejectsStore(store().getTokens(), [KEY, LEAK]);
    assert.equal(err.details.status, 200);
    assert.equal(err.details.reason, "the answer is not JSON");
  });

  test("a huge answer is refused, streamed or declared", async () => {
    const mib = Buffer.alloc(1 << 20, "a");
    handler = (req, res) => { // no Content-Length: chunked
      res.write('{"tokens":["');
      const more = (n) => n === 0 ? res.end('"]}') : res.write(mib, () => more(n - 1));
      more(8);
    };
    let err = await rejectsStore(store().getTokens(), [KEY]);
    assert.match(err.details.reason, /exceeds 1048576 bytes/);
    handler = (req, res) => {
      res.setHeader("Content-Length", String(64 << 20));
      res.write("{");
      // and never more: the store must not wait for 64 MiB
    };
    err = await rejectsStore(store().getTokens(), [KEY]);
    assert.match(err.details.reason, /exceeds/);
  });

  test("an answer that is not an object, or a token field that is not a string, is refused and changes nothing", async () => {
    handler = (req, res) => res.end("[1,2]");
    let err = await rejectsStore(store().findTokenById("1"), [KEY]);
    assert.equal(err.details.reason, "the answer is not a JSON object");
    handler = (req, res) => res.end(JSON.stringify({ id: "7", access_token: { nested: LEAK } }));
    const token = newToken({ userName: "ann@example.com:1", accessToken: "1000.mine" });
    err = await rejectsStore(store().findToken(token), [KEY, LEAK]);
    assert.match(err.details.reason, /access_token is not a string/);
    assert.equal(token.getAccessToken(), "1000.mine");
    assert.equal(token.getId() ?? null, null);
    handler = (req, res) => res.end(JSON.stringify({ tokens: {} }));
    err = await rejectsStore(store().getTokens(), [KEY]);
    assert.equal(err.details.reason, "the answer is not a list of tokens");
  });

  test("an error answer keeps its status and code, and a long message is cut", async () => {
    handler = (req, res) => {
      res.statusCode = 503;
      res.end(JSON.stringify({ error: "store_unavailable", message: "x".repeat(10000) }));
    };
    const err = await rejectsStore(store().deleteTokens(), [KEY]);
    assert.equal(err.details.status, 503);
    assert.equal(err.details.error, "store_unavailable");
    assert.equal(err.details.message.length, 200);
  });

  test("a redirect is not followed: the key goes nowhere else", async () => {
    handler = (req, res) => {
      res.statusCode = 307;
      res.setHeader("Location", otherURL + "/v1/tokens");
      res.end();
    };
    const err = await rejectsStore(store().getTokens(), [KEY]);
    assert.equal(err.details.status, 307);
    assert.deepEqual(otherHits, []);
  });

  test("the API key goes in the Authorization header only, and the id is escaped", async () => {
    let seen;
    handler = (req, res) => {
      seen = { url: req.url, auth: req.headers.authorization };
      res.statusCode = 404;
      res.end(JSON.stringify({ error: "not_found", message: "no such token" }));
    };
    await store().deleteToken("1/../../tokens?x=1"); // 404: no error
    assert.equal(seen.url, "/v1/tokens/1%2F..%2F..%2Ftokens%3Fx%3D1");
    assert.equal(seen.auth, "Bearer " + KEY);
  });

  test("a service that does not answer in time fails without the key", async () => {
    handler = () => {}; // never answers
    const err = await rejectsStore(store({ timeout: 200 }).getTokens(), [KEY]);
    assert.equal(err.details.reason, "the token service cannot be reached");
  });

  test("an unreachable service fails with SDKException without the key", async () => {
    const err = await rejectsStore(new ZohoauthStore({ url: "http://127.0.0.1:1", apiKey: KEY, timeout: 5000 }).getTokens(), [KEY]);
    assert.equal(err.details.reason, "the token service cannot be reached");
  });

  test("the constructor refuses a missing key and a URL with credentials, without echoing them", () => {
    const saved = { url: env.ZOHOAUTH_SERVE_URL, key: env.ZOHOAUTH_SERVE_KEY };
    delete env.ZOHOAUTH_SERVE_URL;
    delete env.ZOHOAUTH_SERVE_KEY;
    try {
      assert.throws(() => new ZohoauthStore({ url }), SDKException);
      assert.throws(() => new ZohoauthStore({ apiKey: KEY }), SDKException);
    } finally {
      if (saved.url !== undefined) env.ZOHOAUTH_SERVE_URL = saved.url;
      if (saved.key !== undefined) env.ZOHOAUTH_SERVE_KEY = saved.key;
    }
    for (const bad of ["http://ops:hunter2@127.0.0.1:1", "ftp://127.0.0.1/", "not a url hunter2"]) {
      assert.throws(() => new ZohoauthStore({ url: bad, apiKey: KEY }), (e) => {
        assert.ok(e instanceof SDKException);
        assert.ok(!String(e).includes("hunter2") && !String(e).includes(KEY), String(e));
        return true;
      });
    }
  });

  test("logging the store does not show its key", () => {
    const s = store();
    assert.ok(!inspect(s, { depth: 5 }).includes(KEY));
    assert.ok(!JSON.stringify(s).includes(KEY));
  });
});
