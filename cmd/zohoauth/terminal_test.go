package main

import (
	"os"
	"testing"
)

// /dev/null is a character device, not a terminal: output redirected there
// gets no progress bar, and input from it is not a user who can answer.
func TestDevNullIsNotATerminal(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("isTerminal(/dev/null) = true")
	}
}
