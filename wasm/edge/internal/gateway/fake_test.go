package gateway

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
)

// fakePlatform is an in-memory Platform; api answers the Wallex API.
type fakePlatform struct {
	mu      sync.Mutex
	prices  map[string]string
	tokens  map[string]core.Token
	nonces  map[string]int64
	txns    map[string]string
	seen    map[string]bool
	status  map[string]int
	events  []string
	fwds    []string
	hits    map[string]int
	orders  map[string]string
	idem    map[string][2]string // id -> {claim, rec}
	release int                  // ReleaseLogin calls
	logs    []string
	// commitHook runs inside CommitIPN before its checks (tests interleave another delivery).
	commitHook func()
	api        func(cmd string, form url.Values) (int, string)
	apiCmds    []string
}

func newFake() *fakePlatform {
	f := &fakePlatform{
		prices: map[string]string{}, tokens: map[string]core.Token{}, nonces: map[string]int64{},
		txns: map[string]string{}, seen: map[string]bool{}, status: map[string]int{}, hits: map[string]int{},
		orders: map[string]string{}, idem: map[string][2]string{},
	}
	f.api = func(cmd string, form url.Values) (int, string) {
		switch cmd {
		case "get_basic_info":
			return 200, `{"error":"ok","result":{"username":"demo","merchant_id":"M1","email":"d@example.com","public_name":""}}`
		case "create_transaction":
			return 200, `{"error":"ok","result":{"amount":"0.00040000","txn_id":"CPSBX1","address":"addr1","confirms_needed":"2","timeout":7200,"checkout_url":"https://x/c","status_url":"https://x/s","qrcode_url":"https://x/q"}}`
		case "rates":
			return 200, `{"error":"ok","result":{"BTC":{"is_fiat":0,"accepted":1},"LTC":{"is_fiat":0,"accepted":1},"USD":{"is_fiat":1,"accepted":0},"TRX":{"is_fiat":0,"accepted":0}}}`
		case "get_tx_info":
			return 200, `{"error":"ok","result":{"status":100,"status_text":"Complete","type":"coins","coin":"BTC","amount":40000,"amountf":"0.00040000","received":40000,"receivedf":"0.00040000","recv_confirms":2,"payment_address":"addr1"}}`
		}
		return 200, `{"error":"Unknown command"}`
	}
	return f
}

func (f *fakePlatform) Prices() PriceList             { return fakePrices{f} }
func (f *fakePlatform) Keys(k string) KeyState        { return &fakeKeys{f: f, key: k} }
func (f *fakePlatform) Ledger() Ledger                { return fakeLedger{f} }
func (f *fakePlatform) Limiter(client string) Limiter { return fakeLimiter{f: f, client: client} }
func (f *fakePlatform) Log(msg string)                { f.mu.Lock(); f.logs = append(f.logs, msg); f.mu.Unlock() }
func (f *fakePlatform) Transport() core.Transport     { return core.TransportFunc(f.roundTrip) }
func (f *fakePlatform) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}
func (f *fakePlatform) roundTrip(_ context.Context, r *core.Request) (*core.HTTPResponse, error) {
	form, err := url.ParseQuery(string(r.Body))
	if err != nil {
		return nil, err
	}
	cmd := form.Get("cmd")
	f.mu.Lock()
	f.apiCmds = append(f.apiCmds, cmd)
	f.mu.Unlock()
	if cmd == "login" {
		if form.Get("privatekey") != "priv-secret-1234" {
			return &core.HTTPResponse{Status: 401, Body: []byte(`{"success":"false","message":"Invalid API key pair"}`)}, nil
		}
		return &core.HTTPResponse{Status: 200, Body: []byte(`{"success":"true","result":{"access_token":"Bearer tok123456","expires_at":"2099-01-01 00:00:00"}}`)}, nil
	}
	if r.Header["Authorization"] != "Bearer tok123456" {
		return &core.HTTPResponse{Status: 401, Body: []byte(`{"error":"Invalid token"}`)}, nil
	}
	status, body := f.api(cmd, form)
	return &core.HTTPResponse{Status: status, Body: []byte(body)}, nil
}

type fakePrices struct{ f *fakePlatform }

func (p fakePrices) Price(_ context.Context, sku string) (string, bool, error) {
	v, ok := p.f.prices[sku]
	return v, ok, nil
}

type fakeKeys struct {
	f   *fakePlatform
	key string
}

func (k *fakeKeys) LoadToken(context.Context, time.Duration) (core.Token, bool, error) {
	k.f.mu.Lock()
	defer k.f.mu.Unlock()
	t, ok := k.f.tokens[k.key]
	return t, ok, nil
}
func (k *fakeKeys) SaveToken(_ context.Context, t core.Token, _ time.Time) error {
	k.f.mu.Lock()
	k.f.tokens[k.key] = t
	k.f.mu.Unlock()
	return nil
}
func (k *fakeKeys) ReleaseLogin(context.Context) error {
	k.f.mu.Lock()
	k.f.release++
	k.f.mu.Unlock()
	return nil
}
func (k *fakeKeys) DeleteToken(context.Context) error { return nil }
func (k *fakeKeys) LoadNonce(context.Context) (int64, error) {
	k.f.mu.Lock()
	defer k.f.mu.Unlock()
	return k.f.nonces[k.key], nil
}
func (k *fakeKeys) SaveNonce(_ context.Context, n int64) error {
	k.f.mu.Lock()
	k.f.nonces[k.key] = max(k.f.nonces[k.key], n)
	k.f.mu.Unlock()
	return nil
}
func (k *fakeKeys) NonceCall(ctx context.Context, c *NonceCall) (*NonceResult, error) {
	res, err := k.f.roundTrip(ctx, c.Request)
	if err != nil {
		return &NonceResult{SendError: err.Error()}, nil
	}
	return &NonceResult{Response: res}, nil
}
func (k *fakeKeys) Abandon(context.Context, string) (bool, error) { return true, nil }

type fakeLedger struct{ f *fakePlatform }

func (l fakeLedger) SeenID(_ context.Context, id string) (bool, error) {
	l.f.mu.Lock()
	defer l.f.mu.Unlock()
	return l.f.seen[id], nil
}
func (l fakeLedger) LastStatus(_ context.Context, key string) (int, bool, error) {
	l.f.mu.Lock()
	defer l.f.mu.Unlock()
	s, ok := l.f.status[key]
	return s, ok, nil
}
func (l fakeLedger) CommitIPN(_ context.Context, c *IPNCommit) (IPNCommitResult, error) {
	if h := l.f.commitHook; h != nil {
		l.f.commitHook = nil
		h()
	}
	l.f.mu.Lock()
	defer l.f.mu.Unlock()
	if l.f.seen[c.ID] {
		return IPNCommitResult{Dup: true}, nil
	}
	if c.Key != "" {
		cur, ok := l.f.status[c.Key]
		if ok != c.HasExpect || (ok && cur != c.Expect) {
			return IPNCommitResult{Conflict: true}, nil
		}
		if c.SetStatus {
			l.f.status[c.Key] = c.Status
		}
	}
	l.f.seen[c.ID] = true
	l.f.events = append(l.f.events, c.Event)
	if c.Forward != "" {
		l.f.fwds = append(l.f.fwds, c.Forward)
	}
	return IPNCommitResult{Cursor: int64(len(l.f.events))}, nil
}
func (l fakeLedger) PutTxn(_ context.Context, id, rec string) error {
	l.f.mu.Lock()
	l.f.txns[id] = rec
	l.f.mu.Unlock()
	return nil
}
func (l fakeLedger) GetTxn(_ context.Context, id string) (string, bool, error) {
	l.f.mu.Lock()
	defer l.f.mu.Unlock()
	r, ok := l.f.txns[id]
	return r, ok, nil
}
func (l fakeLedger) GetOrder(_ context.Context, id string) (string, bool, error) {
	l.f.mu.Lock()
	defer l.f.mu.Unlock()
	r, ok := l.f.orders[id]
	return r, ok, nil
}
func (l fakeLedger) PutOrder(_ context.Context, id string, expectV int64, rec string) (bool, string, error) {
	l.f.mu.Lock()
	defer l.f.mu.Unlock()
	cur, ok := l.f.orders[id]
	v := int64(0)
	if ok {
		v = gjson.Get(cur, "v").Int()
	}
	if v != expectV {
		return false, cur, nil
	}
	l.f.orders[id] = strings.TrimSuffix(rec, "}") + `,"v":` + strconv.FormatInt(v+1, 10) + "}"
	return true, "", nil
}
func (l fakeLedger) ClaimIdempotency(_ context.Context, id, claim, rec string, _ time.Duration) (bool, string, error) {
	l.f.mu.Lock()
	defer l.f.mu.Unlock()
	if cur, ok := l.f.idem[id]; ok {
		return false, cur[1], nil
	}
	l.f.idem[id] = [2]string{claim, rec}
	return true, "", nil
}
func (l fakeLedger) SettleIdempotency(_ context.Context, id, claim, rec string) error {
	l.f.mu.Lock()
	defer l.f.mu.Unlock()
	if cur, ok := l.f.idem[id]; ok && cur[0] == claim {
		if rec == "" {
			delete(l.f.idem, id)
		} else {
			l.f.idem[id] = [2]string{claim, rec}
		}
	}
	return nil
}
func (l fakeLedger) Events(context.Context, int64, int) (string, error) {
	return `{"events":[],"next_cursor":"0","has_more":false}`, nil
}

type fakeLimiter struct {
	f      *fakePlatform
	client string
}

func (l fakeLimiter) Hit(_ context.Context, limit int, _ time.Duration) (bool, time.Duration, error) {
	l.f.mu.Lock()
	defer l.f.mu.Unlock()
	l.f.hits[l.client]++
	if l.f.hits[l.client] > limit {
		return false, 30 * time.Second, nil
	}
	return true, 0, nil
}

// testEnv is a full configuration with recognisable secrets.
func testEnv(over map[string]string) func(string) string {
	env := map[string]string{
		EnvAPIURL:         "http://127.0.0.1:1/api",
		EnvPublicKey:      "pub-key-1234",
		EnvPrivateKey:     "priv-secret-1234",
		EnvIPNSecret:      "ipn-secret-1234",
		EnvMerchantID:     "M1",
		EnvGatewayTokens:  "gw-token-aaaa, gw-token-bbbb",
		EnvAllowedOrigins: "https://shop.example",
		EnvForwardURL:     "https://hooks.example/wallex",
		EnvForwardSecret:  "fwd-secret-1234",
		EnvCheckoutSecret: "checkout-secret-1234",
	}
	for k, v := range over {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

func newGateway(t *testing.T, over map[string]string) (*Gateway, *fakePlatform) {
	t.Helper()
	g := New(LoadConfig(testEnv(over)))
	g.now = func() time.Time { return time.Unix(1_800_000_000, 0) }
	return g, newFake()
}

func req(method, target string, header map[string]string, body string) *Request {
	u, err := url.Parse("https://edge.example" + target)
	if err != nil {
		panic(err)
	}
	if header == nil {
		header = map[string]string{}
	}
	return &Request{Method: method, URL: u, Header: header, Body: []byte(body)}
}

var secrets = []string{"priv-secret-1234", "ipn-secret-1234", "gw-token-aaaa", "gw-token-bbbb", "fwd-secret-1234", "checkout-secret-1234", "tok123456"}

// noSecrets fails when an answer or a log line holds a secret.
func noSecrets(t *testing.T, f *fakePlatform, res ...*Response) {
	t.Helper()
	text := strings.Join(f.logs, "\n")
	for _, r := range res {
		text += string(r.Body)
		for k, v := range r.Header {
			text += k + v
		}
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Fatalf("secret %q leaked in %s", s, text)
		}
	}
}

// fakePayments makes f's API keep the payments it creates and list them (get_tx_ids,
// get_tx_info by invoice), as reconcile reads them. The nth create_transaction (from 1) is
// answered by answer(n) when it returns a status, else with a normal payment CPSBX<n>; every
// create is counted as made. Tests may reset creates and created between steps.
type fakePayments struct {
	creates int
	created []string // invoices of payments that exist, CPSBX1, CPSBX2, ...
	// priced: what create_transaction asked for, by invoice: currency1, amount1 (get_tx_info's
	// checkout.currency and checkout.amountf, as the API answers with full=1)
	priced map[string][2]string
	// info: get_tx_info's result of a payment given by the test (a payment button's), by txn_id
	info map[string]string
}

func newFakePayments(f *fakePlatform, answer func(n int) (int, string)) *fakePayments {
	fp := &fakePayments{priced: map[string][2]string{}, info: map[string]string{}}
	api := f.api
	f.api = func(cmd string, form url.Values) (int, string) {
		switch cmd {
		case "create_transaction":
			fp.creates++
			fp.created = append(fp.created, form.Get("invoice"))
			fp.priced[form.Get("invoice")] = [2]string{form.Get("currency1"), form.Get("amount")}
			if answer != nil {
				if status, body := answer(fp.creates); status != 0 {
					return status, body
				}
			}
			return 200, `{"error":"ok","result":{"amount":"0.00040000","txn_id":"CPSBX` + strconv.Itoa(fp.creates) + `","address":"addr1","confirms_needed":"2","timeout":7200,"checkout_url":"https://x/c","status_url":"https://x/s","qrcode_url":"https://x/q"}}`
		case "get_tx_ids":
			out := []string{}
			for i := range fp.created {
				out = append(out, strconv.Quote("CPSBX"+strconv.Itoa(i+1)))
			}
			return 200, `{"error":"ok","result":[` + strings.Join(out, ",") + `]}`
		case "get_tx_info":
			if r, ok := fp.info[form.Get("txid")]; ok {
				return 200, `{"error":"ok","result":` + r + `}`
			}
			i, _ := strconv.Atoi(strings.TrimPrefix(form.Get("txid"), "CPSBX"))
			inv := fp.created[i-1]
			pr := fp.priced[inv]
			return 200, `{"error":"ok","result":{"status":0,"status_text":"Waiting","coin":"BTC","amount":40000,"amountf":"0.00040000","received":0,"receivedf":"0","payment_address":"addr1","checkout":{"invoice":` + strconv.Quote(inv) + `,"currency":` + strconv.Quote(pr[0]) + `,"amountf":` + strconv.Quote(pr[1]) + `}}}`
		case "get_withdrawal_history":
			return 200, `{"error":"ok","result":[]}`
		}
		return api(cmd, form)
	}
	return fp
}
