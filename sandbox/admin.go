package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Admin endpoints (spec §10), JSON in and out, errors as {"error": "..."}.

type adminRoute struct {
	method  string
	pattern string // segments after /sandbox/, "*" captures one segment
	handle  func(s *Server, r *http.Request, args []string) (int, any, error)
}

var adminRoutes = []adminRoute{
	{"POST", "accounts", (*Server).adminCreateAccount},
	{"GET", "accounts/*", (*Server).adminGetAccount},
	{"POST", "accounts/*/keys", (*Server).adminCreateKey},
	{"PUT", "accounts/*/balances", (*Server).adminSetBalances},
	{"GET", "accounts/*/balances", (*Server).adminGetBalances},
	{"PUT", "accounts/*/ipn", (*Server).adminSetIPN},
	{"GET", "keys/*", (*Server).adminGetKey},
	{"PUT", "keys/*/permissions", (*Server).adminSetPermissions},
	{"POST", "faults", (*Server).adminInjectFault},
	{"GET", "faults", (*Server).adminListFaults},
	{"DELETE", "faults", (*Server).adminClearFaults},
	{"GET", "stats", (*Server).adminStats},
	{"DELETE", "stats", (*Server).adminResetStats},
	{"GET", "demo", (*Server).adminDemo},
	{"GET", "ipn-log", (*Server).adminIPNLog},
	{"POST", "tx/*/pay", (*Server).adminPay},
	{"POST", "tx/*/expire", (*Server).adminExpire},
	{"GET", "tx/*", (*Server).adminGetTx},
	{"POST", "withdrawals/*/confirm", (*Server).adminWithdrawalAction},
	{"POST", "withdrawals/*/complete", (*Server).adminWithdrawalAction},
	{"POST", "withdrawals/*/cancel", (*Server).adminWithdrawalAction},
	{"GET", "withdrawals/*", (*Server).adminGetWithdrawal},
	{"POST", "deposits", (*Server).adminDeposit},
}

func matchRoute(pattern string, segs []string) ([]string, bool) {
	ps := strings.Split(pattern, "/")
	if len(ps) != len(segs) {
		return nil, false
	}
	var args []string
	for i, p := range ps {
		switch {
		case p == "*":
			if segs[i] == "" {
				return nil, false
			}
			args = append(args, segs[i])
		case p != segs[i]:
			return nil, false
		}
	}
	return args, true
}

// AdminHeader must be sent, with the value "1", on every admin request but the index. A web
// page cannot send a header of its own to another origin without a CORS preflight, which the
// sandbox never grants: so a site the merchant visits cannot drive the sandbox (pay its
// payments, inject faults) from the browser.
const AdminHeader = "X-Wallexkit-Sandbox"

// adminGuard refuses cross-site and DNS-rebinding requests to the admin endpoints: the Host must
// be loopback (or one of Config.AdminHosts), an Origin header must be the sandbox's own, and
// AdminHeader must be present. It returns the refusal, or "" to go on.
func (s *Server) adminGuard(r *http.Request, index bool) (int, string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if !loopbackHost(host) && !slices.Contains(s.cfg.AdminHosts, strings.ToLower(host)) {
		return http.StatusForbidden, "The sandbox admin endpoints answer only on a loopback host (127.0.0.1, localhost, ::1): use http://127.0.0.1:PORT/sandbox/"
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			return http.StatusForbidden, "Cross-site request refused: the sandbox admin endpoints are not for web pages"
		}
	}
	if !index && r.Header.Get(AdminHeader) != "1" {
		return http.StatusForbidden, "Missing header " + AdminHeader + ": 1 (every admin request must send it; web pages cannot)"
	}
	return 0, ""
}

func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if s.closed.Load() {
		s.write(w, errReply(http.StatusServiceUnavailable, "Sandbox is shutting down"))
		return
	}
	segs := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/sandbox/"), "/"), "/")
	index := len(segs) == 1 && segs[0] == "" && r.Method == http.MethodGet
	if status, msg := s.adminGuard(r, index); msg != "" {
		s.write(w, errReply(status, msg))
		return
	}
	if index {
		s.write(w, jsonReply(http.StatusOK, adminIndex()))
		return
	}
	var allowed []string
	for _, rt := range adminRoutes {
		args, ok := matchRoute(rt.pattern, segs)
		if !ok {
			continue
		}
		if rt.method != r.Method {
			allowed = append(allowed, rt.method)
			continue
		}
		status, v, err := rt.handle(s, r, append(args, segs[len(segs)-1]))
		if err != nil {
			s.write(w, errReply(httpStatusFor(err), err.Error()))
			return
		}
		if v == nil {
			v = map[string]any{"ok": true}
		}
		rep := reply{status: status, ctype: "application/json"}
		data, mErr := json.Marshal(v)
		if mErr != nil {
			s.write(w, errReply(http.StatusInternalServerError, "encode: "+mErr.Error()))
			return
		}
		rep.body = data
		s.write(w, rep)
		return
	}
	if len(allowed) > 0 {
		rep := errReply(http.StatusMethodNotAllowed, "Method not allowed; use "+strings.Join(allowed, ", "))
		rep.header = map[string]string{"Allow": strings.Join(allowed, ", ")}
		s.write(w, rep)
		return
	}
	s.write(w, errReply(http.StatusNotFound, "No such sandbox endpoint: "+r.URL.Path))
}

// decodeBody reads a JSON body into v; an empty body leaves v untouched.
func decodeBody(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return invalid("could not read body")
	}
	if len(data) > maxBodyBytes {
		return invalid("body too large")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("invalid JSON body: %v", err)
	}
	if dec.More() {
		return invalid("invalid JSON body: trailing data")
	}
	return nil
}

func (s *Server) adminCreateAccount(r *http.Request, _ []string) (int, any, error) {
	var spec AccountSpec
	if err := decodeBody(r, &spec); err != nil {
		return 0, nil, err
	}
	a, err := s.CreateAccount(spec)
	return http.StatusCreated, a, err
}

type accountView struct {
	Account
	Balances map[string]string `json:"balances"`
	Keys     []string          `json:"public_keys"`
}

func (s *Server) adminGetAccount(_ *http.Request, args []string) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.accounts[args[0]]
	if a == nil {
		return 0, nil, notFound("no account %q", args[0])
	}
	v := accountView{Account: a.public(), Balances: map[string]string{}, Keys: []string{}}
	for t, n := range a.Balances {
		if n != 0 {
			v.Balances[t] = formatUnits(n)
		}
	}
	for _, k := range s.st.keys {
		if k.MerchantID == a.MerchantID {
			v.Keys = append(v.Keys, k.Public)
		}
	}
	slices.Sort(v.Keys)
	return http.StatusOK, v, nil
}

type permsBody struct {
	Permissions []string `json:"permissions"` // absent or null = all commands
}

func (s *Server) adminCreateKey(r *http.Request, args []string) (int, any, error) {
	var b permsBody
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	k, err := s.CreateKey(args[0], b.Permissions)
	return http.StatusCreated, k, err
}

func (s *Server) adminGetKey(_ *http.Request, args []string) (int, any, error) {
	k, err := s.GetKey(args[0])
	return http.StatusOK, k, err
}

func (s *Server) adminSetPermissions(r *http.Request, args []string) (int, any, error) {
	var b permsBody
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	if err := s.SetPermissions(args[0], b.Permissions); err != nil {
		return 0, nil, err
	}
	k, err := s.GetKey(args[0])
	return http.StatusOK, k, err
}

func (s *Server) adminSetBalances(r *http.Request, args []string) (int, any, error) {
	var b map[string]string
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	if err := s.SetBalances(args[0], b); err != nil {
		return 0, nil, err
	}
	bal, err := s.Balances(args[0])
	return http.StatusOK, bal, err
}

func (s *Server) adminGetBalances(_ *http.Request, args []string) (int, any, error) {
	bal, err := s.Balances(args[0])
	return http.StatusOK, bal, err
}

func (s *Server) adminSetIPN(r *http.Request, args []string) (int, any, error) {
	var b struct {
		URL    string `json:"url"`
		Secret string `json:"secret"`
	}
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	if err := s.SetIPN(args[0], b.URL, b.Secret); err != nil {
		return 0, nil, err
	}
	a, err := s.GetAccount(args[0])
	return http.StatusOK, a, err
}

type faultJSON struct {
	Kind    string `json:"kind"`
	Count   int    `json:"count"`
	DelayMS int    `json:"delay_ms,omitempty"`
	Status  int    `json:"status,omitempty"`
	Cmd     string `json:"cmd,omitempty"`
	Key     string `json:"key,omitempty"`
}

func (s *Server) adminInjectFault(r *http.Request, _ []string) (int, any, error) {
	var b faultJSON
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	f := Fault{Kind: b.Kind, Count: b.Count, Delay: time.Duration(b.DelayMS) * time.Millisecond, Status: b.Status, Cmd: b.Cmd, Key: b.Key}
	if err := s.InjectFault(f); err != nil {
		return 0, nil, err
	}
	return s.adminListFaultsStatus(http.StatusCreated)
}

func (s *Server) adminListFaults(_ *http.Request, _ []string) (int, any, error) {
	return s.adminListFaultsStatus(http.StatusOK)
}

func (s *Server) adminListFaultsStatus(status int) (int, any, error) {
	out := []faultJSON{}
	for _, f := range s.PendingFaults() {
		out = append(out, faultJSON{Kind: f.Kind, Count: f.Count, DelayMS: int(f.Delay / time.Millisecond), Status: f.Status, Cmd: f.Cmd, Key: f.Key})
	}
	return status, map[string]any{"pending": out}, nil
}

func (s *Server) adminClearFaults(_ *http.Request, _ []string) (int, any, error) {
	s.ClearFaults()
	return http.StatusOK, nil, nil
}

func (s *Server) adminStats(r *http.Request, _ []string) (int, any, error) {
	key := r.URL.Query().Get("key")
	if key == "" {
		return 0, nil, invalid("query parameter key (a public key) is required")
	}
	return http.StatusOK, s.Stats(key), nil
}

func (s *Server) adminResetStats(r *http.Request, _ []string) (int, any, error) {
	key := r.URL.Query().Get("key")
	if key == "" {
		return 0, nil, invalid("query parameter key (a public key) is required")
	}
	s.ResetStats(key)
	return http.StatusOK, nil, nil
}

func (s *Server) adminDemo(_ *http.Request, _ []string) (int, any, error) {
	d := s.Demo()
	a, err := s.GetAccount(d.MerchantID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{
		"merchant_id": d.MerchantID,
		"username":    d.Username,
		"email":       a.Email,
		"public_name": a.PublicName,
		"public_key":  d.PublicKey,
		"private_key": d.PrivateKey,
	}, nil
}

func (s *Server) adminIPNLog(_ *http.Request, _ []string) (int, any, error) {
	return http.StatusOK, s.IPNLog(), nil
}

func (s *Server) adminPay(r *http.Request, args []string) (int, any, error) {
	var b struct {
		Amount   string `json:"amount"`
		Complete *bool  `json:"complete"`
	}
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	complete := b.Complete == nil || *b.Complete
	st, err := s.PayTransaction(args[0], b.Amount, complete)
	return http.StatusOK, st, err
}

func (s *Server) adminExpire(_ *http.Request, args []string) (int, any, error) {
	st, err := s.ExpireTransaction(args[0])
	return http.StatusOK, st, err
}

func (s *Server) adminGetTx(_ *http.Request, args []string) (int, any, error) {
	st, err := s.GetTransaction(args[0])
	return http.StatusOK, st, err
}

func (s *Server) adminWithdrawalAction(_ *http.Request, args []string) (int, any, error) {
	var st WithdrawalState
	var err error
	switch args[len(args)-1] {
	case "confirm":
		st, err = s.ConfirmWithdrawal(args[0])
	case "complete":
		st, err = s.CompleteWithdrawal(args[0])
	default:
		st, err = s.CancelWithdrawal(args[0])
	}
	return http.StatusOK, st, err
}

func (s *Server) adminGetWithdrawal(_ *http.Request, args []string) (int, any, error) {
	st, err := s.GetWithdrawal(args[0])
	return http.StatusOK, st, err
}

func (s *Server) adminDeposit(r *http.Request, _ []string) (int, any, error) {
	var b struct {
		Address  string `json:"address"`
		Currency string `json:"currency"`
		Amount   string `json:"amount"`
	}
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	res, err := s.Deposit(b.Address, b.Currency, b.Amount)
	return http.StatusCreated, res, err
}

func adminIndex() any {
	var list []string
	for _, rt := range adminRoutes {
		list = append(list, rt.method+" /sandbox/"+strings.ReplaceAll(rt.pattern, "*", "{id}"))
	}
	return map[string]any{"endpoints": list}
}
