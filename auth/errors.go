package auth

import (
	"errors"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/storekit"
)

var (
	// ErrReauthorize reports that the token cannot be renewed without a new
	// authorization (a new grant code, from the consent page or Zoho's API
	// console): Zoho answered invalid_code (the refresh token was revoked or
	// deleted, or the grant code was used or expired), or the access token
	// expired and there is no refresh token. The stored token is kept; the
	// failure is remembered for Options.Cooldown, during which no request
	// is sent to Zoho for that token unless its stored refresh token
	// changes.
	ErrReauthorize = errors.New("authorize again")
	// ErrClosed reports a call on a closed Authenticator.
	ErrClosed = errors.New("auth: authenticator closed")
)

// Permanent reports whether err is a failure that repeating the same
// request will not cure: ErrReauthorize, or Zoho's invalid_client.
func Permanent(err error) bool {
	return errors.Is(err, ErrReauthorize) || errors.Is(err, accounts.ErrInvalidClient) || errors.Is(err, accounts.ErrInvalidRedirectURI)
}

// Temporary reports whether err may pass if the same request is made again
// later: a network failure, a timeout or an HTTP 5xx from Zoho
// (accounts.ErrTransient). Zoho's throttle (accounts.ErrThrottled) is
// neither Temporary nor Permanent: wait, as the remembered failure does.
func Temporary(err error) bool { return errors.Is(err, accounts.ErrTransient) }

// errNoRefreshToken is the cause of ErrReauthorize for an expired token
// without a refresh token.
var errNoRefreshToken = &zohoauth.Error{Code: zohoauth.CodeMandatoryValue, Message: storekit.MsgMandatoryKey + storekit.MsgMandatoryKeysRefresh, Detail: "access token expired and there is no refresh token"}

// ErrLockTimeout reports a renewal that waited Options.LockWait for the
// store lock held by another process, and found no valid token in the
// store afterwards. It is remembered for Options.RetryBackoff.
var ErrLockTimeout = errors.New("auth: timed out waiting for the refresh lock")
