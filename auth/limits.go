package auth

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/zohoauth/zohoauth"
)

// Zoho's limits on the tokens of one client.
const (
	// MaxRefreshTokens is how many refresh tokens Zoho keeps for one user
	// of one client: the login that makes the 21st deletes the oldest, and
	// its access tokens with it, without telling whoever stored it. So a
	// login that replaces a stored refresh token revokes the old one, and a
	// login past the limit is reported (EventLoginLimit).
	MaxRefreshTokens = 20
	// MaxActiveAccessTokens is how many live access tokens Zoho keeps for
	// one refresh token: the 16th invalidates the oldest. One renewal per
	// token across processes (the store's Locker) keeps a fleet far below
	// it; ten refreshes in ten minutes are Zoho's other limit.
	MaxActiveAccessTokens = 15
)

// logins is the book of the logins an Authenticator made, by user and
// client: how many, and the refresh tokens they minted that it did not
// revoke, oldest first, so that it knows which one Zoho deletes when a
// login passes MaxRefreshTokens.
//
// TODO: the book lives in memory, so each process of a fleet keeps its own
// and a restart forgets it: a login made by another process, or before a
// restart, is not counted. The lifecycle records of zohoauth.LifecycleKeeper
// do not make a fleet-wide count cheap: they are one per stored token id
// (a login of a user already stored updates that token's record), with the
// login's time but neither a count of logins nor the fingerprints of the
// refresh tokens earlier logins minted elsewhere; counting from them would
// take a scan of every token at each login. The count belongs in a record
// keyed by user and client, read and written under the store's lock, which
// no store keeps yet; until then EventLogin and MetricLogins expose every
// login so that a program can keep the fleet's count itself.
type logins struct {
	mu sync.Mutex
	m  map[loginKey]*loginLog
}

type loginKey struct{ user, client string }

type loginLog struct {
	n    int           // logins made
	live []liveRefresh // minted here and not revoked here, oldest first
}

// liveRefresh is a refresh token a login minted: its hash (no secret
// kept) and the store id it was saved under.
type liveRefresh struct {
	sum [32]byte
	fp  string // zohoauth.Fingerprint
	id  string
}

// add records a login of tok that replaced (and revoked, when revoked) the
// refresh token replaced. It returns the number of logins of tok's user
// and client, and the refresh token Zoho deleted because of this login,
// if the book knows one.
func (l *logins) add(tok, replaced *zohoauth.Token, revoked bool) (n int, evicted *liveRefresh) {
	k := loginKey{strings.ToLower(tok.UserName), tok.ClientID}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[loginKey]*loginLog{}
	}
	lg := l.m[k]
	if lg == nil {
		lg = &loginLog{}
		l.m[k] = lg
	}
	lg.n++
	if revoked {
		old := sha256.Sum256([]byte(replaced.RefreshToken))
		for i, r := range lg.live {
			if r.sum == old {
				lg.live = append(lg.live[:i:i], lg.live[i+1:]...)
				break
			}
		}
	}
	lg.live = append(lg.live, liveRefresh{sum: sha256.Sum256([]byte(tok.RefreshToken)), fp: zohoauth.Fingerprint(tok.RefreshToken), id: tok.ID})
	if len(lg.live) > MaxRefreshTokens {
		e := lg.live[0]
		lg.live = lg.live[1:]
		evicted = &e
	}
	return lg.n, evicted
}

// afterLogin is what follows the save of a login's token tok, which
// replaced the stored token replaced (nil if none): the old refresh token
// is revoked at Zoho (a failure is reported, not returned: the login
// succeeded), the login is counted, and a login that made Zoho delete a
// refresh token still stored is reported.
func (a *Authenticator) afterLogin(ctx context.Context, tok, replaced *zohoauth.Token, log *slog.Logger) {
	if tok.RefreshToken == "" {
		return // an access token without a refresh token: nothing at Zoho's limit
	}
	revoked := false
	if replaced != nil && replaced.RefreshToken != "" && replaced.RefreshToken != tok.RefreshToken {
		ev := a.tokenEvent(EventLoginReplaced, tok)
		ev.OldRefresh, ev.OldTokenID = zohoauth.Fingerprint(replaced.RefreshToken), replaced.ID
		if err := a.accounts.Revoke(ctx, replaced, replaced.RefreshToken); err != nil {
			ev.Err = err
			log.Warn("zohoauth: a login replaced a stored refresh token, which was not revoked: it stays live at Zoho", "old_refresh", ev.OldRefresh, "error", err)
		} else {
			revoked = true
			log.Info("zohoauth: a login replaced a stored refresh token; the old one is revoked", "old_refresh", ev.OldRefresh)
			rev := a.tokenEvent(EventRevoked, replaced)
			rev.TokenID = tok.ID
			a.emit(ctx, rev)
		}
		defer a.emit(ctx, ev) // after EventLogin, which carries the count
	}
	if tok.UserName == "" {
		// Zoho's limit is per user; a token whose user is unknown
		// (Options.SkipUserLookup) cannot be counted.
		ev := a.tokenEvent(EventLogin, tok)
		a.emit(ctx, ev)
		a.tel.logins.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(attrClientID.String(tok.ClientID))))
		return
	}
	n, evicted := a.logins.add(tok, replaced, revoked)
	ev := a.tokenEvent(EventLogin, tok)
	ev.Logins = n
	a.emit(ctx, ev)
	a.tel.logins.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(attrClientID.String(tok.ClientID))))
	if evicted == nil || evicted.id == "" || evicted.id == tok.ID {
		return
	}
	stored, err := a.store.FindTokenByID(ctx, evicted.id)
	if err != nil || sha256.Sum256([]byte(stored.RefreshToken)) != evicted.sum {
		return // no longer stored: nothing breaks
	}
	warn := a.tokenEvent(EventLoginLimit, tok)
	warn.OldRefresh, warn.OldTokenID, warn.Logins = evicted.fp, evicted.id, n
	log.Warn("zohoauth: this login passed Zoho's limit of refresh tokens per user and client: Zoho deleted the oldest, which is still stored and will fail to refresh",
		"limit", MaxRefreshTokens, "old_id", evicted.id, "old_refresh", evicted.fp, "logins", n)
	a.emit(ctx, warn)
}
