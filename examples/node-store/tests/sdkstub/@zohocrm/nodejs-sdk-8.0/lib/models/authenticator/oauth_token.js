// A minimal stand-in for the SDK's OAuthToken (@zohocrm/nodejs-sdk-8.0,
// lib/models/authenticator/oauth_token.js): the constructor and the getters
// and setters a TokenStore uses, with the names of Zoho's documentation. The
// real SDK cannot be installed where these tests run.
import { Token } from "./token.js";

export class OAuthToken extends Token {
  constructor(clientID, clientSecret, grantToken, refreshToken, redirectURL = null, id = null,
    accessToken = null, userSignature = null, findUser = true) {
    super();
    this.clientID = clientID;
    this.clientSecret = clientSecret;
    this.grantToken = grantToken;
    this.refreshToken = refreshToken;
    this.redirectURL = redirectURL;
    this.id = id;
    this.accessToken = accessToken;
    this.expiresIn = null;
    this.userSignature = userSignature;
    this.apiDomain = null;
    this.findUser = findUser;
  }
}

// The getters and setters, by the names of Zoho's documentation: getX()
// and setX(v) for each X below, over the field beside it.
for (const [name, field] of [
  ["ClientId", "clientID"], ["ClientSecret", "clientSecret"], ["GrantToken", "grantToken"],
  ["RefreshToken", "refreshToken"], ["RedirectURL", "redirectURL"], ["Id", "id"],
  ["AccessToken", "accessToken"], ["ExpiresIn", "expiresIn"], ["UserSignature", "userSignature"],
  ["APIDomain", "apiDomain"],
]) {
  Object.defineProperty(OAuthToken.prototype, "get" + name, {
    value() { return this[field]; }, writable: true, configurable: true,
  });
  Object.defineProperty(OAuthToken.prototype, "set" + name, {
    value(v) { this[field] = v; }, writable: true, configurable: true,
  });
}
