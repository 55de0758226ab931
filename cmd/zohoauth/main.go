// Command zohoauth manages the OAuth 2.0 tokens of Zoho CRM clients: it logs
// users in, keeps their tokens in a store shared with Zoho's SDKs, and hands
// out valid access tokens, refreshing them as needed.
//
// Start offline, with no Zoho account and no server:
//
//	go run ./cmd/zohoauth quickstart
//
// Then, with a client from Zoho's API console:
//
//	export ZOHOAUTH_CLIENT_ID=1000.XXXX ZOHOAUTH_CLIENT_SECRET=...
//	zohoauth login
//	curl -H "Authorization: Zoho-oauthtoken $(zohoauth token)" "https://www.zohoapis.com/crm/v8/Leads?fields=Last_Name"
//
// # Usage
//
//	zohoauth [--store URL] [--keyset FILE] [--accounts-url URL] COMMAND [flags] [args]
//
// Flags and arguments may come in any order; "--" ends the flags. Flags are
// written --name VALUE or --name=VALUE; the few short ones (-X, -H, -i, -h)
// take one dash. Every command takes -h (--help); "zohoauth help COMMAND"
// says the same. A mistyped command gets suggestions.
//
// # Stores
//
// --store (or ZOHOAUTH_STORE, or store in the config file) names the token
// store by URL. The default is a SQLite file private to the user, in the
// user's data directory, whatever the working directory:
// $XDG_DATA_HOME/zohoauth/zohooauth.db, or
// ~/.local/share/zohoauth/zohooauth.db (on macOS
// ~/Library/Application Support/zohoauth/, on Windows
// %LocalAppData%\zohoauth\). Its directory is created 0700 and the file
// 0600 by the first command that saves a token (login, quickstart); a
// command that only reads (list, show, token…) never creates a store, and
// reports that it does not exist yet (list: no tokens; the others: exit 3).
// When ./zohooauth.db (the file of Zoho's SQLite sample store, and this
// command's former default) exists and the default store does not, the
// command says how to use it (--store sqlite:zohooauth.db) or move it
// (zohoauth migrate).
//
//	sqlite:PATH                        SQLite file (sqlite::memory: for a throwaway one)
//	file:PATH                          Zoho's CSV token file (sdk_tokens.txt), shared with Zoho's SDKs
//	mysql://USER[:PASS]@HOST[:PORT]/DB MySQL or MariaDB, Zoho's oauthtoken table (or mysql:DSN)
//	postgres://USER@HOST[:PORT]/DB?sslmode=disable
//	redis://[USER:PASS@]HOST[:PORT][/DB][?prefix=P]
//	memory:                            a map in this process (for tests)
//
// SQL URLs take ?table=NAME for a table other than oauthtoken. A bad URL is
// reported with the part that is wrong; passwords are never printed.
//
// # Commands
//
// login [--client-id ID] [--client-secret S] [--scope S] [--redirect-uri URI] [--dc DC]
// [--no-browser | --device | --grant-token CODE] [--timeout D]
//
// Authorizes the client for a user and saves the token. By default it opens
// Zoho's consent page in the browser (scopes, access_type=offline,
// prompt=consent and a random state), listens on the loopback redirect URI
// (default http://127.0.0.1:8910/callback, which must be registered with the
// client; ZOHOAUTH_REDIRECT_URI), checks the state, takes code, location and
// accounts-server from the redirect, exchanges the code at that accounts
// server, reads the user (email:zgid) and saves.
//
// The browser is $BROWSER when set: a colon-separated list of commands
// tried in turn until one runs, where %s stands for the URL (%% for a
// literal %) or the URL is added last; each is split on spaces and run
// without a shell. Otherwise it is the system's opener (xdg-open, open,
// rundll32). When no browser can be opened — on Linux no display (neither
// DISPLAY nor WAYLAND_DISPLAY set) and no $BROWSER, or the opener fails —
// login says so at once with the alternatives (--device, pasting the
// redirected URL, an ssh -L port forward); on a terminal it then takes the
// pasted URL, and without one it fails at once (exit 2) rather than wait
// out --timeout.
//
// --no-browser prints the consent URL on standard output instead of
// opening a browser, for a browser on another machine: after Accept that
// browser goes to the redirect URI, which it may fail to load; paste its
// URL (or just its code) on standard input. A pasted URL must carry this
// login's state, as the listener checks it: one with another state or
// none, and the consent page's own URL, are refused and the login waits
// for another line; the listener keeps listening meanwhile.
//
// --device logs in with Zoho's device flow, for a machine no browser can
// reach at all: it shows a one-time code and the verification URL on
// standard error, as gh auth login does, waits (polling at the interval
// Zoho gives, one poll per 30 seconds after a slow_down, and the user's
// data center after an other_dc) until the user enters the code on any
// device and approves, and saves the token as the browser flow does. A
// denial or a code that expires (after 5 minutes at Zoho) is exit 4.
//
// --grant-token takes a self-client grant code from the API console instead.
// The client id and secret come from --client-id / ZOHOAUTH_CLIENT_ID and
// ZOHOAUTH_CLIENT_SECRET (or --client-secret, which other users may see in
// ps); the secret is never printed. --dc (ZOHOAUTH_DC, default us) picks the
// data center of the consent page: us, eu, in, cn, jp, au, ca, sa, uk. A
// second login of the same user and client updates the stored token.
//
// token [--user EMAIL | --id ID] [--client-id ID] [--json]
//
// Prints a valid access token, refreshing it first (and saving the new one)
// when it has expired, so that
// curl -H "Authorization: Zoho-oauthtoken $(zohoauth token)" works. --json
// prints {access_token, token_type, expiry, expires_in_seconds, api_domain,
// id, user}. --user takes an e-mail or Zoho's email:zgid; with neither --user
// nor --id, the store must hold exactly one token (of --client-id, if given);
// the same holds for show, refresh, revoke, delete and api.
//
// list [--user EMAIL] [--client-id ID] [--json]
//
// Lists the stored tokens as a table: id, user, client, data center, time
// left on the access token, and which secrets are present (secret, grant,
// refresh, access) — never the secrets themselves.
//
// status [--user EMAIL] [--client-id ID] [--check] [--json]
//
// Shows each stored login, as gh auth status does: the user and client,
// the token's id, the data center, how long the access token stays valid,
// and whether a refresh token is present; when the store keeps lifecycle
// records (every store of the project does), also when the user logged in,
// when the token was last used and refreshed, its failed refreshes since
// the last success (how many, on how many days, the last one and its class)
// and since when it is exhausted (refused until a new login; such a token
// is not OK). --check also asks Zoho
// whether each token still works: one user-info call (the CRM's current
// user) with the access token, which Zoho answers only while the refresh
// token that issued it stands; the access token is refreshed first only
// when it expired, and once when Zoho refuses the call; a refresh Zoho
// refuses means the refresh token is dead, one it grants that it stands
// (even if the user-info call is still refused, as it is for a token
// without the scope ZohoCRM.users.READ). A refreshed token is saved.
// --json prints {store, checked, ok, tokens: [{id, user, email,
// client_id, data_center, api_domain, has_access_token,
// access_token_valid, expiry, expires_in_seconds, has_refresh_token,
// check, refreshed, checked_user, error, zoho_error, lifecycle: {login_at,
// last_used_at, last_refresh_at, last_failure_at, failures, failure_days,
// last_error, exhausted_at}, ok}]}, where check
// is accepted, rejected, no_refresh or failed. The exit code is 0 only
// when every listed token can work: it has a refresh token and, with
// --check, Zoho accepted it; 4 when one cannot (no refresh token, or Zoho
// refused it: run zohoauth login); 5 when none is known bad but a check
// could not reach Zoho; 3 when no token is listed.
//
// show [--user EMAIL | --id ID] [--reveal] [--json]
//
// Shows one token. Secrets are shown as "present (sha256:…)" fingerprints
// unless --reveal is given, which warns on standard error.
//
// refresh [--user EMAIL | --id ID]
//
// Gets a new access token now, whatever the expiry, and saves it.
//
// revoke [--user EMAIL | --id ID]
//
// Revokes the refresh token at Zoho (which revokes its access tokens too),
// then deletes the token from the store. When Zoho cannot be reached or
// refuses, nothing is deleted.
//
// revoke --user EMAIL --all-clients [-y|--yes] [--json]
// revoke --client-id ID --all-users [-y|--yes] [--json]
//
// Central revocation: every token of a user, whatever its client (--user is
// an e-mail address, or Zoho's email:zgid), or every token of a client,
// whatever its user. Each token is revoked at Zoho, then deleted from the
// store, inside its refresh lock. A token Zoho answers it does not know
// (revoked or deleted already) is deleted too; a token Zoho could not be
// asked about (out of reach, 5xx, throttle) is kept and reported, and the
// command exits 7 once it has done the others: run it again to retry
// them. Other processes using the store stop at their next API call: Zoho
// answers 401 to the revoked access tokens and the renewal finds the token
// gone. It asks first on a terminal, saying how many tokens it revokes;
// --yes answers for a script, and without a terminal it refuses (exit 2)
// unless --yes is given. No matching token is exit 3. The report goes to
// standard error, or to standard output as JSON with --json: {"revoked":
// [{"id", "user", "client_id", "refresh", "zoho"}], "failed": [{"id",
// "user", "client_id", "refresh", "stage", "error"}]}, where refresh is a
// fingerprint, zoho is revoked, already_invalid or nothing_to_revoke, and
// stage is lock, zoho or store.
//
// delete (--user EMAIL | --id ID | --all [-y|--yes]) [--client-id ID]
//
// Deletes one token (or, with --all, every token) from the store only; Zoho
// is not told. --all asks first on a terminal, saying how many tokens it
// deletes; --yes answers for a script, and without a terminal --all
// refuses (exit 2) unless --yes is given.
//
// purge --older-than AGE [--dry-run | -y|--yes]
//
// Deletes the tokens whose access token expired more than AGE ago (nothing
// has used them since: every use of an expired token refreshes it), and
// those that can never work again (no refresh token nor grant code) once
// their access token expired more than AGE ago or has no known expiry. AGE is
// a Go duration, or days: 90d, 1d12h. --dry-run only lists them. Otherwise
// it lists them and asks first on a terminal (how many of how many);
// without a terminal it refuses (exit 2) unless --yes is given.
//
// sweep [--dry-run] [--json] [--interval D]
//
// Applies the lifecycle policies of the config file (session_lifetime,
// idle_timeout, failure_days) to every stored token, reading the store a
// page at a time: a token unused (neither used, refreshed nor logged in)
// for idle_timeout is revoked at Zoho, then deleted, inside its refresh
// lock after its record is read again (a use meanwhile keeps it); a token
// Zoho does not confirm revoked (out of reach, 5xx) is kept and reported,
// and the command exits 7 once it has done the others. A token with
// failed refreshes on failure_days days is marked exhausted (refused until
// a new login); a token whose session ended is reported and kept (refused
// when used). A token without a lifecycle record (saved by Zoho's SDK) is
// stamped: its idle time counts from this sweep. Lifecycle records whose
// token is gone (deleted by Zoho's SDK) are removed. One sweep runs per
// interval (--interval, else sweep_interval, else 1h) across every process
// sharing the store: it holds the store's lock zohoauth:sweep until one
// interval after its start; a sweep that finds it held says it was
// skipped (exit 0; JSON "skipped": true). A process that dies mid-sweep
// blocks the next one until that time. --dry-run changes nothing, takes no
// lock and reports what would be done now. The actions go to standard
// error, or as JSON to standard output with --json: {store, dry_run,
// skipped, started, tokens, records, revoked, exhausted, session_ended,
// stamped, removed, failed, items: [{id, user, client_id, policy, action,
// since, error}], truncated, duration_ms}. A store that keeps no lifecycle
// records is exit 2.
//
// migrate --from URL --to URL [--delete-source [-y|--yes]] [--batch N]
//
// Copies every token from one store to another, keeping the ids, in batches
// of N (1000) — one transaction per batch on a store that saves in batches —
// When standard error is a terminal it shows the copy and then the
// verification as done/total with the rate and the time left (the copy's
// total is counted beforehand from a file or memory store, which is held
// whole; from a SQL or Redis store the copy shows the running count, and
// the verification the total copied); nothing when it is not. The copy
// streams: it reads the source a batch at a time in numeric id order
// (zohoauth.Pager: SQL and Redis stores), so a large server store is never
// loaded whole (a file or memory store is read whole, as it is held). The copy
// is idempotent: after a failure, the source is untouched and running the
// same command again completes it. Every source token is then read back from
// the target, a batch at a time, and compared field by field. --delete-source
// deletes the source's tokens only after a complete, verified copy, and only
// if the source did not change meanwhile; on a terminal it asks first
// (saying how many tokens), and without one it refuses before copying
// (exit 2) unless --yes is given. A --from store file that does not exist
// is an error, not an empty store.
//
// --from-keyset FILE and --to-keyset FILE name the keysets of the two
// stores (both default to the global keyset of --keyset; "none" says a
// store is plain), so migrate encrypts a plain store into an encrypted one
// (--from-keyset none --to-keyset FILE) and back (--from-keyset FILE
// --to-keyset none), or moves an encrypted store under another keyset. The
// source is read in migrate mode (plain and encrypted values alike); the
// target is written and verified strictly: every value it holds is
// encrypted, or with none, plain. The verification compares the decrypted
// values.
//
// keys create|rotate|promote|list|retire
//
// Manages the keyset that encrypts the store's secrets (see Encryption at
// rest below). The keyset file is the one of --keyset (or
// ZOHOAUTH_KEYSET_FILE); a keyset held in ZOHOAUTH_KEYSET cannot be
// edited in place: write it to a file (mode 0600), edit that, and set the
// variable from it again.
//
//	keys create [FILE]  writes a new keyset of one key, primary, to FILE (mode 0600, created
//	                    only if it does not exist: it never overwrites a keyset)
//	keys rotate         stages a new key (alias: keys stage): every process can decrypt with
//	                    it, nobody encrypts with it yet; refused while a key is staged
//	keys promote [ID]   makes the staged key (or key ID) primary: new values are encrypted under it
//	keys list [--json]  the keys: id, state (primary, staged, or old), created, promoted; with
//	                    --store (or ZOHOAUTH_STORE), the store's values under each key, and
//	                    its plain values
//	keys retire ID      removes key ID from the keyset; refused (exit 1) while values of the
//	                    store of --store still use it, saying how many, and for the primary key
//
// A Tink keyset holds no dates: create, rotate and promote record them in
// FILE.meta beside the keyset (no key material), which keys list reads.
//
// rekey [--after ID] [--page N]
//
// Re-encrypts every stored value that is not under the primary key of the
// keyset (--keyset), N tokens (500) at a time, each token guarded against a
// concurrent refresh (the store's guarded save, or its lock), each rewrite
// read back and checked; a last walk counts what is left, and when a
// process with an older keyset wrote meanwhile it fails (exit 1) saying to
// run it again. It is idempotent (values already under the primary key are
// left alone) and resumable: an interrupted or failed run says the last id
// it finished, and --after ID skips the tokens up to it. With
// --keyset-mode migrate it also encrypts plain values (a plain store
// encrypted in place); with --keyset-mode unseal it decrypts every value
// instead. On a terminal it shows done/total, the rate and the time left.
//
// serve [--addr HOST:PORT] [--cert FILE --key FILE] [--insecure] [--keys FILE] [--rate R] [--burst N] [--max-body BYTES] [--metrics-public]
//
// Serves valid access tokens, the token store and a web console over HTTP
// to a fleet of services in any language (package tokenserver), until
// interrupted, and prints its URL on standard output: GET
// /v1/token?user=U&client_id=C answers a valid access token, refreshed
// first when needed, once for every caller and every instance over the
// same store; the six token-store operations of Zoho's SDKs are under
// /v1/tokens, POST /v1/revoke revokes; /healthz and /readyz need no key;
// /console/ is the web console (an admin key logs in); /metrics answers
// the metrics (OpenMetrics to a scraper that asks for it, Prometheus's
// text format otherwise) of the token refreshes and store calls, the
// requests by route and status, and the denied and rate-limited calls,
// with no secret and no user name in them. Every other call needs an API
// key (Authorization: Bearer zak_…); /metrics needs a key made with
// --metrics (or --admin), unless --metrics-public opens it without a key
// to callers on loopback, which serve allows only with a loopback --addr
// (otherwise exit 2). --addr (default
// 127.0.0.1:8921) must be loopback unless --cert and --key (PEM files)
// make it HTTPS, or --insecure allows plain HTTP (behind a TLS-terminating
// proxy): otherwise serve refuses to start (exit 2). --rate (50) and
// --burst (100) limit each API key's requests per second; --max-body
// (65536) bounds a request body. --keys FILE (ZOHOAUTH_SERVE_KEYS; default
// serve-keys.json in the data directory) is the API key file (mode 0600,
// refused with exit 2 when looser), re-read when it changes. The store and
// its keyset are those of --store and --keyset.
//
//	serve keys create NAME [--user EMAIL]... [--client ID]... [--secrets] [--admin] [--metrics] [--ttl D] [--key-rate R] [--key-burst N]
//	serve keys list [--json]
//	serve keys revoke ID
//
// create makes an API key for the calling service NAME, prints it once on
// standard output and keeps only its hash; its scope is the users and
// clients it may get tokens of ("*": all), --secrets lets it read refresh
// tokens, grant tokens and client secrets (by default it gets access
// tokens only), --admin lets it use the console and act on every token
// (and read /metrics), --metrics lets it read /metrics (alone, without
// --user and --client: a scraper's key that gets no token), --ttl makes
// it expire, --key-rate and --key-burst give it its own limit.
// list shows the keys (never a key nor its hash); revoke revokes one
// (running services refuse it at their next request; an unknown id is
// exit 3).
//
// api [--user EMAIL | --id ID] [--client-id ID] [-X|--method METHOD] [-H|--header "Name: value"]... [-f|--raw-field key=value]... [-F|--field key=value]... [--input FILE|-] [--paginate] [-i|--include] [--timeout D] [METHOD] PATH
//
// Makes an authenticated request to the CRM API, like gh api: PATH is
// relative to the token's API domain (an absolute URL must be on that
// domain: the token goes nowhere else). Quote a PATH with ? or & for the
// shell: zohoauth api '/crm/v8/Leads?fields=Last_Name'. The token is
// refreshed first when needed, and once more if Zoho answers 401
// INVALID_TOKEN. The method is GET, or POST with --input or a field (-X
// or METHOD sets another; --paginate keeps GET).
//
// -f key=value adds a string field; -F key=value a typed one: true, false,
// null and JSON numbers as such, @FILE the file's content (@- standard
// input), anything else a string. The fields go in the query of a GET,
// HEAD or DELETE (null as an empty value), and with --input in the query
// too; otherwise they make the JSON body, one object of the keys as given
// (no nesting; a repeated key keeps the last value). The body of --input
// is sent as JSON unless -H sets a Content-Type.
//
// The answer's body goes to standard output (-i adds the status line and
// headers first): on a terminal a JSON body is indented and coloured
// (indented and plain when NO_COLOR is set); piped, it is written as it
// came. A body that lacks a final newline gets one. A status of 400 or
// more is said on standard error (zohoauth: HTTP 404 Not Found), exit 6.
//
// --paginate follows the pages of a CRM list (GET only, without -i): while
// an answer's info.more_records is true it asks for the next page with
// page_token set to the answer's info.next_page_token, or, when there is
// none, with page set to info.page + 1. It prints one JSON object holding
// every page's records: {"data": [records, in order], "info": {"count":
// records, "pages": requests made, "more_records": false}}. A 204 (no
// records) ends the walk; an answer without a data array on the first page
// is printed as it is; an error status stops the walk, prints that page's
// body (not the records before it) and exits 6. --timeout applies to each
// page.
//
// emulator [--addr HOST:PORT] [--client-id ID] [--client-secret S] [--redirect-uri URI] [--user EMAIL] [--auto-approve]
//
// Serves the offline Zoho emulator (Zoho Accounts and a little of the CRM
// API: users, org, Leads) on --addr (default 127.0.0.1:8920) until
// interrupted, and prints its URL on standard output. It registers one
// client (ZOHOAUTH_CLIENT_ID and ZOHOAUTH_CLIENT_SECRET, or 1000.EMULATOR and
// emulator-secret) with the redirect URI, and one user. Point the other
// commands at it with --accounts-url or ZOHOAUTH_ACCOUNTS_URL: its banner
// on standard error prints the exports and command lines to try, quoted to
// work as printed in bash (failglob too) and zsh. It also serves the
// device flow (login --device) and its verification page, and pages
// GET /crm/v8/Leads as the CRM does (page and per_page, page_token).
//
// quickstart [--keep]
//
// The whole story offline: starts the emulator in the process, logs in
// (a simulated browser accepts the consent page), adds and reads a lead,
// moves the emulator's clock past the token's expiry, and shows the token
// refreshed and saved in the store (by default the default store). The
// quickstart's token is deleted at the end unless --keep is given.
//
// completion bash|zsh|fish|powershell [--no-descriptions]
//
// Prints the shell completion script: commands, flags, store URL schemes,
// data centers, and the users and ids of the store. To load it in bash:
//
//	source <(zohoauth completion bash)
//
// (zohoauth completion SHELL --help says how to install it for good).
//
// version
//
// Prints the module version, the VCS revision the binary was built from
// (when the build recorded one), the Go version and the platform.
//
// help [COMMAND]
//
// Prints the help of a command (as zohoauth COMMAND --help does), or the
// list of commands.
//
// # Config file
//
// An optional file in the user's config directory,
// $XDG_CONFIG_HOME/zohoauth/config or ~/.config/zohoauth/config (macOS:
// ~/Library/Application Support/zohoauth/config, Windows:
// %AppData%\zohoauth\config), holds defaults, one "key = value" a line,
// '#' for comments:
//
//	store = postgres://app@db.internal/crm?sslmode=verify-full
//	client_id = 1000.XXXX
//	dc = eu
//	accounts_url = http://127.0.0.1:8920
//	session_lifetime = 30d   # a login older than this must log in again
//	idle_timeout = 90d       # sweep revokes and deletes tokens unused this long
//	failure_days = 7         # refreshes failing on 7 days: the token is given up
//	sweep_interval = 1h      # one sweep per hour across the fleet
//
// Durations are Go's (90m, 12h) or whole days (30d); 0 or no key means no
// policy. Every command that uses the tokens applies session_lifetime and
// failure_days; idle_timeout acts through sweep and must be at least 2h
// (uses are recorded hourly). serve applies them too and, when
// sweep_interval is set, sweeps in the background every interval (one
// process of a fleet per interval, as sweep does). A policy on a store that keeps no lifecycle
// records, a misspelt key (the nearest key is suggested) or a bad value is
// exit 2.
//
// The environment variables win over it, and the flags over both. It never
// holds a secret: a client_secret (or any key naming a secret or token),
// or a URL with a password, is refused with exit 2, as are an unknown key
// and a file any user may write; a file its group may write is used with a
// warning.
//
// # Global flags and environment
//
//	--store URL          ZOHOAUTH_STORE         token store (default: zohooauth.db in the data directory)
//	--accounts-url URL   ZOHOAUTH_ACCOUNTS_URL  send every Zoho Accounts call (and the consent
//	                                            page) to this server, e.g. the emulator
//	--client-id          ZOHOAUTH_CLIENT_ID     login, emulator
//	--client-secret      ZOHOAUTH_CLIENT_SECRET login, emulator
//	--redirect-uri       ZOHOAUTH_REDIRECT_URI  login, emulator
//	--dc                 ZOHOAUTH_DC            login
//	--debug              ZOHOAUTH_DEBUG=1       show every HTTP exchange with Zoho on standard
//	                                            error, and the details of an error
//	--keyset FILE        ZOHOAUTH_KEYSET_FILE   the keyset file that encrypts the store's secrets
//	                     ZOHOAUTH_KEYSET        the keyset itself (Tink's JSON keyset, or its base64),
//	                                            not a path
//	--keyset-mode MODE                          strict (default), migrate or unseal
//
// --debug writes each exchange with Zoho (and the CRM API) as it happens:
// the method, the URL, the form fields or JSON sent, the status, the time
// taken and the JSON received. Secrets are redacted everywhere: the values
// of every field named like a secret, a token or a code, in the query, the
// form and the JSON; no header is shown.
//
// # Encryption at rest
//
// With a keyset (--keyset FILE, ZOHOAUTH_KEYSET_FILE=FILE, or the keyset
// itself in ZOHOAUTH_KEYSET), every command that opens the store encrypts
// the client secret, grant, refresh and access tokens it saves and
// decrypts them on the way out (package sealed: Tink's AES-256-SIV); the
// keys are never in the store. The flag wins over the variables; both
// variables at once are refused (exit 2). A keyset file other users may
// read or write is refused (exit 2). The keyset is re-read before each
// write and when a value names a key it lacks, so a running serve follows
// a rotation of a keyset file without a restart. --keyset-mode says how
// plain values are treated: strict (the default) refuses them; migrate
// reads them, and writes encrypt (a store being encrypted in place);
// unseal reads both and writes plain values (a store being decrypted).
// Without a keyset, a command refuses an encrypted value (exit 2) rather
// than send a ciphertext to Zoho. A value under a key the keyset lacks (a
// wrong keyset, a key retired too early) or in the wrong form for the mode
// is exit 2; a value that does not decrypt (changed, or moved from another
// column) is exit 1; either names the token, the field and the key id,
// never a value, and nothing is overwritten.
//
// # Output and exit codes
//
// Results go to standard output (tables, JSON with --json, tokens, API
// answers); messages go to standard error. An error is one line,
// "zohoauth: …", with no stack trace and no secret, that says what to do:
// "no token with id 99 in sqlite:…; zohoauth list shows the ids", a
// refresh token Zoho rejects says to run zohoauth login, Ctrl-C says
// "interrupted". Zoho's error code stays in parentheses, e.g.
// (invalid_code). With --debug a second line gives the whole chain of
// errors; token, list and show with --json write the error as a JSON
// object on standard error instead: {"error", "exit_code", "zoho_error",
// "zoho_call", "http_status", "code", "detail"}. The exit codes are:
//
//	0    success
//	1    any other failure, or a question answered no (nothing was changed)
//	2    bad command line, a store URL that cannot be used, or a store that cannot work as
//	     configured (not Zoho's table, a directory as the file, access denied, a
//	     read-only token file, a keyset that cannot be used or does not hold a value's
//	     key, …), a config file that cannot be used, a destructive command without a
//	     terminal and without --yes, or serve on an address that is not loopback
//	     without TLS or --insecure
//	3    no such token (or the store is empty, or does not exist yet), key or API key
//	4    Zoho refused the client, the grant code or the refresh token: log in again
//	5    the store or Zoho could not be reached, or Zoho's throttle: try again later
//	6    api: the server answered with an HTTP status of 400 or more (the body is printed)
//	7    revoke --all-clients / --all-users: some tokens were not revoked (the others were; the report lists them);
//	     sweep: some actions failed (the tokens concerned are kept; the report lists them)
//	130  interrupted
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
