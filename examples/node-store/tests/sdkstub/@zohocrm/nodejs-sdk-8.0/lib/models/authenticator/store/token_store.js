// A minimal stand-in for the SDK's TokenStore base class: the six methods a
// custom store overrides, all async in the SDK's use.
export class TokenStore {
  async findToken(token) { throw new Error("TokenStore.findToken is not implemented"); }
  async saveToken(token) { throw new Error("TokenStore.saveToken is not implemented"); }
  async deleteToken(id) { throw new Error("TokenStore.deleteToken is not implemented"); }
  async getTokens() { throw new Error("TokenStore.getTokens is not implemented"); }
  async deleteTokens() { throw new Error("TokenStore.deleteTokens is not implemented"); }
  async findTokenById(id) { throw new Error("TokenStore.findTokenById is not implemented"); }
}
