//go:build js && wasm

package main

import (
	"errors"
	"strconv"
	"syscall/js"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/internal/jsonw"
)

// install puts what globalThis.wallexkit offers (besides version) on api. All but call report
// invalid fields by their JS option names; the client methods reject with not_configured
// before configure.
func install(api js.Value) {
	for _, f := range functions {
		api.Set(f.name, async(jsNamed(f.fn)))
	}
	for _, m := range clientMethods {
		api.Set(m.name, async(jsNamed(withClient(m.fn))))
	}
	api.Set("call", async(withClient(call)))
}

// functions need no client. (Tables, not maps: a map literal is code that runs, and code is
// what a WebAssembly build is made of.)
var functions = [...]struct {
	name string
	fn   handler
}{
	{"configure", configure},
	{"createClient", createClient},
	{"payoutParse", payoutParse},
	{"checkAddress", checkAddress},
	{"withdrawalSplit", withdrawalSplit},
	{"newReference", newReference},
	{"fiatValue", fiatValue},
	{"fiatValues", fiatValues},
	{"fiatTotal", fiatTotal},
	{"paymentUri", paymentURI},
	{"verifyIpn", verifyIPN},
}

// jsNamed reports invalid fields by their JS option names.
func jsNamed(h handler) handler {
	return func(args []js.Value) (any, error) {
		v, err := h(args)
		return v, jsFieldNames(err)
	}
}

// clientMethods are the functions of one client: of the configured one on globalThis.wallexkit,
// of its own on each object createClient returns.
var clientMethods = [...]struct {
	name string
	fn   func(*core.Client, []js.Value) (any, error)
}{
	{"login", login},
	{"logout", logout},
	{"session", session},
	{"basicInfo", basicInfo},
	{"balances", balances},
	{"depositAddress", depositAddress},
	{"rates", rates},
	{"createTransaction", createTransaction},
	{"callbackAddress", callbackAddress},
	{"txInfo", txInfo},
	{"txInfoMulti", txInfoMulti},
	{"txIds", txIDs},
	{"createTransfer", createTransfer},
	{"createWithdrawal", createWithdrawal},
	{"createMassWithdrawal", createMassWithdrawal},
	{"convert", convert},
	{"withdrawalHistory", withdrawalHistory},
	{"withdrawalInfo", withdrawalInfo},
	{"reconcile", reconcile},
	{"reconcileOp", reconcileOp},
	{"ops", listOps},
	{"forgetOp", forgetOp},
	{"payoutStatus", payoutStatus},
	{"payoutStep", payoutStep},
	{"statement", statementOf},
}

// createClient(options) makes an independent client (configure's options) and resolves with an
// object holding its methods, plus storeKey and close(). Clients share nothing but the Go
// instance: each has its own keys, token and nonce order (through its storage). close()
// releases its functions; calling one afterwards throws.
func createClient(args []js.Value) (any, error) {
	c, host, err := newClient(args)
	if err != nil {
		return nil, err
	}
	mu.Lock()
	if host != nil {
		hostStorage[c] = host
	}
	mu.Unlock()
	obj := jsObject.New()
	obj.Set("storeKey", c.StoreKey())
	var funcs []js.Func
	bind := func(name string, h handler) {
		f := async(h)
		funcs = append(funcs, f)
		obj.Set(name, f)
	}
	for _, m := range clientMethods {
		bind(m.name, jsNamed(func(a []js.Value) (any, error) { return m.fn(c, a) }))
	}
	bind("call", func(a []js.Value) (any, error) { return call(c, a) })
	var closeFn js.Func
	closeFn = js.FuncOf(func(js.Value, []js.Value) any {
		mu.Lock()
		delete(hostStorage, c)
		mu.Unlock()
		for _, f := range funcs {
			f.Release()
		}
		funcs = nil
		closeFn.Release()
		return nil
	})
	obj.Set("close", closeFn)
	return obj, nil
}

// withClient runs h with the configured client, or rejects with not_configured.
func withClient(h func(*core.Client, []js.Value) (any, error)) handler {
	return func(args []js.Value) (any, error) {
		c, err := current()
		if err != nil {
			return nil, err
		}
		return h(c, args)
	}
}

func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// login answers {expiresAt} or, when the token's expires_at had already passed by this
// machine's clock on arrival (the server's clock is behind), {expiryUnknown: true}: the core then
// uses the token until the API refuses it, and logs in again once.
func login(c *core.Client, _ []js.Value) (any, error) {
	tok, err := c.Login(ctx())
	if err != nil {
		return nil, err
	}
	o := jsObject.New()
	if tok.ExpiresAt.IsZero() {
		o.Set("expiryUnknown", true)
	} else {
		o.Set("expiresAt", iso(tok.ExpiresAt))
	}
	return o, nil
}

func logout(c *core.Client, _ []js.Value) (any, error) {
	return nil, c.Logout(ctx())
}

func session(c *core.Client, _ []js.Value) (any, error) {
	o := jsObject.New()
	tok, ok := c.Session(ctx())
	o.Set("loggedIn", ok)
	switch {
	case ok && !tok.ExpiresAt.IsZero():
		o.Set("expiresAt", iso(tok.ExpiresAt))
	case ok && c.PublicKey() != "":
		// a token whose expiry is unknown (it looked expired on arrival): used until a 401
		o.Set("expiryUnknown", true)
	}
	// a gateway token (no public key here) has no expiry the client knows
	return o, nil
}

// call sends any command: {result: <the result member as JSON>, raw: <the body as received>}.
func call(c *core.Client, args []js.Value) (any, error) {
	cmd, err := stringArg(args, 0, "cmd")
	if err != nil {
		return nil, err
	}
	o := optsArg(args, 1, "fields")
	fields := core.Fields{}
	if !o.v.IsUndefined() {
		for _, k := range keys(o.v) {
			if p := o.optText(k); p != nil {
				fields[k] = *p
			}
		}
	}
	if o.err != nil {
		return nil, o.err
	}
	// {opId, again} for a money command, as the money methods take them
	mo := optsArg(args, 2, "options")
	octx := mo.opCtx()
	if mo.err != nil {
		return nil, mo.err
	}
	res, err := c.Call(octx, cmd, fields)
	if err != nil {
		return nil, err
	}
	result := res.Result.Raw()
	if result == "" {
		result = "null"
	}
	var w jsonw.Writer
	w.Open('{')
	w.Key("result").Raw(result)
	w.Key("raw").String(string(res.Body))
	w.Close('}')
	b, _ := w.Bytes()
	return jsonText(b), nil
}

func basicInfo(c *core.Client, _ []js.Value) (any, error) {
	return c.BasicInfo(ctx())
}

func balances(c *core.Client, args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	p := &core.BalancesParams{All: o.flag("all")}
	if o.err != nil {
		return nil, o.err
	}
	return c.Balances(ctx(), p)
}

func depositAddress(c *core.Client, args []js.Value) (any, error) {
	cur, err := stringArg(args, 0, "currency")
	if err != nil {
		return nil, err
	}
	return c.DepositAddress(ctx(), cur)
}

func rates(c *core.Client, args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	p := &core.RatesParams{Accepted: o.flag("accepted"), Short: o.flag("short")}
	if o.err != nil {
		return nil, o.err
	}
	return c.Rates(ctx(), p)
}

// transactionView reports the payment timeout in seconds (core keeps a time.Duration).
type transactionView struct {
	*core.Transaction
	Timeout int64 `json:"timeout"`
}

func createTransaction(c *core.Client, args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	p := &core.CreateTransactionParams{
		Amount: o.amount("amount"), Currency1: o.text("currency1"), Currency2: o.text("currency2"),
		BuyerEmail: o.text("buyerEmail"), Address: o.optText("address"), BuyerName: o.optText("buyerName"),
		ItemName: o.optText("itemName"), ItemNumber: o.optText("itemNumber"), Invoice: o.optText("invoice"),
		Custom: o.optText("custom"), IPNURL: o.optText("ipnUrl"), SuccessURL: o.optText("successUrl"),
		CancelURL: o.optText("cancelUrl"),
	}
	if o.err != nil {
		return nil, o.err
	}
	t, err := c.CreateTransaction(o.opCtx(), p)
	if err != nil {
		return nil, err
	}
	return transactionView{Transaction: t, Timeout: int64(t.Timeout / time.Second)}, nil
}

func callbackAddress(c *core.Client, args []js.Value) (any, error) {
	cur, err := stringArg(args, 0, "currency")
	if err != nil {
		return nil, err
	}
	o := optsArg(args, 1, "options")
	p := &core.CallbackAddressParams{IPNURL: o.optText("ipnUrl"), Label: o.optText("label")}
	if o.err != nil {
		return nil, o.err
	}
	return c.CallbackAddress(ctx(), cur, p)
}

// txInfoView adds the checkout details (full = true) that core keeps as a raw Value.
type txInfoView struct {
	*core.TxInfo
	Checkout rawJSON `json:"checkout,omitempty"`
}

// rawJSON is JSON text written as it is, as json.RawMessage is.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func viewTxInfo(t *core.TxInfo) txInfoView {
	v := txInfoView{TxInfo: t}
	if t.Checkout.Exists() {
		v.Checkout = rawJSON(t.Checkout.Raw())
	}
	return v
}

func txInfo(c *core.Client, args []js.Value) (any, error) {
	id, err := stringArg(args, 0, "txid")
	if err != nil {
		return nil, err
	}
	full := false
	if len(args) > 1 && !absent(args[1]) {
		if args[1].Type() != js.TypeBoolean {
			return nil, &core.ValidationError{Field: "full", Problem: "must be true or false"}
		}
		full = args[1].Bool()
	}
	t, err := c.TxInfo(ctx(), id, full)
	if err != nil {
		return nil, err
	}
	return viewTxInfo(t), nil
}

// errorView is the JSON form of a per-item error (same members as a rejection).
type errorView struct {
	Code      core.ErrorCode `json:"code"`
	Message   string         `json:"message"`
	Retryable bool           `json:"retryable"`
	// outcome_unknown (a mass withdrawal's payout): what a rejection's outcome_unknown carries
	// (the batch's operation: its opId, nonce, times and storeKey; the payout's ref), and what
	// reconcile takes, so that reconcile(error) is one call: sentWith (= storeKey), sinceMs and
	// the payout's fields
	Cmd        string            `json:"cmd,omitempty"`
	Ref        map[string]string `json:"ref,omitempty"`
	OpID       string            `json:"opId,omitempty"`
	Nonce      int64             `json:"nonce,omitempty"`
	SentAtMs   int64             `json:"sentAtMs,omitempty"`
	DeadlineMs int64             `json:"deadlineMs,omitempty"`
	StoreKey   string            `json:"storeKey,omitempty"`
	SentWith   string            `json:"sentWith,omitempty"`
	SinceMs    int64             `json:"sinceMs,omitempty"`
	Amount     string            `json:"amount,omitempty"`
	Currency   string            `json:"currency,omitempty"`
	Currency2  string            `json:"currency2,omitempty"`
	Address    string            `json:"address,omitempty"`
	Note       string            `json:"note,omitempty"`
}

func viewError(err error) *errorView {
	if err == nil {
		return nil
	}
	v := &errorView{Code: core.CodeOf(err), Message: err.Error(), Retryable: core.IsRetryable(err)}
	var ou *core.OutcomeUnknownError
	if errors.As(err, &ou) {
		v.Cmd, v.Ref, v.OpID, v.Nonce, v.StoreKey, v.SentWith = ou.Cmd, ou.Ref, ou.OpID, ou.Nonce, ou.StoreKey, ou.StoreKey
		v.SentAtMs, v.DeadlineMs = unixMs(ou.SentAt), unixMs(ou.Deadline)
		if qs := core.QueriesFromOutcome(ou, time.Time{}); len(qs) == 1 {
			q := qs[0]
			v.Amount, v.Currency, v.Currency2, v.Address, v.Note = q.Amount, q.Currency, q.Currency2, q.Address, q.Note
		}
		if v.SentAtMs > 0 {
			v.SinceMs = v.SentAtMs - 60_000 // as reconcileOp searches: from a minute before it left
		}
	}
	return v
}

// unixMs is t in Unix milliseconds, 0 for the zero time.
func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func txInfoMulti(c *core.Client, args []js.Value) (any, error) {
	ids, err := stringList(args, 0, "ids")
	if err != nil {
		return nil, err
	}
	m, err := c.TxInfoMulti(ctx(), ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]txInfoItem, len(m))
	for id, it := range m {
		var x txInfoItem
		if it.Info != nil {
			v := viewTxInfo(it.Info)
			x.Info = &v
		}
		x.Error = viewError(it.Err)
		out[id] = x
	}
	return out, nil
}

// txInfoItem is one payment of txInfoMulti's answer.
type txInfoItem struct {
	Info  *txInfoView `json:"info,omitempty"`
	Error *errorView  `json:"error,omitempty"`
}

func stringList(args []js.Value, i int, name string) ([]string, error) {
	if i >= len(args) || !js.Global().Get("Array").Call("isArray", args[i]).Bool() {
		return nil, &core.ValidationError{Field: name, Problem: "must be an array of strings"}
	}
	a := args[i]
	out := make([]string, a.Length())
	for j := range out {
		v := a.Index(j)
		if v.Type() != js.TypeString {
			return nil, &core.ValidationError{Field: name, Problem: "must be an array of strings"}
		}
		out[j] = v.String()
	}
	return out, nil
}

func listParams(o *opts, all bool) *core.ListParams {
	p := &core.ListParams{PageSize: o.integer("pageSize"), Start: o.integer("start"), Newer: o.unixTime("newer"), Limit: o.integer("limit")}
	if all {
		p.All = o.flag("all")
	}
	if p.Limit < 0 {
		o.fail("limit", "must not be negative")
	}
	return p
}

func txIDs(c *core.Client, args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	p := listParams(o, true)
	if o.err != nil {
		return nil, o.err
	}
	ids := []string{}
	for id, err := range c.TxIDs(ctx(), p) {
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func createTransfer(c *core.Client, args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	p := &core.TransferParams{Amount: o.amount("amount"), Currency: o.text("currency"), Merchant: o.optText("merchant"),
		ToAddress: o.optText("toAddress"), AutoConfirm: o.optFlag("autoConfirm")}
	if o.err != nil {
		return nil, o.err
	}
	return c.CreateTransfer(o.opCtx(), p)
}

func createWithdrawal(c *core.Client, args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	p := &core.WithdrawalParams{Amount: o.amount("amount"), Currency: o.text("currency"), Address: o.text("address"),
		AddTxFee: o.optFlag("addTxFee"), Currency2: o.optText("currency2"), DestTag: o.optText("destTag"),
		IPNURL: o.optText("ipnUrl"), AutoConfirm: o.optFlag("autoConfirm"), Note: o.optText("note")}
	if o.err != nil {
		return nil, o.err
	}
	return c.CreateWithdrawal(o.opCtx(), p)
}

func createMassWithdrawal(c *core.Client, args []js.Value) (any, error) {
	if len(args) == 0 || !js.Global().Get("Array").Call("isArray", args[0]).Bool() {
		return nil, &core.ValidationError{Field: "items", Problem: "must be an array of {key, amount, currency, address, ...}"}
	}
	items := make([]core.MassWithdrawalItem, args[0].Length())
	for i := range items {
		o := optsArg([]js.Value{args[0].Index(i)}, 0, "items")
		items[i] = core.MassWithdrawalItem{Key: o.text("key"), Amount: o.amount("amount"), Currency: o.text("currency"),
			Address: o.text("address"), DestTag: o.optText("destTag"), Currency2: o.optText("currency2"), Note: o.optText("note")}
		if o.err != nil {
			var ve *core.ValidationError
			if errors.As(o.err, &ve) {
				ve.Field = "items[" + itoa(i) + "]." + ve.Field
			}
			return nil, o.err
		}
	}
	mo := optsArg(args, 1, "options")
	octx := mo.opCtx()
	if mo.err != nil {
		return nil, mo.err
	}
	mw, err := c.CreateMassWithdrawal(octx, items)
	if err != nil {
		return nil, err
	}
	out := make([]massItem, len(mw.Results))
	for i, r := range mw.Results {
		out[i] = massItem{Key: r.Key, Error: viewError(r.Err)}
		if w := r.Withdrawal; w != nil {
			out[i].ID, out[i].Status, out[i].Amount = w.ID, &w.Status, &w.Amount
		}
	}
	return out, nil
}

// massItem is one payout of createMassWithdrawal's answer.
type massItem struct {
	Key    string                 `json:"key"`
	ID     string                 `json:"id,omitempty"`
	Status *core.WithdrawalStatus `json:"status,omitempty"`
	Amount *core.Amount           `json:"amount,omitempty"`
	Error  *errorView             `json:"error,omitempty"`
}

func itoa(i int) string { return strconv.Itoa(i) }

func convert(c *core.Client, args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	p := &core.ConvertParams{Amount: o.amount("amount"), From: o.text("from"), To: o.text("to")}
	if o.err != nil {
		return nil, o.err
	}
	cv, err := c.Convert(o.opCtx(), p)
	if err != nil {
		return nil, err
	}
	return cv, nil
}

func withdrawalHistory(c *core.Client, args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	p := listParams(o, false)
	if o.err != nil {
		return nil, o.err
	}
	out := []core.WithdrawalInfo{}
	for w, err := range c.WithdrawalHistory(ctx(), p) {
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func withdrawalInfo(c *core.Client, args []js.Value) (any, error) {
	id, err := stringArg(args, 0, "id")
	if err != nil {
		return nil, err
	}
	return c.WithdrawalInfo(ctx(), id)
}

func reconcile(c *core.Client, args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	q := core.ReconcileQuery{Cmd: o.text("cmd"), Amount: o.amount("amount"), Currency: o.text("currency"),
		Address: o.text("address"), Merchant: o.text("merchant"), Note: o.text("note"), Invoice: o.text("invoice"),
		Custom: o.text("custom"), Currency2: o.text("currency2"), AddTxFee: o.flag("addTxFee"), Since: o.msTime("sinceMs"), SentAt: o.msTime("sentAtMs"),
		Deadline: o.msTime("deadlineMs"), SentWith: o.text("sentWith")}
	if v, ok := o.get("nonce"); ok {
		if n, good := numberToInt64(v); good {
			q.Nonce = n
		} else {
			o.fail("nonce", "must be the original request's nonce (a whole number)")
		}
	}
	if o.err != nil {
		return nil, o.err
	}
	r, err := c.Reconcile(ctx(), q)
	if err != nil {
		return nil, err
	}
	return viewReconcile(r), nil
}

// reconcileView is a ReconcileResult for JS (txnIds, untilMs).
type reconcileView struct {
	Verdict core.Verdict `json:"verdict"`
	Proven  bool         `json:"proven"`
	UntilMs int64        `json:"untilMs,omitempty"`
	// AssumedSentAtMs: the send time an in_flight wait counted from (none was given): pass it
	// back as sentAtMs, or the wait starts again
	AssumedSentAtMs int64                 `json:"assumedSentAtMs,omitempty"`
	Withdrawals     []core.WithdrawalInfo `json:"withdrawals,omitempty"`
	TxnIDs          []string              `json:"txnIds,omitempty"`
	Detail          string                `json:"detail"`
	// NoRecord (reconcileOp): this storage holds no record of the id: not_found of this storage
	// only, never proof (memory storage forgets on restart)
	NoRecord bool `json:"noRecord,omitempty"`
}

func viewReconcile(r *core.ReconcileResult) reconcileView {
	v := reconcileView{Verdict: r.Verdict, Proven: r.Proven, Withdrawals: r.Withdrawals, TxnIDs: r.TxnIDs, Detail: r.Detail, NoRecord: r.NoRecord}
	if !r.Until.IsZero() {
		v.UntilMs = r.Until.UnixMilli()
	}
	if !r.AssumedSentAt.IsZero() {
		v.AssumedSentAtMs = r.AssumedSentAt.UnixMilli()
	}
	return v
}

// reconcileOp(opId) settles a recorded operation (see core.Client.ReconcileOp): an id the
// storage never held was never sent.
func reconcileOp(c *core.Client, args []js.Value) (any, error) {
	id, err := stringArg(args, 0, "opId")
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, &core.ValidationError{Field: "opId", Problem: "is required"}
	}
	r, err := c.ReconcileOp(ctx(), id)
	if err != nil {
		return nil, err
	}
	return viewReconcile(r), nil
}

// ops() lists the operations whose outcome is still open.
func listOps(c *core.Client, _ []js.Value) (any, error) {
	ops, err := c.Ops(ctx())
	if err != nil {
		return nil, err
	}
	if ops == nil {
		ops = []core.Op{}
	}
	return ops, nil
}

func forgetOp(c *core.Client, args []js.Value) (any, error) {
	id, err := stringArg(args, 0, "opId")
	if err != nil {
		return nil, err
	}
	return nil, c.ForgetOp(ctx(), id)
}
