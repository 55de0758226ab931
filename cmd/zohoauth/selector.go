package main

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// selector picks one stored token: --user, --id, --client-id.
type selector struct {
	user, id, client string
}

// register registers --user, --id and --client-id.
func (sel *selector) register(fs *pflag.FlagSet) {
	fs.StringVar(&sel.user, "user", "", "the token of this user (an `EMAIL`, or Zoho's email:zgid)")
	fs.StringVar(&sel.id, "id", "", "the token with this store `ID`")
	fs.StringVar(&sel.client, "client-id", "", "only tokens of this client (its `ID`)")
}

func (sel *selector) matches(t *zohoauth.Token) bool {
	if sel.client != "" && t.ClientID != sel.client {
		return false
	}
	if sel.user == "" {
		return true
	}
	if strings.Contains(sel.user, ":") {
		return t.UserName == sel.user
	}
	return strings.EqualFold(t.Email(), sel.user)
}

// pick returns the one stored token the selector names. With no --user and
// no --id, the store must hold exactly one token (of --client-id, if given).
//
// where names the store in messages ("sqlite:…", password redacted).
func (sel *selector) pick(ctx context.Context, s zohoauth.Store, where string) (*zohoauth.Token, error) {
	if sel.id != "" {
		if sel.user != "" {
			return nil, usageErrorf("give --user or --id, not both")
		}
		if !storekit.ValidID(sel.id) {
			return nil, usageErrorf("--id %q is not a token id (a number)", sel.id)
		}
		t, err := s.FindTokenByID(ctx, sel.id)
		if errors.Is(err, zohoauth.ErrNotFound) {
			return nil, notFoundf("no token with id %s in %s; zohoauth list shows the ids", sel.id, where)
		}
		if err != nil {
			return nil, err
		}
		if sel.client != "" && t.ClientID != sel.client {
			return nil, notFoundf("token %s of %s belongs to another client than %s; zohoauth list shows the clients", sel.id, where, sel.client)
		}
		return t, nil
	}
	if strings.Contains(sel.user, ":") {
		// Zoho's full user name: the store's own look-up by its index, no
		// scan. Without --client-id it is the user's token with the lowest
		// id, as FindToken finds it.
		t, err := s.FindToken(ctx, &zohoauth.Token{UserName: sel.user, ClientID: sel.client})
		switch {
		case err != nil && !errors.Is(err, zohoauth.ErrNotFound):
			return nil, err
		case err != nil, t.UserName != sel.user, sel.client != "" && t.ClientID != sel.client:
			return nil, notFoundf("no token of %s in %s; zohoauth list shows the users", sel.describe(), where)
		}
		return t, nil
	}
	if sel.user != "" {
		// A bare e-mail: the store's look-up of the user email:zgid, by
		// its index. Several zgids of the e-mail are an ambiguity; an
		// e-mail the store does not hold as it is written (another case)
		// falls through to the scan below.
		t, err := s.FindToken(ctx, &zohoauth.Token{UserName: sel.user, ClientID: sel.client})
		var amb *storekit.AmbiguousError
		switch {
		case errors.As(err, &amb):
			return nil, usageErrorf("%s names more than one user in %s (%s); choose one with --user email:zgid or --id", sel.describe(), where, strings.Join(amb.UserNames, ", "))
		case err != nil && !errors.Is(err, zohoauth.ErrNotFound):
			return nil, err
		case err == nil && sel.matches(t):
			return t, nil
		}
	}
	// A user the look-up did not find, or no choice: a scan.
	all, err := s.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	var found []*zohoauth.Token
	for _, t := range all {
		if sel.matches(t) {
			found = append(found, t)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) == 0 && len(all) == 0:
		return nil, notFoundf("%s holds no token; run zohoauth login first", where)
	case len(found) == 0:
		return nil, notFoundf("no token of %s in %s; zohoauth list shows the users", sel.describe(), where)
	}
	ids := make([]string, 0, len(found))
	for _, t := range found {
		ids = append(ids, t.ID)
	}
	sort.Slice(ids, func(i, j int) bool { return storekit.CompareIDs(ids[i], ids[j]) < 0 })
	if len(ids) > 10 {
		ids = append(ids[:10], "…")
	}
	return nil, usageErrorf("%d tokens match %s (ids %s); choose one with --user or --id", len(found), sel.describe(), strings.Join(ids, ", "))
}

func (sel *selector) describe() string {
	var parts []string
	if sel.user != "" {
		parts = append(parts, "user "+sel.user)
	}
	if sel.client != "" {
		parts = append(parts, "client "+sel.client)
	}
	if len(parts) == 0 {
		return "the store"
	}
	return strings.Join(parts, " and ")
}
