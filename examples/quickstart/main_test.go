package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestQuickstart(t *testing.T) {
	var out, logs bytes.Buffer
	if err := run(context.Background(), &out, &logs); err != nil {
		t.Fatalf("%v\nlogs:\n%s", err, logs.String())
	}
	want := "logged in as ann@example.com:700, token id 1\n" +
		"leads: [Ada Lovelace]\n" +
		"after restart: same access token true, token requests to Zoho 0\n" +
		"leads after restart: [Ada Lovelace]\n"
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if strings.Contains(logs.String(), "quickstart-secret") {
		t.Fatal("the client secret was logged")
	}
}
