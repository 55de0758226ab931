package tokenserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/tokenserver"
)

// TestCheckAddr: loopback is always allowed; anything else needs TLS or
// Insecure.
func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr          string
		tls, insecure bool
		ok            bool
	}{
		{"127.0.0.1:8921", false, false, true},
		{"[::1]:8921", false, false, true},
		{"localhost:8921", false, false, true},
		{"127.9.9.9:1", false, false, true},
		{"0.0.0.0:8921", false, false, false},
		{":8921", false, false, false},
		{"[::]:8921", false, false, false},
		{"10.0.0.5:8921", false, false, false},
		{"tokens.internal:8921", false, false, false},
		{"localhost.evil.example:8921", false, false, false},
		{"0.0.0.0:8921", true, false, true},
		{"0.0.0.0:8921", false, true, true},
	}
	for _, tt := range tests {
		err := tokenserver.CheckAddr(tt.addr, tt.tls, tt.insecure)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, tokenserver.ErrInsecure)) {
			t.Errorf("CheckAddr(%q, tls %v, insecure %v) = %v", tt.addr, tt.tls, tt.insecure, err)
		}
	}
	if err := tokenserver.CheckAddr("nonsense", false, false); err == nil {
		t.Error("CheckAddr(nonsense) = nil")
	}
}

func newServer(t *testing.T, cfg tokenserver.Config) *tokenserver.Server {
	t.Helper()
	st := memory.New()
	a := mustNew(st, auth.Options{})
	t.Cleanup(func() { a.Close() })
	keys, err := tokenserver.OpenKeyFile(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := tokenserver.New(st, a, keys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestListenRefusesPlainHTTPOnTheNetwork: Listen refuses a non-loopback
// address without TLS before listening, and accepts it with Insecure.
func TestListenRefusesPlainHTTPOnTheNetwork(t *testing.T) {
	ctx := context.Background()
	if _, err := newServer(t, tokenserver.Config{Addr: "0.0.0.0:0"}).Listen(ctx); !errors.Is(err, tokenserver.ErrInsecure) {
		t.Fatalf("Listen(0.0.0.0) = %v", err)
	}
	ln, err := newServer(t, tokenserver.Config{Addr: "0.0.0.0:0", Insecure: true}).Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if _, err := tokenserver.New(memory.New(), mustNew(memory.New(), auth.Options{}), nil, tokenserver.Config{}); err == nil {
		t.Error("New without a key file succeeded")
	}
}

// TestServeTLS: with a certificate the service speaks HTTPS only, and
// Serve returns nil when its context ends.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	s := newServer(t, tokenserver.Config{Addr: "127.0.0.1:0", CertFile: certFile, KeyFile: keyFile})
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := s.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	resp, err := c.Get("https://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("https /healthz: %d", resp.StatusCode)
	}
	if resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered 200 on a TLS listener")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel: %v", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tokenserver test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
