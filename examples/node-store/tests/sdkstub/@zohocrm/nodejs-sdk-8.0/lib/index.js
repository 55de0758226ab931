// A minimal stand-in for the SDK's entry point (lib/index.js of
// @zohocrm/nodejs-sdk-8.0): the store imports it first so that the real SDK
// loads its modules in its own order; here it only re-exports the four
// stand-in classes.
export { OAuthToken } from "./models/authenticator/oauth_token.js";
export { TokenStore } from "./models/authenticator/store/token_store.js";
export { UserSignature } from "./routes/user_signature.js";
export { SDKException } from "./core/com/zoho/crm/api/exception/sdk_exception.js";
