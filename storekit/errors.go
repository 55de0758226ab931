package storekit

import "github.com/zohoauth/zohoauth"

// Message texts of Zoho's SDKs (constants.py), kept verbatim so that logs
// and alerts written for the official SDKs still match. The stores use the
// texts of Zoho's DBStore and FileStore as the Message of a
// *zohoauth.Error with Code zohoauth.CodeTokenStore (StoreError); the
// others are the texts of the errors of the authenticator and of the Zoho
// Accounts client.
const (
	MsgGetTokenDB          = "Exception in getToken - DBStore"
	MsgDetailsNotFoundDB   = "Exception in DBStore : Given user authentication details not found."
	MsgSaveTokenDB         = "Exception in save_token - DBStore"
	MsgDeleteTokenDB       = "Exception in delete_token - DBStore"
	MsgGetTokensDB         = "Exception in get_tokens - DBStore"
	MsgDeleteTokensDB      = "Exception in delete_tokens - DBStore"
	MsgGetTokenByIDDB      = "Exception in findTokenById() - DBStore : Given Id is invalid"
	MsgGenerateIDDB        = "Exception in generateId() - DBStore"
	MsgGetTokenFile        = "Exception in get_token - FileStore"
	MsgDetailsNotFoundFile = "Exception in FileStore : Given user authentication details not found."
	MsgSaveTokenFile       = "Exception in save_token - FileStore"
	MsgDeleteTokenFile     = "Exception in delete_token - FileStore"
	MsgGetTokensFile       = "Exception in get_tokens - FileStore"
	MsgDeleteTokensFile    = "Exception in delete_tokens - FileStore"
	MsgTokenIDNotFoundFile = "Exception in FileStore : Given Id not found"
	MsgGetTokenByIDFile    = "Exception in getTokenById - FileStore : Given ID is invalid"

	MsgMandatoryKey         = "Value missing or None for mandatory key(s): "
	MsgNoAccessToken        = "ACCESS TOKEN IS NOT PRESENT IN RESPONSE"
	MsgUserNameNotFound     = "Exception in getToken() - OAuthToken : Given user_name token details not found, Please give required item"
	MsgEnvironment          = "environment must be instance of Environment."
	MsgRevokeToken          = "Exception while revoke the refresh token."
	MsgDetailsNotFound      = "Given user authentication details not found."
	MsgMandatoryKeysOAuth   = `["grant_token","refresh_token","id","access_token"]`
	MsgMandatoryKeysClient  = `["client_id","client_secret"]`
	MsgMandatoryKeysRefresh = `["grant_token","refresh_token"]`
)

// StoreError returns a *zohoauth.Error with Code zohoauth.CodeTokenStore,
// the given Zoho message text, and cause err. Stores use it for every
// failure they report.
func StoreError(msg string, err error) *zohoauth.Error {
	return &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: msg, Err: err}
}

// LockName returns the name of the lock that guards the refresh of the
// stored token with the given id: the authenticator takes it through a
// store's zohoauth.Locker.
func LockName(id string) string { return "zohoauth:token:" + id }
