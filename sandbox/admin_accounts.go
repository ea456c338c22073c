package sandbox

import (
	"net/http"
	"slices"
)

func (s *Server) adminCreateAccount(r *http.Request) (int, any, error) {
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

func (s *Server) adminGetAccount(r *http.Request) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.accounts[r.PathValue("id")]
	if a == nil {
		return 0, nil, notFound("no account %q", r.PathValue("id"))
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

func (s *Server) adminCreateKey(r *http.Request) (int, any, error) {
	var b permsBody
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	k, err := s.CreateKey(r.PathValue("id"), b.Permissions)
	return http.StatusCreated, k, err
}

func (s *Server) adminGetKey(r *http.Request) (int, any, error) {
	k, err := s.GetKey(r.PathValue("id"))
	return http.StatusOK, k, err
}

func (s *Server) adminSetPermissions(r *http.Request) (int, any, error) {
	var b permsBody
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	if err := s.SetPermissions(r.PathValue("id"), b.Permissions); err != nil {
		return 0, nil, err
	}
	k, err := s.GetKey(r.PathValue("id"))
	return http.StatusOK, k, err
}

func (s *Server) adminSetBalances(r *http.Request) (int, any, error) {
	var b map[string]string
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	if err := s.SetBalances(r.PathValue("id"), b); err != nil {
		return 0, nil, err
	}
	bal, err := s.Balances(r.PathValue("id"))
	return http.StatusOK, bal, err
}

func (s *Server) adminGetBalances(r *http.Request) (int, any, error) {
	bal, err := s.Balances(r.PathValue("id"))
	return http.StatusOK, bal, err
}

func (s *Server) adminSetIPN(r *http.Request) (int, any, error) {
	var b struct {
		URL    string  `json:"url"`
		Secret *string `json:"secret"` // absent: keep the current secret
	}
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	var err error
	if b.Secret == nil {
		err = s.SetIPNURL(r.PathValue("id"), b.URL)
	} else {
		err = s.SetIPN(r.PathValue("id"), b.URL, *b.Secret)
	}
	if err != nil {
		return 0, nil, err
	}
	a, err := s.GetAccount(r.PathValue("id"))
	return http.StatusOK, a, err
}
