package main

import "strings"

// shellQuote quotes s for bash and zsh: as it is when it is made of
// characters neither shell expands anywhere in a word (letters, digits and
// _ . / : , = @ % + -), else in single quotes. A URL with ? or & is
// quoted: an unquoted ? is a glob, which bash with failglob and zsh refuse
// when nothing matches.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:,=@%+-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellJoin quotes each word and joins them with spaces.
func shellJoin(words ...string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = shellQuote(w)
	}
	return strings.Join(q, " ")
}
