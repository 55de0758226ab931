package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/term"
)

// isTerminal reports whether f (a writer or a reader) is a terminal. A
// character device that is not one, such as /dev/null, is not.
func isTerminal(f any) bool {
	fd, ok := f.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(fd.Fd()))
}

// interactiveTerminal reports whether a user can answer a question:
// standard input and standard error are terminals.
func (a *app) interactiveTerminal() bool {
	return isTerminal(a.stdin) && isTerminal(a.stderr)
}

// errCancelled is a question answered no: nothing was done.
var errCancelled = errors.New("cancelled: nothing was changed")

// confirm asks the user, on a terminal, whether to go on with what (a
// destructive change, with how many tokens it touches). yes (--yes)
// answers for scripts. Without a terminal and without --yes it refuses
// with a usage error (exit 2); an answer other than y or yes is
// errCancelled.
func (a *app) confirm(ctx context.Context, yes bool, what string) error {
	if yes {
		return nil
	}
	if !a.interactive() {
		return usageErrorf("%s: confirm with --yes (standard input is not a terminal)", what)
	}
	fmt.Fprintf(a.stderr, "%s? [y/N] ", upperFirst(what))
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(a.stdin).ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(a.stderr)
		return ctx.Err()
	case line := <-answer:
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return nil
		}
		return errCancelled
	}
}
