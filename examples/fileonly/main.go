// Command fileonly lists the tokens of a store named by a URL, offering only
// the file and memory stores: it links no database driver and builds with
// CGO_ENABLED=0.
//
//	go run ./examples/fileonly file:sdk_tokens.txt
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storeurl"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fileonly STORE-URL")
		os.Exit(2)
	}
	if err := run(context.Background(), os.Stdout, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run prints the id and user of every token of the store at rawURL.
func run(ctx context.Context, out io.Writer, rawURL string) error {
	s, err := storeurl.New(filestore.Scheme(), memory.Scheme()).Open(ctx, rawURL)
	if err != nil {
		return err
	}
	defer s.Close()
	toks, err := s.Tokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range toks {
		fmt.Fprintln(out, t.ID, t.UserName)
	}
	return nil
}
