package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Admin endpoints (spec §10), JSON in and out, errors as {"error": "..."}.

// adminRoute is one admin endpoint: a ServeMux pattern under /sandbox/ and its handler, which
// answers a status and a value to encode as JSON, or an error.
type adminRoute struct {
	pattern string
	handle  func(s *Server, r *http.Request) (int, any, error)
}

var adminRoutes = []adminRoute{
	{"POST /sandbox/accounts", (*Server).adminCreateAccount},
	{"GET /sandbox/accounts/{id}", (*Server).adminGetAccount},
	{"POST /sandbox/accounts/{id}/keys", (*Server).adminCreateKey},
	{"PUT /sandbox/accounts/{id}/balances", (*Server).adminSetBalances},
	{"GET /sandbox/accounts/{id}/balances", (*Server).adminGetBalances},
	{"PUT /sandbox/accounts/{id}/ipn", (*Server).adminSetIPN},
	{"GET /sandbox/keys/{id}", (*Server).adminGetKey},
	{"PUT /sandbox/keys/{id}/permissions", (*Server).adminSetPermissions},
	{"POST /sandbox/faults", (*Server).adminInjectFault},
	{"GET /sandbox/faults", (*Server).adminListFaults},
	{"DELETE /sandbox/faults", (*Server).adminClearFaults},
	{"GET /sandbox/stats", (*Server).adminStats},
	{"DELETE /sandbox/stats", (*Server).adminResetStats},
	{"GET /sandbox/demo", (*Server).adminDemo},
	{"GET /sandbox/addresses", (*Server).adminAddresses},
	{"GET /sandbox/ipn-log", (*Server).adminIPNLog},
	{"POST /sandbox/tx/{id}/pay", (*Server).adminPay},
	{"POST /sandbox/tx/{id}/expire", (*Server).adminExpire},
	{"GET /sandbox/tx/{id}", (*Server).adminGetTx},
	{"POST /sandbox/withdrawals/{id}/confirm", (*Server).adminConfirmWithdrawal},
	{"POST /sandbox/withdrawals/{id}/complete", (*Server).adminCompleteWithdrawal},
	{"POST /sandbox/withdrawals/{id}/cancel", (*Server).adminCancelWithdrawal},
	{"GET /sandbox/withdrawals/{id}", (*Server).adminGetWithdrawal},
	{"POST /sandbox/deposits", (*Server).adminDeposit},
}

// registerAdmin routes the admin endpoints on mux. Every one goes through the guard and
// answers JSON; /sandbox/ itself lists them, and anything else under it is a JSON 404 or 405.
func (s *Server) registerAdmin(mux *http.ServeMux) {
	routes := http.NewServeMux() // to find the methods a path allows, for 405
	for _, rt := range adminRoutes {
		h := s.adminHandler(rt.handle)
		mux.Handle(rt.pattern, h)
		routes.Handle(rt.pattern, h)
	}
	mux.HandleFunc("/sandbox/", func(w http.ResponseWriter, r *http.Request) {
		index := strings.Trim(r.URL.Path, "/") == "sandbox" && r.Method == http.MethodGet
		if !s.admitAdmin(w, r, index) {
			return
		}
		if index {
			s.write(w, jsonReply(http.StatusOK, adminIndex()))
			return
		}
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := routes.Handler(probe); pattern != "" {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			rep := errReply(http.StatusMethodNotAllowed, "Method not allowed; use "+strings.Join(allowed, ", "))
			rep.header = map[string]string{"Allow": strings.Join(allowed, ", ")}
			s.write(w, rep)
			return
		}
		s.write(w, errReply(http.StatusNotFound, "No such sandbox endpoint: "+r.URL.Path))
	})
}

// admitAdmin writes the refusal and returns false when the request may not use the admin
// endpoints (shutting down, or refused by adminGuard).
func (s *Server) admitAdmin(w http.ResponseWriter, r *http.Request, index bool) bool {
	if s.closed.Load() {
		s.write(w, errReply(http.StatusServiceUnavailable, "Sandbox is shutting down"))
		return false
	}
	if status, msg := s.adminGuard(r, index); msg != "" {
		s.write(w, errReply(status, msg))
		return false
	}
	return true
}

// adminHandler runs one endpoint's handler behind the guard and writes its answer as JSON.
func (s *Server) adminHandler(handle func(s *Server, r *http.Request) (int, any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.admitAdmin(w, r, false) {
			return
		}
		status, v, err := handle(s, r)
		if err != nil {
			s.write(w, errReply(httpStatusFor(err), err.Error()))
			return
		}
		if v == nil {
			v = map[string]any{"ok": true}
		}
		data, mErr := json.Marshal(v)
		if mErr != nil {
			s.write(w, errReply(http.StatusInternalServerError, "encode: "+mErr.Error()))
			return
		}
		s.write(w, reply{status: status, ctype: "application/json", body: data})
	})
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

// adminAddresses answers GET /sandbox/addresses?coin=LTCT&count=12 with fresh addresses in the
// coin's real format (valid checksums; nobody holds their keys), for test payout destinations.
func (s *Server) adminAddresses(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	coin := strings.ToUpper(strings.TrimSpace(q.Get("coin")))
	if coin == "" {
		return 0, nil, invalid("coin is required, e.g. ?coin=LTCT&count=12")
	}
	if c, ok := lookupCoin(coin); !ok || c.Fiat {
		return 0, nil, invalid("unknown coin %q: give a coin's ticker, e.g. LTCT", coin)
	}
	n := 1
	if c := q.Get("count"); c != "" {
		v, err := strconv.Atoi(c)
		if err != nil || v < 1 || v > 1000 {
			return 0, nil, invalid("count must be a whole number from 1 to 1000")
		}
		n = v
	}
	out := make([]string, n)
	for i := range out {
		out[i] = NewAddress(coin)
	}
	return http.StatusOK, map[string]any{"coin": coin, "addresses": out}, nil
}

func (s *Server) adminDemo(r *http.Request) (int, any, error) {
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

func adminIndex() any {
	list := make([]string, len(adminRoutes))
	for i, rt := range adminRoutes {
		list[i] = rt.pattern
	}
	return map[string]any{"endpoints": list}
}
