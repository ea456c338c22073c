//go:build js && wasm

package main

import (
	"context"
	"errors"
	"sync"
	"syscall/js"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/internal/errtext"
	"github.com/wallexkit/wallexkit/internal/jsonw"
	"github.com/wallexkit/wallexkit/internal/timetext"
	"github.com/wallexkit/wallexkit/wasm/internal/jsutil"
)

// jsStorage is a core.TokenStore and core.NonceStore backed by a JS StorageAdapter object
// (getToken, setToken, deleteToken, getNonce, setNonce, each returning a value or a Promise),
// and a core.OpStore (and OpClaimer, under lockOps when given) when it also has getOps, setOp
// and deleteOp. It keeps nothing in Go: a
// service worker may drop this instance at any time.
type jsStorage struct {
	v   js.Value
	ops bool // getOps, setOp, deleteOp are there
}

var storageMethods = [...]string{"getToken", "setToken", "deleteToken", "getNonce", "setNonce"}

var opMethods = [...]string{"getOps", "setOp", "deleteOp"}

func newJSStorage(v js.Value) (*jsStorage, error) {
	if v.Type() != js.TypeObject {
		return nil, &core.ValidationError{Field: "storage", Problem: "must be an object with getToken, setToken, deleteToken, getNonce and setNonce methods"}
	}
	for _, m := range storageMethods {
		if v.Get(m).Type() != js.TypeFunction {
			return nil, &core.ValidationError{Field: "storage." + m, Problem: "must be a function"}
		}
	}
	s := &jsStorage{v: v}
	n := 0
	for _, m := range opMethods {
		if v.Get(m).Type() == js.TypeFunction {
			n++
		}
	}
	switch n {
	case len(opMethods):
		s.ops = true
	case 0:
	default:
		return nil, &core.ValidationError{Field: "storage", Problem: "give all of getOps, setOp and deleteOp (operation records), or none"}
	}
	return s, nil
}

// The ops of a key are stored as one JSON text per op, by id: getOps(key) returns an array of
// those texts (or of objects), setOp(key, id, text) writes one, deleteOp(key, id) removes one.

func (s *jsStorage) SaveOp(ctx context.Context, key string, op core.Op) error {
	var w jsonw.Writer
	writeStoredOp(&w, key, &op)
	b, err := w.Bytes()
	if err != nil {
		return err
	}
	_, err = s.call(ctx, "setOp", key, op.ID, string(b))
	return err
}

func (s *jsStorage) LoadOps(ctx context.Context, key string) ([]core.Op, error) {
	v, err := s.call(ctx, "getOps", key)
	if err != nil || absent(v) {
		return nil, err
	}
	texts, err := storedTexts(v, "getOps")
	if err != nil {
		return nil, err
	}
	m := make(map[string]core.Op, len(texts))
	for i, text := range texts {
		if text == "" {
			continue // null, a number: not a record
		}
		// A record that cannot be read exactly (cut short by a column, a Buffer, a number
		// turned text) is an error, never "no record": skipped, the same request would be sent
		// again and reconcileOp would answer that no client of this store sent it.
		op, err := decodeOp(text)
		if err == nil && op.ID == "" {
			err = errors.New("it has no id")
		}
		if k := storedKeyOf(text); err == nil && k != "" && k != key {
			// A storage that ignores the key (one table for every key): after a key change the
			// old key's record would be reconciled with the new key's nonce fence, which says
			// nothing of the old key's request, and "not found" would be taken as proof.
			err = errors.New("it is a record of another key (" + k + "), setOp stored it under that key: give back only the records of the key asked for")
		}
		if err != nil {
			return nil, errors.New("storage.getOps returned a record (item " + itoa(i) + ") that cannot be read: " + err.Error() +
				"; give back each text setOp stored, whole, as a string (or the object it encodes): until then no money request of this key is sent")
		}
		m[op.ID] = op
	}
	return core.SortOps(m), nil
}

// storedTexts reads what a storage method returned: an array of records, each stored as JSON text
// or as the object itself; anything else in it reads as "" (not a record).
func storedTexts(v js.Value, method string) ([]string, error) {
	if !js.Global().Get("Array").Call("isArray", v).Bool() {
		return nil, errors.New("storage." + method + " returned " + v.Type().String() + ", want an array")
	}
	out := make([]string, v.Length())
	for i := range out {
		switch x := v.Index(i); x.Type() {
		case js.TypeString:
			out[i] = x.String()
		case js.TypeObject:
			out[i] = jsJSON.Call("stringify", x).String()
		}
	}
	return out, nil
}

// claimMu makes ClaimOp's check and write one step for every client of this Go instance;
// the adapter's lockOps, when given, for every process that shares the storage.
var claimMu sync.Mutex

// ClaimOp writes op unless a recorded op conflicts with it, which it returns with the key it is
// recorded under (core.OpClaimer): the same request given to two clients at once (a double
// click, a retried request) is sent once. It looks at key's records, and, when the adapter has
// opKeys() (the store keys it holds records of), at every other key's too: a key rotated or a
// store added while a request of the old key is unsettled, the same request under the new key is
// refused until that one is settled.
func (s *jsStorage) ClaimOp(ctx context.Context, key string, op core.Op, conflict func(storeKey string, o core.Op) bool) (*core.Op, string, error) {
	claimMu.Lock()
	defer claimMu.Unlock()
	unlock, err := s.lock(ctx, "lockOps", key)
	if err != nil {
		return nil, "", err
	}
	defer unlock()
	keys := []string{key}
	if s.v.Get("opKeys").Type() == js.TypeFunction {
		v, err := s.call(ctx, "opKeys")
		if err != nil {
			return nil, "", err
		}
		if !absent(v) {
			others, err := storedTexts(v, "opKeys")
			if err != nil {
				return nil, "", err
			}
			for _, k := range others {
				if k != "" && k != key {
					keys = append(keys, k)
				}
			}
		}
	}
	for _, k := range keys {
		ops, err := s.LoadOps(ctx, k)
		if err != nil {
			return nil, "", err
		}
		for _, o := range ops {
			if conflict(k, o) {
				return &o, k, nil
			}
		}
	}
	return nil, "", s.SaveOp(ctx, key, op)
}

var _ core.OpClaimer = (*jsStorage)(nil)

// lock calls the adapter's method (lockOps, lockJournal, lockNonce), when it has it, and returns
// the release function it resolves to. Given up on while waiting (ctx done), the lock is released
// once it is granted: otherwise it is held for good, and every later call waits on it.
func (s *jsStorage) lock(ctx context.Context, method, arg string) (func(), error) {
	if s.v.Get(method).Type() != js.TypeFunction {
		return func() {}, nil
	}
	p, err := jsutil.Call(s.v, method, arg)
	if err != nil {
		return nil, errtext.Prefix("storage."+method+" failed: ", err)
	}
	release, err := jsutil.Await(ctx, p)
	if err != nil {
		if ctx.Err() != nil && jsutil.IsThenable(p) {
			var then js.Func
			then = js.FuncOf(func(_ js.Value, args []js.Value) any {
				if len(args) > 0 && args[0].Type() == js.TypeFunction {
					args[0].Invoke()
				}
				then.Release()
				return nil
			})
			p.Call("then", then)
		}
		return nil, errtext.Prefix("storage."+method+" failed: ", err)
	}
	if release.Type() != js.TypeFunction {
		return func() {}, nil
	}
	return func() { _, _ = jsutil.Call(release, "call") }, nil
}

func (s *jsStorage) DeleteOp(ctx context.Context, key, id string) error {
	_, err := s.call(ctx, "deleteOp", key, id)
	return err
}

func (s *jsStorage) call(ctx context.Context, method string, args ...any) (js.Value, error) {
	r, err := jsutil.Call(s.v, method, args...)
	if err == nil {
		r, err = jsutil.Await(ctx, r)
	}
	if err != nil {
		return js.Undefined(), errtext.Prefix("storage."+method+" failed: ", err)
	}
	return r, nil
}

func (s *jsStorage) LoadToken(ctx context.Context, key string) (core.Token, bool, error) {
	v, err := s.call(ctx, "getToken", key)
	if err != nil || v.Type() != js.TypeObject {
		return core.Token{}, false, err
	}
	str := func(k string) string {
		if x := v.Get(k); x.Type() == js.TypeString {
			return x.String()
		}
		return ""
	}
	t := core.Token{AccessToken: str("access_token")}
	exp, err := timetext.Parse(timetext.RFC3339, str("expires_at"), time.Local)
	if t.AccessToken == "" || err != nil {
		return core.Token{}, false, nil // unreadable: log in again
	}
	t.ExpiresAt = exp
	t.ObtainedAt, _ = timetext.Parse(timetext.RFC3339, str("obtained_at"), time.Local)
	t.Owner = str("owner")
	return t, true, nil
}

func (s *jsStorage) SaveToken(ctx context.Context, key string, t core.Token) error {
	o := jsObject.New()
	o.Set("access_token", t.AccessToken)
	o.Set("expires_at", t.ExpiresAt.UTC().Format(time.RFC3339Nano))
	o.Set("obtained_at", t.ObtainedAt.UTC().Format(time.RFC3339Nano))
	if t.Owner != "" {
		o.Set("owner", t.Owner) // which key pair logged in for it (core.TokenOwner), not a secret
	}
	_, err := s.call(ctx, "setToken", key, o)
	return err
}

func (s *jsStorage) DeleteToken(ctx context.Context, key string) error {
	_, err := s.call(ctx, "deleteToken", key)
	return err
}

func (s *jsStorage) LoadNonce(ctx context.Context, key string) (int64, error) {
	v, err := s.call(ctx, "getNonce", key)
	if err != nil {
		return 0, err
	}
	n, ok := numberToInt64(v)
	if !ok {
		return 0, errors.New("storage.getNonce returned " + v.Type().String() + ", want a non-negative integer (0 when none)")
	}
	return n, nil
}

func (s *jsStorage) SaveNonce(ctx context.Context, key string, n int64) error {
	_, err := s.call(ctx, "setNonce", key, float64(n))
	return err
}

// LockNonce is core.NonceLocker when the adapter has lockNonce(key): a promise of a release
// function once no other host using the same storage (another tab of the dev page, each with its
// own core over one localStorage) has a nonce-bearing call of key in flight. Held for the whole
// request (spec §4: one nonce-bearing call per key at a time; the API's check is not atomic).
// Without lockNonce (one host, e.g. the extension's service worker) the client's own turn is
// the only one needed.
func (s *jsStorage) LockNonce(ctx context.Context, key string) (func(), error) {
	return s.lock(ctx, "lockNonce", key)
}
