package sandbox

import (
	"errors"
	"strings"
	"testing"
)

func TestKeyLimit(t *testing.T) {
	e := newEnv(t, Config{})
	a, err := e.s.CreateAccount(AccountSpec{Username: "limits"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range MaxKeysPerAccount {
		if _, err := e.s.CreateKey(a.MerchantID, nil); err != nil {
			t.Fatalf("key %d: %v", i+1, err)
		}
	}
	if _, err := e.s.CreateKey(a.MerchantID, nil); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "10 API keys") {
		t.Fatalf("11th key: %v", err)
	}
	var out map[string]any
	if st := e.admin("POST", "/sandbox/accounts/"+a.MerchantID+"/keys", nil, &out); st != 409 || !strings.Contains(out["error"].(string), "maximum") {
		t.Fatalf("admin 11th key: %d %v", st, out)
	}
}
