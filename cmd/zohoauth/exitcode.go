package main

import (
	"context"
	"errors"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storeurl"
)

// Exit codes of the command (documented in the package doc).
const (
	exitOK          = 0   // success
	exitFailure     = 1   // any other failure
	exitUsage       = 2   // bad command line or store URL
	exitNotFound    = 3   // no such token
	exitAuth        = 4   // Zoho refused the client, grant or refresh token: log in again
	exitUnavailable = 5   // store or Zoho unreachable, or Zoho's throttle: try again later
	exitHTTP        = 6   // api: the server answered with a status of 400 or more
	exitPartial     = 7   // revoke --all-clients / --all-users: some tokens were not revoked (the others were); sweep: some actions failed
	exitInterrupted = 130 // interrupted (Ctrl-C)
)

// exitCode maps an error to the command's exit code.
func exitCode(ctx context.Context, err error) int {
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	var (
		ue *usageError
		ce *configError
		se *storeurl.Error
		he *httpStatusError
	)
	switch {
	case errors.As(err, &ue), errors.As(err, &ce), errors.Is(err, auth.ErrPolicyUnsupported), errors.Is(err, auth.ErrInvalidPolicy):
		return exitUsage
	case errors.As(err, &he):
		return exitHTTP
	case ctx.Err() != nil && errors.Is(err, ctx.Err()), errors.Is(err, context.Canceled):
		return exitInterrupted
	case keysetExitCode(err) != 0:
		return keysetExitCode(err)
	case serveExitCode(err) != 0:
		return serveExitCode(err)
	case errors.As(err, &se) && (errors.Is(err, storeurl.ErrBadURL) || errors.Is(err, storeurl.ErrUnknownScheme) || errors.Is(err, storeurl.ErrConfig)),
		errors.Is(err, filestore.ErrReadOnly):
		return exitUsage
	case errors.Is(err, zohoauth.ErrNotFound):
		return exitNotFound
	case errors.Is(err, auth.ErrReauthorize), errors.Is(err, accounts.ErrInvalidCode), errors.Is(err, accounts.ErrInvalidClient),
		errors.Is(err, accounts.ErrInvalidRedirectURI), errors.Is(err, accounts.ErrRejected),
		errors.Is(err, accounts.ErrRevokeFailed), errors.Is(err, accounts.ErrAccessDenied), errors.Is(err, accounts.ErrDeviceExpired):
		return exitAuth
	case errors.Is(err, accounts.ErrTransient), errors.Is(err, accounts.ErrThrottled),
		errors.As(err, &se), errors.Is(err, context.DeadlineExceeded):
		return exitUnavailable
	}
	return exitFailure
}
