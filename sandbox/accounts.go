package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// MaxKeysPerAccount is the documented limit of API keys per account (spec §5).
const MaxKeysPerAccount = 10

// Errors returned by the Go helpers; test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrInvalid  = errors.New("invalid request")
)

// opError carries a message for humans and a class for errors.Is / HTTP status.
type opError struct {
	class error
	msg   string
}

func (e *opError) Error() string { return e.msg }
func (e *opError) Unwrap() error { return e.class }

func notFound(format string, a ...any) error {
	return &opError{ErrNotFound, fmt.Sprintf(format, a...)}
}
func conflict(format string, a ...any) error {
	return &opError{ErrConflict, fmt.Sprintf(format, a...)}
}
func invalid(format string, a ...any) error {
	return &opError{ErrInvalid, fmt.Sprintf(format, a...)}
}

// httpStatusFor maps helper errors to admin HTTP statuses.
func httpStatusFor(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

// AccountSpec describes a new merchant account. Empty fields get defaults.
type AccountSpec struct {
	Username   string `json:"username"`
	Email      string `json:"email"`
	PublicName string `json:"public_name"`
}

// Account is a merchant account as the admin side sees it (never the IPN secret).
type Account struct {
	MerchantID   string `json:"merchant_id"`
	Username     string `json:"username"`
	Email        string `json:"email"`
	PublicName   string `json:"public_name"`
	IPNURL       string `json:"ipn_url"`
	HasIPNSecret bool   `json:"ipn_secret_set"`
}

// Key is an API key pair. Permissions lists the enabled commands.
type Key struct {
	MerchantID  string   `json:"merchant_id"`
	PublicKey   string   `json:"public_key"`
	PrivateKey  string   `json:"private_key"`
	Permissions []string `json:"permissions"`
}

func (a *account) public() Account {
	return Account{MerchantID: a.MerchantID, Username: a.Username, Email: a.Email, PublicName: a.PublicName,
		IPNURL: a.IPNURL, HasIPNSecret: a.IPNSecret != ""}
}

func validUsername(u string) bool {
	if u == "" || len(u) > 64 {
		return false
	}
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// newAccountLocked validates spec and builds (but does not commit) an account.
func (s *Server) newAccountLocked(spec AccountSpec) (*account, error) {
	if spec.Username == "" {
		spec.Username = "merchant-" + randHex(4)
	}
	if !validUsername(spec.Username) {
		return nil, invalid("username must be 1-64 characters of letters, digits, '.', '-' or '_'")
	}
	for _, a := range s.st.accounts {
		if strings.EqualFold(a.Username, spec.Username) {
			return nil, conflict("username %q is taken", spec.Username)
		}
	}
	if spec.Email == "" {
		spec.Email = spec.Username + "@example.com"
	}
	if len(spec.Email) > 254 || !strings.Contains(spec.Email, "@") || strings.ContainsAny(spec.Email, " \t\r\n") {
		return nil, invalid("email must be an address like name@example.com")
	}
	if len(spec.PublicName) > 128 {
		return nil, invalid("public_name must be at most 128 characters")
	}
	return &account{
		MerchantID:   randHex(16),
		Username:     spec.Username,
		Email:        spec.Email,
		PublicName:   spec.PublicName,
		Balances:     map[string]int64{},
		DepositAddrs: map[string]string{},
		Created:      s.now().Unix(),
	}, nil
}

// CreateAccount creates a merchant account with no keys and no balances.
func (s *Server) CreateAccount(spec AccountSpec) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.newAccountLocked(spec)
	if err != nil {
		return Account{}, err
	}
	if err := s.commit(put(bAccounts, a.MerchantID, a)); err != nil {
		return Account{}, err
	}
	s.log.Info("sandbox account created", "merchant_id", a.MerchantID, "username", a.Username)
	return a.public(), nil
}

// GetAccount returns an account by merchant ID.
func (s *Server) GetAccount(merchantID string) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.accounts[merchantID]
	if a == nil {
		return Account{}, notFound("no account %q", merchantID)
	}
	return a.public(), nil
}

func validatePerms(perms []string) error {
	for _, p := range perms {
		if _, ok := commands[p]; !ok {
			return invalid("unknown permission %q (permissions are command names)", p)
		}
	}
	return nil
}

func normPerms(perms []string) []string {
	out := slices.Clone(perms)
	sort.Strings(out)
	return slices.Compact(out)
}

// CreateKey adds an API key pair to an account. perms nil enables every
// command; an empty non-nil slice enables none. An account holds at most
// MaxKeysPerAccount keys.
func (s *Server) CreateKey(merchantID string, perms []string) (Key, error) {
	if err := validatePerms(perms); err != nil {
		return Key{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.accounts[merchantID] == nil {
		return Key{}, notFound("no account %q", merchantID)
	}
	n := 0
	for _, k := range s.st.keys {
		if k.MerchantID == merchantID {
			n++
		}
	}
	if n >= MaxKeysPerAccount {
		return Key{}, conflict("account already has %d API keys, the maximum", MaxKeysPerAccount)
	}
	seq, seqChange := s.nextSeq()
	k := &apiKey{Public: randHex(32), Private: randHex(32), MerchantID: merchantID, Created: s.now().Unix(), Seq: seq}
	if perms == nil {
		k.AllPerms = true
	} else {
		k.Perms = normPerms(perms)
	}
	if err := s.commit(put(bKeys, k.Public, k), seqChange); err != nil {
		return Key{}, err
	}
	s.log.Info("sandbox key created", "merchant_id", merchantID, "public_key", k.Public)
	return Key{MerchantID: merchantID, PublicKey: k.Public, PrivateKey: k.Private, Permissions: k.permList()}, nil
}

// SetPermissions replaces a key's enabled commands (nil = all commands).
func (s *Server) SetPermissions(publicKey string, perms []string) error {
	if err := validatePerms(perms); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.st.keys[publicKey]
	if cur == nil {
		return notFound("no API key %q", publicKey)
	}
	k := cur.clone()
	k.AllPerms = perms == nil
	k.Perms = nil
	if perms != nil {
		k.Perms = normPerms(perms)
	}
	return s.commit(put(bKeys, k.Public, k))
}

// GetKey returns a key pair and its permissions.
func (s *Server) GetKey(publicKey string) (Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.st.keys[publicKey]
	if k == nil {
		return Key{}, notFound("no API key %q", publicKey)
	}
	return Key{MerchantID: k.MerchantID, PublicKey: k.Public, PrivateKey: k.Private, Permissions: k.permList()}, nil
}

func checkWalletCoin(ticker string) (coin, error) {
	c, ok := lookupCoin(ticker)
	if !ok {
		return coin{}, invalid("unknown currency %q", ticker)
	}
	if c.Fiat {
		return coin{}, invalid("%s is a fiat currency; balances hold coins only", ticker)
	}
	return c, nil
}

// SetBalance sets one balance from decimal text (e.g. "0.1").
func (s *Server) SetBalance(merchantID, ticker, amount string) error {
	return s.SetBalances(merchantID, map[string]string{ticker: amount})
}

// SetBalances sets several balances at once (decimal text); others are kept.
func (s *Server) SetBalances(merchantID string, amounts map[string]string) error {
	units := map[string]int64{}
	for t, amt := range amounts {
		if _, err := checkWalletCoin(t); err != nil {
			return err
		}
		n, err := parseUnits(amt)
		if err != nil {
			return invalid("balance for %s %v", t, err)
		}
		units[t] = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.st.accounts[merchantID]
	if cur == nil {
		return notFound("no account %q", merchantID)
	}
	a := cur.clone()
	for t, n := range units {
		if n == 0 {
			delete(a.Balances, t)
		} else {
			a.Balances[t] = n
		}
	}
	return s.commit(put(bAccounts, a.MerchantID, a))
}

// Balances returns an account's non-zero balances as 8-decimal text.
func (s *Server) Balances(merchantID string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.accounts[merchantID]
	if a == nil {
		return nil, notFound("no account %q", merchantID)
	}
	out := map[string]string{}
	for t, n := range a.Balances {
		if n != 0 {
			out[t] = formatUnits(n)
		}
	}
	return out, nil
}

func validHTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(raw) <= 2048
}

// SetIPN sets an account's IPN URL and secret. An empty secret disables IPNs
// (spec §8: none are sent without a secret); an empty url clears it.
// SetIPNURL sets where the account's IPNs go, keeping its secret ("" stops them).
func (s *Server) SetIPNURL(merchantID, ipnURL string) error {
	if ipnURL != "" && !validHTTPURL(ipnURL) {
		return invalid("ipn url must be an absolute http or https URL")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.st.accounts[merchantID]
	if cur == nil {
		return notFound("no account %q", merchantID)
	}
	a := cur.clone()
	a.IPNURL = ipnURL
	return s.commit(put(bAccounts, a.MerchantID, a))
}

func (s *Server) SetIPN(merchantID, ipnURL, secret string) error {
	if ipnURL != "" && !validHTTPURL(ipnURL) {
		return invalid("ipn url must be an absolute http or https URL")
	}
	if len(secret) > 256 {
		return invalid("ipn secret must be at most 256 characters")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.st.accounts[merchantID]
	if cur == nil {
		return notFound("no account %q", merchantID)
	}
	a := cur.clone()
	a.IPNURL, a.IPNSecret = ipnURL, secret
	return s.commit(put(bAccounts, a.MerchantID, a))
}
