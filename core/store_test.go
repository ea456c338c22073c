package core_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/filestore"
	"github.com/wallexkit/wallexkit/sandbox"
)

func TestFileStoreSealsTokenAndKeepsNonce(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	path := filepath.Join(t.TempDir(), "cfg", "state.json")
	store, err := filestore.New(path, []byte(e.demo.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(core.WithTokenStore(store), core.WithNonces(store))
	ctx := context.Background()
	tok, err := c.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BasicInfo(ctx); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v %v", fi.Mode(), err)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), strings.TrimPrefix(tok.AccessToken, "Bearer ")) || strings.Contains(string(raw), e.demo.PrivateKey) {
		t.Fatal("plaintext secret in the state file")
	}
	// A second client (another process) reuses the token and continues the nonce sequence.
	store2, _ := filestore.New(path, []byte(e.demo.PrivateKey))
	c2 := e.client(core.WithTokenStore(store2), core.WithNonces(store2))
	if _, err := c2.BasicInfo(ctx); err != nil {
		t.Fatal(err)
	}
	st := e.sb.Stats(e.demo.PublicKey)
	if st.Logins != 1 || st.NonceErrors != 0 {
		t.Fatalf("logins=%d nonce errors=%d, want 1 and 0", st.Logins, st.NonceErrors)
	}
	// A store opened with another secret cannot read the token.
	other, _ := filestore.New(path, []byte("another-secret"))
	if _, ok, _ := other.LoadToken(ctx, c.StoreKey()); ok {
		t.Fatal("token opened with the wrong secret")
	}
	if err := c2.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.LoadToken(ctx, c.StoreKey()); ok {
		t.Fatal("token still stored after logout")
	}
}
