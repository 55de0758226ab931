// A TokenStore for Zoho's CRM Node.js SDK (@zohocrm/nodejs-sdk-8.0) that
// keeps no token itself: every call goes to a zohoauth token service
// (`zohoauth serve`), which holds the refresh tokens, refreshes once per
// expiry for the whole fleet and hands out valid access tokens.
//
// It implements the six methods of the SDK's TokenStore, async as the SDK
// awaits them. findToken and findTokenById answer with a valid access token
// (the service refreshes it first when needed), so the SDK never refreshes
// by itself; with an API key without the "secrets" permission the service
// never sends the refresh token or the client secret, and the SDK does not
// need them.
//
// Only Node's standard library is used (global fetch, Node 18 or later).
// The SDK is an ES module package; the class and module names below are
// taken from Zoho's documentation and were tested against a stand-in only.

// The SDK's entry point first, so that its modules load in the SDK's own
// order before the four files below are picked out of it.
import "@zohocrm/nodejs-sdk-8.0";
import { OAuthToken } from "@zohocrm/nodejs-sdk-8.0/lib/models/authenticator/oauth_token.js";
import { TokenStore } from "@zohocrm/nodejs-sdk-8.0/lib/models/authenticator/store/token_store.js";
import { UserSignature } from "@zohocrm/nodejs-sdk-8.0/lib/routes/user_signature.js";
import { SDKException } from "@zohocrm/nodejs-sdk-8.0/lib/core/com/zoho/crm/api/exception/sdk_exception.js";

export const TOKEN_STORE = "TOKEN_STORE";

// Messages for store failures, in the manner of Zoho's own stores.
export const GET_TOKEN_ERROR = "Exception in getToken - ZohoauthStore";
export const SAVE_TOKEN_ERROR = "Exception in saveToken - ZohoauthStore";
export const DELETE_TOKEN_ERROR = "Exception in deleteToken - ZohoauthStore";
export const GET_TOKENS_ERROR = "Exception in getTokens - ZohoauthStore";
export const DELETE_TOKENS_ERROR = "Exception in deleteTokens - ZohoauthStore";
export const GET_TOKEN_BY_ID_ERROR = "Exception in getting the token by id - ZohoauthStore";

// The fields of an OAuthToken and their names on the wire (the columns of
// Zoho's token stores).
const FIELDS = [
  ["id", "getId", "setId"],
  ["client_id", "getClientId", "setClientId"],
  ["client_secret", "getClientSecret", "setClientSecret"],
  ["refresh_token", "getRefreshToken", "setRefreshToken"],
  ["access_token", "getAccessToken", "setAccessToken"],
  ["grant_token", "getGrantToken", "setGrantToken"],
  ["expiry_time", "getExpiresIn", "setExpiresIn"],
  ["redirect_url", "getRedirectURL", "setRedirectURL"],
  ["api_domain", "getAPIDomain", "setAPIDomain"],
];

// The fields the service owns: its values replace the token's, because the
// service renews the access token and the SDK must not keep an old one.
const SERVICE_FIELDS = new Set(["access_token", "expiry_time"]);

// The largest answer read from the service by default: a token, or the
// tokens one key may see, is far smaller.
const MAX_ANSWER_BYTES = 1 << 20;

/**
 * A TokenStore over a zohoauth token service.
 */
export class ZohoauthStore extends TokenStore {
  /**
   * @param {object} [options]
   * @param {string} [options.url] the service, e.g. "https://tokens.internal:8921"
   *   (default: the ZOHOAUTH_SERVE_URL environment variable).
   * @param {string} [options.apiKey] this application's API key, "zak_…"
   *   (default: ZOHOAUTH_SERVE_KEY).
   * @param {number} [options.timeout] milliseconds per call (default 30000).
   * @param {number} [options.maxAnswerBytes] the largest answer accepted (default 1 MiB).
   * @throws {SDKException} when the URL or the key is missing, or the URL is
   *   not http(s) or holds credentials.
   */
  constructor({ url, apiKey, timeout = 30000, maxAnswerBytes = MAX_ANSWER_BYTES } = {}) {
    super();
    const raw = url || process.env.ZOHOAUTH_SERVE_URL || "";
    const key = apiKey || process.env.ZOHOAUTH_SERVE_KEY || "";
    if (!raw || !key) {
      throw new SDKException(TOKEN_STORE, "ZohoauthStore needs the service URL and an API key");
    }
    let parsed;
    try {
      parsed = new URL(raw);
    } catch {
      throw new SDKException(TOKEN_STORE, "ZohoauthStore: the service URL is not a URL");
    }
    // Credentials in the URL would be echoed by fetch's own error message.
    if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.username || parsed.password) {
      throw new SDKException(TOKEN_STORE, "ZohoauthStore: the service URL must be http(s) without credentials");
    }
    this.url = parsed.href.replace(/\/+$/, "");
    // Not enumerable: console.log(store) and JSON.stringify(store) do not show it.
    Object.defineProperty(this, "apiKey", { value: key, enumerable: false });
    this.timeout = timeout;
    this.maxAnswerBytes = maxAnswerBytes;
  }

  // The six TokenStore methods.

  /**
   * Fills token with the stored fields and a valid access token and returns
   * it, or null when the service holds no matching token. Anything but an
   * OAuthToken is returned as is.
   */
  async findToken(token) {
    if (!(token instanceof OAuthToken)) {
      return token;
    }
    const { status, answer } = await this.#call("POST", "/v1/tokens/find", toWire(token), GET_TOKEN_ERROR, [200, 404]);
    if (status === 404) {
      return null;
    }
    merge(token, answer, GET_TOKEN_ERROR);
    return token;
  }

  /**
   * Saves token (an upsert that never erases a stored field) and sets the
   * id the service gave it.
   */
  async saveToken(token) {
    if (!(token instanceof OAuthToken)) {
      return;
    }
    const { answer } = await this.#call("POST", "/v1/tokens", toWire(token), SAVE_TOKEN_ERROR);
    if (typeof answer.id === "string" && answer.id !== "") {
      token.setId(answer.id);
    }
  }

  /**
   * Deletes the token with this id; an unknown id is not an error.
   */
  async deleteToken(id) {
    await this.#call("DELETE", "/v1/tokens/" + encodeURIComponent(String(id)), null, DELETE_TOKEN_ERROR, [200, 404]);
  }

  /**
   * Returns every token this API key may see.
   */
  async getTokens() {
    const { answer } = await this.#call("GET", "/v1/tokens", null, GET_TOKENS_ERROR);
    const wires = answer.tokens ?? [];
    if (!Array.isArray(wires)) {
      throw new SDKException(TOKEN_STORE, GET_TOKENS_ERROR, { reason: "the answer is not a list of tokens" });
    }
    return wires.map((wire) => newToken(wire, GET_TOKENS_ERROR));
  }

  /**
   * Deletes every token this API key may manage.
   */
  async deleteTokens() {
    await this.#call("DELETE", "/v1/tokens", null, DELETE_TOKENS_ERROR);
  }

  /**
   * Returns the token with this id, with a valid access token; an unknown
   * id throws SDKException.
   */
  async findTokenById(id) {
    const { answer } = await this.#call("GET", "/v1/tokens/" + encodeURIComponent(String(id)), null, GET_TOKEN_BY_ID_ERROR);
    return newToken(answer, GET_TOKEN_BY_ID_ERROR);
  }

  // HTTP.

  async #call(method, path, body, message, ok = [200]) {
    const headers = { Authorization: "Bearer " + this.apiKey, Accept: "application/json" };
    let data;
    if (body !== null) {
      data = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(this.url + path, {
        method,
        headers,
        body: data,
        // The service never redirects: a redirect is not followed, so the
        // key never goes anywhere else.
        redirect: "manual",
        signal: AbortSignal.timeout(this.timeout),
      });
    } catch (e) {
      // fetch's errors name neither the key nor a token (the URL holds no
      // credentials: the constructor refuses them).
      throw new SDKException(TOKEN_STORE, message, { reason: "the token service cannot be reached" }, e);
    }
    const status = response.status;
    const raw = await this.#read(response, message);
    let answer = {};
    if (raw !== "") {
      try {
        answer = JSON.parse(raw);
      } catch {
        // No cause: V8's SyntaxError quotes the text it could not parse.
        throw new SDKException(TOKEN_STORE, message, { status, reason: "the answer is not JSON" });
      }
    }
    if (answer === null || typeof answer !== "object" || Array.isArray(answer)) {
      throw new SDKException(TOKEN_STORE, message, { status, reason: "the answer is not a JSON object" });
    }
    if (!ok.includes(status)) {
      throw new SDKException(TOKEN_STORE, message, {
        status,
        error: short(answer.error),
        message: short(answer.message),
      });
    }
    return { status, answer };
  }

  // #read returns the answer's body as text, refusing one larger than
  // maxAnswerBytes without reading the rest.
  async #read(response, message) {
    const status = response.status;
    const tooLarge = () => new SDKException(TOKEN_STORE, message, {
      status,
      reason: `the answer exceeds ${this.maxAnswerBytes} bytes`,
    });
    const declared = Number(response.headers.get("content-length"));
    if (declared > this.maxAnswerBytes) {
      await response.body?.cancel().catch(() => {});
      throw tooLarge();
    }
    if (response.body === null) {
      return "";
    }
    const chunks = [];
    let size = 0;
    try {
      for await (const chunk of response.body) {
        size += chunk.byteLength;
        if (size > this.maxAnswerBytes) {
          throw tooLarge(); // leaving the loop cancels the rest of the body
        }
        chunks.push(chunk);
      }
    } catch (e) {
      if (e instanceof SDKException) {
        throw e;
      }
      throw new SDKException(TOKEN_STORE, message, { status, reason: "the answer was cut off" }, e);
    }
    return Buffer.concat(chunks).toString("utf8");
  }
}

// short returns a string of the service's answer cut to 200 characters, or
// null for anything else.
function short(v) {
  return typeof v === "string" ? v.slice(0, 200) : null;
}

function empty(v) {
  return v === null || v === undefined || v === "";
}

// toWire returns the wire form of token: its non-empty fields as strings.
function toWire(token) {
  const wire = {};
  for (const [name, getter] of FIELDS) {
    const value = token[getter]();
    if (!empty(value)) {
      wire[name] = String(value);
    }
  }
  const name = token.getUserSignature()?.getName();
  if (!empty(name)) {
    wire.user_name = String(name);
  }
  return wire;
}

// newToken returns a new OAuthToken of the wire form.
function newToken(wire, message) {
  if (wire === null || typeof wire !== "object" || Array.isArray(wire)) {
    throw new SDKException(TOKEN_STORE, message, { reason: "the answer is not a token" });
  }
  const token = new OAuthToken();
  merge(token, wire, message);
  return token;
}

// merge fills the token's empty fields from wire, as Zoho's stores merge a
// stored row, except the access token and its expiry, which always take the
// service's values. A field that is not a string is refused whole, before
// the token is changed.
function merge(token, wire, message) {
  for (const name of [...FIELDS.map(([n]) => n), "user_name"]) {
    if (wire[name] !== undefined && wire[name] !== null && typeof wire[name] !== "string") {
      throw new SDKException(TOKEN_STORE, message, { reason: `the answer's ${name} is not a string` });
    }
  }
  for (const [name, getter, setter] of FIELDS) {
    const value = wire[name];
    if (empty(value)) {
      continue;
    }
    if (SERVICE_FIELDS.has(name) || empty(token[getter]())) {
      token[setter](value);
    }
  }
  if (!empty(wire.user_name) && token.getUserSignature() == null) {
    token.setUserSignature(new UserSignature(wire.user_name));
  }
}
