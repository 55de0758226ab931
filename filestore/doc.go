// Package filestore is a zohoauth.Store over a token file in the format of
// Zoho's SDKs ("sdk_tokens.txt"), shared safely by goroutines and processes.
//
// # Format
//
// The file is the FileStore file of Zoho's Python SDK, byte for byte: the
// header
//
//	id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain
//
// then one line per token, in that column order, every line ending in CRLF.
// A field is quoted only when it holds a comma, a double quote, a CR or an
// LF, and a quote inside it is doubled (Python's csv.QUOTE_MINIMAL); an absent
// value is an empty field; expiry_time is epoch milliseconds and user_name is
// "email:zgid". Zoho's SDKs read the file by column position, so the Java,
// Node and TypeScript SDKs read it too.
//
// The store reads every variant the SDKs write: the header with redirect_url
// (Java, Node) or user_mail (TypeScript), LF or CRLF line ends (and the
// CR CR LF of Python on Windows), every field quoted (Java's opencsv), and the
// 9-column file of older SDKs without api_domain, which the first write
// upgrades to 10 columns. A value keeps every byte: commas, quotes, line
// breaks, leading spaces and any UTF-8. Parse and Marshal expose the codec.
//
// A write keeps the file's line breaks: a file whose header line ends in
// LF (as the Java, Node and TypeScript SDKs write it) is written back with
// LF, since Node's reader splits lines at LF only and would keep a CR at the
// end of api_domain; any other file, and a new or empty one, is written with
// CRLF as Python writes it (Python's CR CR LF on Windows becomes CRLF).
//
// A file the store cannot parse (a wrong number of fields, broken quoting, an
// id that is not a number of 1 to 10 digits, a duplicate id, a bad expiry, an
// unknown header) gives an error wrapping a *ParseError that names the line
// and what is wrong, never the content. The store never rewrites such a file,
// so nothing in it is lost; mend or remove it by hand. An empty file and a
// header alone are an empty store.
//
// # Writes and locking
//
// Every change (SaveToken, DeleteToken, DeleteTokens) is a read-modify-write
// of the whole file under an exclusive OS lock (flock(2); LockFileEx on
// Windows) on the separate file "<name>.lock": the token file itself is
// replaced at each write, so it cannot carry the lock. Under the lock the
// store reads the file again if it changed, applies the change, and writes
// the new file atomically: a temporary file in the same directory, fsync,
// rename over the old one, fsync of the directory. A reader, or a crash at
// any point (even SIGKILL), sees the old file or the new one, never a mix;
// temporary files of killed writers are removed by the next writer. Reads
// take no lock. Zoho's SDKs write the file in place and take no lock, so a
// process of theirs writing at the same time as this store can still lose
// an update, as two of theirs can.
//
// A write builds the whole file in memory and writes it with one write(2).
// The store keeps the file it wrote last, line by line, so the next write
// encodes only the lines of the tokens that changed and copies the others
// (the first write after a read encodes every line): at 10,000 tokens a
// save costs about what a bare atomic rewrite of the same bytes costs
// (BenchmarkReportSave).
//
// # Locks and guarded saves
//
// The store is a zohoauth.Locker and a zohoauth.CompareAndSwapper, so that
// the processes sharing the file refresh a token once per expiry. A lock
// named name is a lease file in the directory "<file>.locks" (mode 0700),
// named by the first 128 bits of the name's SHA-256 in hexadecimal, holding
// one fixed-length line: the owner (128 random bits, new at each Lock) and
// the end of the lease in Unix nanoseconds. Taking, extending and releasing
// a lock is each a short read-modify-write of that file under an OS lock
// held only for it, so two processes never both see the lock free. The
// lock itself is the lease, not the OS lock: a holder that crashes (even by
// SIGKILL) or hangs keeps it until its lease runs out, then a waiter takes
// it over, and the old holder's Extend and Unlock fail with
// zohoauth.ErrLockLost. An empty, cut or garbled lease file is a free lock,
// never an error; Unlock leaves the file empty and in place (lease files are
// never removed: removing a file another process has open would split the
// lock between two files, so the directory must stay in place while the
// store is used), and works with a cancelled context. A process stopped
// inside a read-modify-write (SIGSTOP) makes Extend and Unlock fail after
// two seconds rather than hang, and Lock wait on. Waiters watch the lease
// file (inotify, on Linux) and try again when a release writes it, with a
// fallback poll of 250 ms at most and a try at the lease's end; elsewhere,
// or WithoutLockWake, they poll every 10 to 50 ms, jittered. Goroutines of
// one Store are woken by its Unlock at once. Lease times are read from the store's clock (WithClock),
// the system's wall clock by default, which every process sharing the file
// must agree on: a step of the clock shortens or stretches live leases.
// Lease files are not synced: after a power loss an old lease at worst holds
// until it runs out. An uncontended Lock and Unlock costs about four bare
// flock(2) cycles (BenchmarkLock).
//
// SwapToken compares the stored token with the caller's under the write
// lock, on the file read again if it changed, and saves through the same
// path as SaveToken.
//
// # Lifecycle records
//
// The store is a zohoauth.LifecycleKeeper: the records of the tokens live
// in the side file "<file>.lifecycle" (LifecyclePath), never in the token
// file, which Zoho's SDKs keep reading and writing as before. The side file
// is a header line, then one line per record: the id, five times in epoch
// milliseconds (empty for the zero time), the two counts, and last_error
// as a Go quoted string, so a record is one line whatever its reason
// holds. It is rewritten whole, atomically, under the token file's lock,
// with the mode rules of the token file (below); a read-only store
// (ErrReadOnly), or a side file whose owner made it read-only, writes no
// record. A side file that cannot be parsed is reported (*ParseError) and
// never rewritten, and DeleteToken then deletes nothing. DeleteToken
// rewrites the side file after the token file, DeleteTokens removes it: a
// crash between the two writes leaves an orphan record, which
// LifecyclesAfter lists and DeleteLifecycle removes. Zoho's SDKs delete
// tokens without it and leave orphans too; since a new token takes the
// greatest id plus one, as with Zoho's SDKs, a save that creates a token
// first deletes the record of its id (rewriting the side file, durably and
// before the token file, only when a byte search finds a line of that id),
// so the new token never inherits the record of a deleted one.
//
// # File mode
//
// The store writes the file with mode 0600 (WithMode changes it): the file
// holds client secrets and refresh tokens. A file that another program left
// with a looser mode (Python's default 0644, say) gets 0600 at the store's
// first write; a deployment that needs a group to read the file says so with
// WithMode(0o640). A write never widens a mode: a file the user made
// stricter than WithMode keeps its mode. The lock file is created 0600. When
// the file being replaced belongs to another user (root rewriting a user's
// file), the new file is given that owner where the system allows it.
//
// A token file whose mode gives its owner no write permission (chmod u-w,
// 0400, 0440), or one in a directory whose mode gives its owner none, is a
// read-only store: reads work, and every change (and Lock, whose renewal
// could not be saved) fails with an error matching ErrReadOnly, leaving the
// file's bytes and mode as they were. The store goes by the mode bits, not
// by what the system would allow, so a file made read-only stays so for
// root too. In a read-only directory the store creates nothing, not even its
// lock file: reads then check the file every time. A write the system
// refuses (no permission, a read-only file system) also matches ErrReadOnly.
//
// # Reads
//
// The store keeps the parsed file in memory, indexed by every look-up key
// (storekit.Table), and reads the file again only when it changed, so a find
// among 10,000 tokens costs about what it costs in the memory store. A change
// is told by the file's device, inode (a rename gives a new one), size and
// modification time; a file read within 100 ms of its modification time is
// compared by content at the next check, so a rewrite in the same clock tick
// of the same size is seen too. Writers of this package also count their
// writes in the lock file, mapped into memory by every process (on Unix), so
// a read sees the write of another process at once without a system call
// (a writer killed between its rename and its count leaves the others'
// caches behind until the next write or the recheck interval).
// Changes by programs that do not use this package are seen within the
// recheck interval (WithRecheck, one second by default; 0 checks on every
// read).
//
// Zoho's SDKs rewrite the file in place: they truncate it, then write it,
// so a read can meet it empty or half written. A read that finds the file
// changing while it reads it, or a file changed within the last second that
// is empty, does not end with a line break, cannot be parsed, or is shorter
// than the version read before on the same inode, reads it again after
// short pauses (100 ms of pauses at most); if the file has not settled by
// then, the read answers from the last whole version and caches nothing, so
// a token is never reported missing because a rewrite was under way. A
// change (a save or a delete) never writes back a file in that state: it
// waits up to a second for it to settle, and then fails rather than write
// a torn file back. A file that stays empty (or cut short) for longer than
// a second is what it is. What remains unseen: a rewrite caught between two
// of its writes when the first ends at a line break and the part written is
// no shorter than the version read before (for a change: at all), and a
// writer that pauses for more than a second in the middle.
//
// # Walks
//
// The store is a zohoauth.Pager. When it has not loaded the file (a
// migration or an export opens a store only to walk it), TokensAfter
// streams the file instead of loading it: it checks first, reading the file
// 256 KiB at a time, that the version is whole, can be parsed and is in id
// order, as this package and Zoho's SDKs write it (once per version), then
// reads each page where the last one ended, so a walk holds one page of
// tokens and one chunk of the file, whatever the file's size. A file that
// is out of id order, cannot be parsed or changed within the last 100 ms is
// loaded and paged from memory instead, with the errors and waits of any
// read; so is the rest of a walk that meets a rewrite in place. A walk that
// meets a new version (a rename by another writer) goes on in it after the
// last id it returned. DeleteTokens of a file the store has not loaded
// checks it the same way rather than load it.
package filestore
