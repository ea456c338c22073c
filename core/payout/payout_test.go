package payout_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/core/payout"
	"github.com/wallexkit/wallexkit/sandbox"
)

func TestParse(t *testing.T) {
	data := []byte("\xef\xbb\xbfAddress,Coin,Amount,Note\n" +
		"# a comment\n" +
		"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,btc,0.5,June salary\n" +
		"\n" +
		"ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9,LTC,1.25,\n" +
		"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,BTC,0.50000000,again\n")
	f := payout.Parse("p.csv", data, payout.Options{})
	if len(f.Problems) != 0 {
		t.Fatalf("problems: %v", f.Problems)
	}
	if !f.Header || len(f.Rows) != 3 || f.Hash != payout.Hash(data) || f.Tag != "wk:"+f.Hash[:8] {
		t.Fatalf("file = %+v", f)
	}
	r := f.Rows[0]
	if r.Line != 3 || r.Key != "L3" || r.Currency != "BTC" || r.Amount.Text() != "0.5" || r.Note != "June salary ("+f.Tag+":3)" {
		t.Fatalf("row = %+v", r)
	}
	if f.Rows[1].Note != f.Tag+":5" {
		t.Fatalf("note without memo = %q", f.Rows[1].Note)
	}
	if len(f.Warnings) != 1 || f.Warnings[0].Line != 6 || !strings.Contains(f.Warnings[0].Msg, "line 3") {
		t.Fatalf("warnings = %v", f.Warnings)
	}
	if len(f.Totals) != 2 || f.Totals[0].Currency != "BTC" || f.Totals[0].Amount.Text() != "1" || f.Totals[0].Rows != 2 {
		t.Fatalf("totals = %+v", f.Totals)
	}

	bad := payout.Parse("bad.csv", []byte(strings.Join([]string{
		"bc1q ok,BTC,1",                          // 1: space in address
		"=1+2,BTC,1",                             // 2: formula
		"bc1q,BT C,1",                            // 3: ticker
		"bc1q,BTC,0",                             // 4: zero
		"bc1q,BTC,0.123456789",                   // 5: 9 decimals
		"bc1q,BTC",                               // 6: columns
		"bc1q,XYZ,1",                             // 7: not accepted
		"bc1q,BTC,1," + strings.Repeat("m", 120), // 8: memo too long
		"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,BTC,1,ok",        // 9: fine
		"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb,BTC,1",           // 10: a typo in the address
		"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,BTC,3",           // 11: more than the balance
		"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb,BTC,0.123456789", // 12: a typo and 9 decimals: both said at once
	}, "\n")), payout.Options{Currencies: map[string]bool{"BTC": true}, Balances: map[string]core.Amount{"BTC": core.MustParseAmount("2")}})
	lines := map[int]string{}
	for _, p := range bad.Problems {
		lines[p.Line] = p.Msg
	}
	for line, want := range map[int]string{1: "spaces", 2: "formula", 3: "currency", 4: "greater than zero", 5: "decimals", 6: "columns", 7: "not enabled", 8: "memo is 120 bytes",
		10: "wrong checksum", 11: "more than the BTC balance", 12: "decimals"} {
		if !strings.Contains(lines[line], want) {
			t.Errorf("line %d: %q, want it to mention %q", line, lines[line], want)
		}
	}
	if !strings.Contains(lines[12], "wrong checksum") {
		t.Errorf("line 12: %q, want its address's problem too (every problem of a row at once)", lines[12])
	}
	if len(bad.Problems) != 11 || len(bad.Rows) != 1 {
		t.Fatalf("every bad row at once: %d problems, %d rows", len(bad.Problems), len(bad.Rows))
	}
	if _, err := payout.Open(context.Background(), bad, &payout.MemoryJournal{}, payout.OpenOptions{}); err == nil {
		t.Fatal("Open accepted a file with problems")
	}
	if f := payout.Parse("empty.csv", []byte("address,currency,amount\n"), payout.Options{}); len(f.Problems) != 1 || !strings.Contains(f.Problems[0].Msg, "no payouts") {
		t.Fatalf("empty: %v", f.Problems)
	}
}

func TestResultsCSVDefusesFormulas(t *testing.T) {
	rows := []payout.RowStatus{{Row: payout.Row{Line: 2, Address: "bc1q", Currency: "BTC", Amount: core.MustParseAmount("1"), Memo: "=cmd|' /C calc'!A0"}, State: payout.Failed, Error: "+bad"}}
	got := string(payout.ResultsCSV(rows))
	if !strings.Contains(got, "'=cmd") || !strings.Contains(got, "'+bad") || !strings.HasPrefix(got, "line,address,currency,amount,memo,note,status,withdrawal_id,error\r\n") {
		t.Fatalf("csv = %q", got)
	}
}

// env is a sandbox with a funded demo account.
type env struct {
	t    *testing.T
	sb   *sandbox.Server
	url  string
	demo sandbox.Demo
}

func newEnv(t *testing.T) *env {
	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { ts.Close(); sb.Close() })
	d := sb.Demo()
	if err := sb.SetBalances(d.MerchantID, map[string]string{"BTC": "1000", "LTC": "1000"}); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, sb: sb, url: ts.URL + "/api", demo: d}
}

// client is one tool's client: with nonces (its own store, as a separate program has) or not.
func (e *env) client(nonces bool, opts ...core.Option) *core.Client {
	base := []core.Option{core.WithAPIURL(e.url), core.WithKeys(e.demo.PublicKey, e.demo.PrivateKey),
		core.WithTransport(nethttp.New(nil)), core.WithTimeout(300 * time.Millisecond),
		core.WithFencePause(20 * time.Millisecond), core.WithInFlightWindow(700 * time.Millisecond),
		core.WithRetries(1, time.Millisecond, 5*time.Millisecond)}
	if nonces {
		base = append(base, core.WithNonces(nil))
	}
	c, err := core.New(append(base, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// paidPerNote counts the sandbox's withdrawals by note, read with a fresh client.
func (e *env) paidPerNote(nonces bool) map[string]int {
	c := e.client(nonces, core.WithTimeout(5*time.Second))
	out := map[string]int{}
	for w, err := range c.WithdrawalHistory(context.Background(), nil) {
		if err != nil {
			e.t.Fatal(err)
		}
		out[w.Note]++
	}
	return out
}

func file(t *testing.T, n int, salt string) *payout.File {
	var b strings.Builder
	b.WriteString("address,currency,amount,memo\n")
	for i := range n {
		fmt.Fprintf(&b, "%s,BTC,0.0%d,row %d\n", sandbox.NewAddress("BTC"), 1+i%9, i)
	}
	f := payout.Parse(salt+".csv", []byte(b.String()), payout.Options{})
	if len(f.Problems) > 0 {
		t.Fatal(f.Problems)
	}
	return f
}

// follow runs the file to the end the way a person following the tool's advice would: Step
// while there is work, and when the tool says to wait (in_flight), wait until the time it
// gives and run again. Each "run again" is a new Open on the same journal.
func follow(t *testing.T, ctx context.Context, f *payout.File, j payout.Journal, c *core.Client, batch int) payout.Summary {
	t.Helper()
	session := core.NewOpID() // one person following the advice: one session, as a CLI process is
	for round := 0; round < 8; round++ {
		r, err := payout.Open(ctx, f, j, payout.OpenOptions{RetryFailed: true, Session: session})
		if err != nil {
			t.Fatal(err)
		}
		for {
			res, err := r.Step(ctx, c, payout.StepOptions{Batch: batch})
			if err != nil || !res.More {
				break
			}
		}
		s := r.Summary()
		r.Close()
		switch {
		case s.Done:
			return s
		case s.InFlight > 0:
			time.Sleep(time.Until(s.WaitUntil) + 20*time.Millisecond)
		case s.Ambiguous > 0:
			t.Fatalf("ambiguous rows: %+v", r.Rows())
		default:
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Fatal("the file never finished")
	return payout.Summary{}
}

// sendNext steps a run until it has sent one batch (its answer may be lost), waiting out the holds
// of a journal's first run as a person following the advice would. clock is the run's Now (nil:
// time.Now).
func sendNext(t *testing.T, ctx context.Context, r *payout.Run, c *core.Client, batch int, clock func() time.Time) payout.StepResult {
	t.Helper()
	if clock == nil {
		clock = time.Now
	}
	for range 50 {
		res, err := r.Step(ctx, c, payout.StepOptions{Batch: batch})
		if res.Action == payout.SentBatch {
			return res
		}
		if err != nil {
			t.Fatal(err)
		}
		if res.Action == payout.Finished {
			s := r.Summary()
			if s.Held == 0 {
				t.Fatalf("no batch to send: %+v", s)
			}
			time.Sleep(s.WaitUntil.Sub(clock()) + 20*time.Millisecond)
		}
	}
	t.Fatal("no batch was sent")
	return payout.StepResult{}
}

func assertOnce(t *testing.T, e *env, f *payout.File, nonces bool) {
	t.Helper()
	paid := e.paidPerNote(nonces)
	for _, r := range f.Rows {
		if paid[r.Note] != 1 {
			t.Errorf("line %d paid %d times, want exactly 1", r.Line, paid[r.Note])
		}
	}
}

func TestEveryRowPaidOnce(t *testing.T) {
	e := newEnv(t)
	f := file(t, 60, "all")
	s := follow(t, context.Background(), f, &payout.MemoryJournal{}, e.client(true), 25)
	if s.Sent != 60 || s.SentNow != 60 {
		t.Fatalf("summary = %+v", s)
	}
	assertOnce(t, e, f, true)
	if n := e.sb.Stats(e.demo.PublicKey).ByCmd["create_mass_withdrawal"]; n != 3 {
		t.Fatalf("%d mass withdrawal calls, want 3 batches", n)
	}
}

// Every fault, with and without nonces: following the tool's advice pays each row exactly once.
func TestFaultsNeverPayTwice(t *testing.T) {
	faults := []sandbox.Fault{
		{Kind: sandbox.FaultReset},
		{Kind: sandbox.FaultCommitDrop},
		{Kind: sandbox.FaultCommitStatus},
		{Kind: sandbox.FaultHold, Delay: 900 * time.Millisecond},
	}
	for _, nonces := range []bool{true, false} {
		for _, fl := range faults {
			t.Run(fmt.Sprintf("%s/nonces=%v", fl.Kind, nonces), func(t *testing.T) {
				e := newEnv(t)
				f := file(t, 6, fl.Kind)
				fl.Cmd = "create_mass_withdrawal"
				if err := e.sb.InjectFault(fl); err != nil {
					t.Fatal(err)
				}
				follow(t, context.Background(), f, &payout.MemoryJournal{}, e.client(nonces), 3)
				if fl.Kind == sandbox.FaultHold {
					time.Sleep(fl.Delay) // the held copy has landed (or bounced) by now
				}
				assertOnce(t, e, f, nonces)
			})
		}
	}
}

// dropAfterSending is a journal whose process dies right after a batch's "sending" entries are
// written: later appends of that process are lost.
type dropAfterSending struct {
	payout.Journal
	mu   sync.Mutex
	dead bool
}

func (d *dropAfterSending) Append(ctx context.Context, es []payout.Entry) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dead {
		return errors.New("process gone")
	}
	err := d.Journal.Append(ctx, es)
	if len(es) > 0 && es[0].State == payout.Sending {
		d.dead = true
	}
	return err
}

// A process killed while its batch is held by the network: the next run (a new process, a new
// client) reconciles before sending, and the held batch lands once at most.
func TestKilledMidBatch(t *testing.T) {
	for _, nonces := range []bool{true, false} {
		t.Run(fmt.Sprintf("nonces=%v", nonces), func(t *testing.T) {
			e := newEnv(t)
			f := file(t, 4, fmt.Sprintf("kill%v", nonces))
			j := &payout.MemoryJournal{}
			dying := &dropAfterSending{Journal: j}
			e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 800 * time.Millisecond, Cmd: "create_mass_withdrawal"})
			r, err := payout.Open(context.Background(), f, dying, payout.OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			sendNext(t, context.Background(), r, e.client(nonces), 25, nil) // the held batch; the process "dies"
			r.Close()
			entries, _ := j.Load(context.Background())
			if last := entries[len(entries)-1]; last.State != payout.Sending || (nonces && last.Nonce == 0) || last.Deadline.IsZero() {
				t.Fatalf("journal ends with %+v, want the batch's sending entry with nonce and deadline", last)
			}
			// At once: run it again, as a person would.
			follow(t, context.Background(), f, j, e.client(nonces), 25)
			time.Sleep(900 * time.Millisecond)
			assertOnce(t, e, f, nonces)
		})
	}
}

// A file started in one tool (one journal) and resumed in another (a fresh journal, another
// nonce store) is recognised through the history: no row is paid twice.
func TestResumeInAnotherTool(t *testing.T) {
	for _, nonces := range []bool{true, false} {
		t.Run(fmt.Sprintf("nonces=%v", nonces), func(t *testing.T) {
			e := newEnv(t)
			f := file(t, 9, fmt.Sprintf("x%v", nonces))
			r, _ := payout.Open(context.Background(), f, &payout.MemoryJournal{}, payout.OpenOptions{})
			c1 := e.client(nonces)
			sendNext(t, context.Background(), r, c1, 3, nil) // lines of batch 1
			r.Close()
			s := follow(t, context.Background(), f, &payout.MemoryJournal{}, e.client(nonces), 3)
			if s.Sent != 9 || s.SentNow != 6 || s.Reconciled+s.Earlier != 3 {
				t.Fatalf("summary = %+v, want 3 rows recognised as paid elsewhere", s)
			}
			assertOnce(t, e, f, nonces)
		})
	}
}

func TestOneRunAtATime(t *testing.T) {
	e := newEnv(t)
	f := file(t, 2, "lock")
	j := &payout.MemoryJournal{}
	r, err := payout.Open(context.Background(), f, j, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := payout.Open(ctx, f, j, payout.OpenOptions{}); err == nil {
		t.Fatal("a second run of the same journal opened while the first holds it")
	}
	r.Close()
	if r2, err := payout.Open(context.Background(), f, j, payout.OpenOptions{}); err != nil {
		t.Fatal(err)
	} else {
		r2.Close()
	}
	// A journal of another file is refused.
	other := file(t, 2, "other")
	if _, err := payout.Open(context.Background(), other, j, payout.OpenOptions{}); err == nil || !strings.Contains(err.Error(), "another payout file") {
		t.Fatalf("err = %v", err)
	}
	_ = e
}

// A file larger than one history read (the client's default is 500 items), mostly paid by one
// tool and resumed in another: the second tool's look-up reads the whole window, and no row
// is paid twice.
func TestResumeOfALargeFileInAnotherTool(t *testing.T) {
	e := newEnv(t)
	f := file(t, 600, "large")
	r, err := payout.Open(context.Background(), f, &payout.MemoryJournal{}, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c1 := e.client(true)
	for range 6 { // 6 batches of 92: 552 rows paid
		sendNext(t, context.Background(), r, c1, 92, nil)
	}
	r.Close()
	s := follow(t, context.Background(), f, &payout.MemoryJournal{}, e.client(true), 100)
	if s.Sent != 600 || s.SentNow != 48 {
		t.Fatalf("summary = %+v, want 552 rows recognised as paid elsewhere and 48 sent", s)
	}
	assertOnce(t, e, f, true)
}

// The other tool may resume the file days later: the first look-up of a new journal reaches
// back a week (it reached one day, and a file resumed two days on was paid twice).
func TestResumeInAnotherToolDaysLater(t *testing.T) {
	e := newEnv(t)
	f := file(t, 6, "later")
	r, _ := payout.Open(context.Background(), f, &payout.MemoryJournal{}, payout.OpenOptions{})
	c1 := e.client(true)
	sendNext(t, context.Background(), r, c1, 4, nil) // 4 rows paid
	r.Close()
	later := func() time.Time { return time.Now().Add(48 * time.Hour) }
	r2, err := payout.Open(context.Background(), f, &payout.MemoryJournal{}, payout.OpenOptions{Now: later})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	c2 := e.client(true, core.WithClock(later)) // the other tool's clock: the run's and its client's are one
	sendNext(t, context.Background(), r2, c2, 4, later)
	if _, err := r2.Step(context.Background(), c2, payout.StepOptions{Batch: 4}); err != nil {
		t.Fatal(err)
	}
	if s := r2.Summary(); s.Sent != 6 || s.SentNow != 2 || s.Reconciled != 4 {
		t.Fatalf("summary two days on = %+v, want 4 rows recognised as paid and 2 sent", s)
	}
	assertOnce(t, e, f, true)
}

// gatewayInFront is the edge gateway (wasm/edge) in front of the sandbox, for a client with a
// static token: POST /v1/call/{cmd}, with its Idempotency-Key records (a copy of an answered
// request gets its answer, a closed key 409 idempotency_key_closed, nothing sent), and POST
// /v1/idempotency/close. While hold is set the network holds a create_mass_withdrawal before it
// reaches the gateway (the client's answer is lost); call delivers it later.
type gatewayInFront struct {
	api     *core.Client // the gateway's own client: it holds the keys and orders the nonces
	mu      sync.Mutex
	recs    map[string]string // Idempotency-Key: sending, done or closed
	answers map[string]*core.HTTPResponse
	hold    bool
	held    []*core.Request
	lose    bool // the answer of a create_mass_withdrawal is lost on its way back
	closes  int
}

var jsonHeader = map[string]string{"content-type": "application/json"}

func (g *gatewayInFront) call(r *core.Request) *core.HTTPResponse {
	cmd := r.URL[strings.LastIndexByte(r.URL, '/')+1:]
	key := r.Header["Idempotency-Key"]
	if key != "" {
		g.mu.Lock()
		switch g.recs[key] {
		case "closed":
			g.mu.Unlock()
			return &core.HTTPResponse{Status: 409, Header: jsonHeader, Body: []byte(`{"error":"this Idempotency-Key was closed by a reconcile","code":"idempotency_key_closed","retryable":false}`)}
		case "done":
			defer g.mu.Unlock()
			return g.answers[key]
		case "sending":
			g.mu.Unlock()
			return &core.HTTPResponse{Status: 502, Header: jsonHeader, Body: []byte(`{"error":"in progress","code":"outcome_unknown","retryable":false}`)}
		}
		g.recs[key] = "sending"
		g.mu.Unlock()
	}
	form, _ := url.ParseQuery(string(r.Body))
	fields := core.Fields{}
	for k, v := range form {
		if k != "version" && k != "key" && k != "cmd" && k != "nonce" && k != "format" {
			fields[k] = v[0]
		}
	}
	var hr *core.HTTPResponse
	// not the client's context: its values (core.Journaled) are the client's request's
	if res, err := g.api.Call(context.Background(), cmd, fields); err != nil {
		b, _ := json.Marshal(map[string]string{"error": err.Error()})
		hr = &core.HTTPResponse{Status: 400, Header: jsonHeader, Body: b}
	} else {
		hr = &core.HTTPResponse{Status: res.HTTPStatus, Header: jsonHeader, Body: res.Body}
	}
	if key != "" {
		g.mu.Lock()
		g.recs[key], g.answers[key] = "done", hr
		g.mu.Unlock()
	}
	return hr
}

func (g *gatewayInFront) transport() core.Transport {
	return core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
		if r.Header["Authorization"] != "Bearer GWTOK" {
			return &core.HTTPResponse{Status: 401, Header: jsonHeader, Body: []byte(`{"error":"invalid bearer token"}`)}, nil
		}
		if strings.HasSuffix(r.URL, "/v1/idempotency/close") {
			var body struct{ Key string }
			if json.Unmarshal(r.Body, &body) != nil || body.Key == "" {
				return &core.HTTPResponse{Status: 400, Header: jsonHeader, Body: []byte(`{"error":"bad key"}`)}, nil
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			g.closes++
			switch g.recs[body.Key] {
			case "", "closed":
				g.recs[body.Key] = "closed"
				return &core.HTTPResponse{Status: 200, Header: jsonHeader, Body: []byte(`{"state":"closed"}`)}, nil
			case "done":
				return &core.HTTPResponse{Status: 200, Header: jsonHeader, Body: []byte(`{"state":"done","status":200}`)}, nil
			}
			return &core.HTTPResponse{Status: 200, Header: jsonHeader, Body: []byte(`{"state":"sending"}`)}, nil
		}
		if strings.HasSuffix(r.URL, "/v1/call/create_mass_withdrawal") {
			g.mu.Lock()
			hold := g.hold
			if hold {
				g.held = append(g.held, r)
			}
			g.mu.Unlock()
			if hold {
				return nil, errors.New("connection reset after the request was written")
			}
			if g.lose {
				g.call(r)
				return nil, errors.New("connection reset before the answer")
			}
		}
		return g.call(r), nil
	})
}

// Through the edge gateway (a static token: no nonces, the gateway orders them) a batch whose
// answer is lost is held by the network. Reconciled, its rows waited out the in-flight window,
// were then not_found (unproven) and sent again in a new batch; the held copy, delivered later,
// was a new claim at the gateway and paid them twice. Now the batch's Idempotency-Key (its
// operation id) is closed at the gateway first: its rows are not_found, proven, at once, and the
// held copy is refused (409), nothing sent.
func TestGatewayCloseSettlesALostBatchAtOnce(t *testing.T) {
	e := newEnv(t)
	f := file(t, 3, "gwclose")
	ctx := context.Background()
	g := &gatewayInFront{api: e.client(true, core.WithTimeout(5*time.Second)), recs: map[string]string{}, answers: map[string]*core.HTTPResponse{}}
	c, err := core.New(core.WithAPIURL("https://gw.example/v1/call"), core.WithStaticToken("GWTOK"), core.WithTransport(g.transport()),
		core.WithGatewayCloseURL("https://gw.example/v1/idempotency/close"), core.WithTimeout(300*time.Millisecond),
		core.WithInFlightWindow(700*time.Millisecond), core.WithRetries(1, time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	j := &payout.MemoryJournal{}
	r, err := payout.Open(ctx, f, j, payout.OpenOptions{Session: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	g.hold = true
	sendNext(t, ctx, r, c, 25, nil)
	g.hold = false
	if len(g.held) == 0 {
		t.Fatal("no batch was held")
	}
	entries, _ := j.Load(ctx)
	if last := entries[len(entries)-1]; last.State != payout.Unknown {
		t.Fatalf("journal ends with %+v, want the batch's rows of unknown outcome", last)
	}
	// Reconciled at once: the key closed at the gateway, the rows are proven not sent.
	if _, err := r.Step(ctx, c, payout.StepOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Rows() {
		if p.State != payout.Pending {
			t.Errorf("line %d after reconciling at once: %s (%s), want pending (its batch proven never sent)", p.Line, p.State, p.Error)
		}
	}
	if g.closes != 1 {
		t.Errorf("%d closes at the gateway, want 1 (one batch)", g.closes)
	}
	r.Close()
	// Following the advice pays the rows; then the network delivers the held copy.
	follow(t, ctx, f, j, c, 25)
	if g.closes != 1 {
		// the new session holds the rows: what a held row waits for is a batch sent elsewhere
		t.Errorf("%d closes at the gateway, want 1: a held row's last batch was closed again", g.closes)
	}
	for _, h := range g.held {
		if late := g.call(h); late.Status != 409 {
			t.Errorf("the held batch delivered later: %d %s, want 409 idempotency_key_closed", late.Status, late.Body)
		}
	}
	assertOnce(t, e, f, true)

	// A batch the gateway sent and answered, the answer lost on its way back: the close reports
	// it done, and the history finds its rows (as without the close).
	f2 := file(t, 2, "gwdone")
	j2 := &payout.MemoryJournal{}
	r, err = payout.Open(ctx, f2, j2, payout.OpenOptions{Session: "s2"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	g.lose = true
	sendNext(t, ctx, r, c, 25, nil)
	g.lose = false
	if _, err := r.Step(ctx, c, payout.StepOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Rows() {
		if p.State != payout.Sent || !p.Reconciled {
			t.Errorf("line %d of a batch sent and answered: %s (%s), want sent, found by reconciling", p.Line, p.State, p.Error)
		}
	}
	if g.closes != 2 {
		t.Errorf("%d closes at the gateway, want 2", g.closes)
	}
	assertOnce(t, e, f2, true)
}

// A batch whose items the answer refuses in words while naming their withdrawal ids (an API that
// acted) is not a batch of refused rows: followed to the end with "Retry refused rows", each row
// is paid once. Such rows are unknown and reconciled, found as sent.
func TestAnItemRefusedWhileNamingItsIDIsNotSentAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := file(t, 4, "unclear-refusal")
	first := true
	tr := rewriteMassItems(func(res map[string]any) {
		if first { // the first batch only
			first = false
			for _, it := range res {
				it.(map[string]any)["error"] = "Invalid address"
			}
		}
	})
	c := e.client(true, core.WithTransport(tr))
	j := &payout.MemoryJournal{}
	r, err := payout.Open(ctx, f, j, payout.OpenOptions{Session: "S1"})
	if err != nil {
		t.Fatal(err)
	}
	res := sendNext(t, ctx, r, c, 2, nil)
	for _, p := range r.Rows() {
		if slices.Contains(res.Lines, p.Line) && p.State != payout.Unknown {
			t.Errorf("line %d after its batch's unclear refusal: %s (%s), want unknown", p.Line, p.State, p.Error)
		}
	}
	r.Close()
	s := follow(t, ctx, f, j, c, 2)
	if s.Failed > 0 {
		t.Errorf("summary %+v: rows the API made were called refused", s)
	}
	checkOnce(t, e, f, true)
	if paid := e.paidPerNote(true); len(paid) != len(f.Rows) {
		t.Errorf("paid %v, want each of the %d rows once", paid, len(f.Rows))
	}
}

// A payout the API refuses every time in an unclear way (an empty reason: not a plain refusal) is
// unknown after each batch, and the look-up proves it was not carried out. It is then a refused
// row, which "Retry refused rows" sends again on the person's word: not a pending row the run
// sends again by itself, batch after batch, for ever (the CLI's mass-withdraw and the console's
// Confirm loop while the run says there is more).
func TestAnItemRefusedUnclearlyEveryTimeIsNotSentForEver(t *testing.T) {
	// an empty reason, or (the same loop before) the item left out of every answer
	for _, leftOut := range []bool{false, true} {
		t.Run(map[bool]string{false: "empty reason", true: "item left out"}[leftOut], func(t *testing.T) {
			itemRefusedUnclearlyEveryTime(t, leftOut)
		})
	}
}

func itemRefusedUnclearlyEveryTime(t *testing.T, leftOut bool) {
	e := newEnv(t)
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("address,currency,amount,memo\n")
	fmt.Fprintf(&b, "%s,BTC,0.01,row a\n", sandbox.NewAddress("BTC"))
	fmt.Fprintf(&b, "%s,BTC,5000,row b\n", sandbox.NewAddress("BTC")) // more than the balance: refused
	f := payout.Parse("unclear-every-time.csv", []byte(b.String()), payout.Options{})
	if len(f.Problems) > 0 {
		t.Fatal(f.Problems)
	}
	n := 0 // create_mass_withdrawal calls
	tr := rewriteMassItems(func(res map[string]any) {
		n++
		for k, it := range res {
			if o := it.(map[string]any); o["error"] != "ok" {
				o["error"] = "" // refused, without a reason
				if leftOut {
					delete(res, k)
				}
			}
		}
	})
	c := e.client(true, core.WithTransport(tr))
	j := &payout.MemoryJournal{}
	r, err := payout.Open(ctx, f, j, payout.OpenOptions{Session: "S1"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for range 40 {
		res, err := r.Step(ctx, c, payout.StepOptions{Batch: 2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Action == payout.Finished {
			s := r.Summary()
			if s.Held == 0 && s.InFlight == 0 {
				break
			}
			time.Sleep(time.Until(s.WaitUntil) + 20*time.Millisecond)
			continue
		}
		if !res.More || n > 4 {
			break
		}
	}
	s := r.Summary()
	if n > 2 {
		t.Errorf("create_mass_withdrawal sent %d times by the run itself: the refused row is sent again and again (%+v)", n, s)
	}
	if s.Failed != 1 || s.Sent != 1 || s.Unknown != 0 {
		t.Errorf("summary %+v: want one row sent and the other refused (not carried out, by the look-up)", s)
	}
	for _, p := range r.Rows() {
		if p.State == payout.Failed && !strings.Contains(p.Error, "not carried out") {
			t.Errorf("line %d refused with %q: it should say the look-up found it not carried out", p.Line, p.Error)
		}
	}
	if paid := e.paidPerNote(true); len(paid) != 1 {
		t.Errorf("paid %v, want only the first row", paid)
	}
}

// A journal of a newer wallexkit (a format this version does not read) is refused, nothing sent;
// and an entry in a state this version does not know makes its row unknown (looked up), never
// leaves it pending to be sent again.
func TestAJournalOfANewerVersion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := file(t, 2, "newer-journal")
	c := e.client(true)
	newer := &payout.MemoryJournal{}
	if err := newer.Append(ctx, []payout.Entry{{V: payout.JournalVersion + 1, File: f.Name, SHA256: f.Hash, Rows: 2, At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := payout.Open(ctx, f, newer, payout.OpenOptions{}); err == nil || !strings.Contains(err.Error(), "newer wallexkit") {
		t.Fatalf("a newer journal opened: %v", err)
	}
	j := &payout.MemoryJournal{}
	if err := j.Append(ctx, []payout.Entry{{V: payout.JournalVersion, File: f.Name, SHA256: f.Hash, Rows: 2, At: time.Now()},
		{Line: f.Rows[0].Line, State: "handed_over"}}); err != nil {
		t.Fatal(err)
	}
	r, err := payout.Open(ctx, f, j, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if p := r.Rows()[0]; p.State != payout.Unknown {
		t.Fatalf("a row in a state this version does not know: %s, want unknown (looked up before anything is sent)", p.State)
	}
	if res, err := r.Step(ctx, c, payout.StepOptions{Batch: 5}); err != nil || res.Action == payout.SentBatch {
		t.Fatalf("first step = %+v, %v: a row of unknown outcome is looked up first", res, err)
	}
}

// rewriteMassItems is a transport to the sandbox that lets edit change the items of each
// create_mass_withdrawal answer (its result, keyed by payout) after the API carried the batch out.
func rewriteMassItems(edit func(res map[string]any)) core.Transport {
	inner := nethttp.New(nil)
	return core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
		hr, err := inner.RoundTrip(ctx, r)
		if err == nil && strings.HasSuffix(r.URL, "/create_mass_withdrawal") {
			var m map[string]any
			if json.Unmarshal(hr.Body, &m) == nil {
				if res, ok := m["result"].(map[string]any); ok {
					edit(res)
				}
				hr.Body, _ = json.Marshal(m)
			}
		}
		return hr, err
	})
}
