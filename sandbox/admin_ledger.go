package sandbox

import "net/http"

func (s *Server) adminIPNLog(r *http.Request) (int, any, error) {
	return http.StatusOK, s.IPNLog(), nil
}

func (s *Server) adminPay(r *http.Request) (int, any, error) {
	var b struct {
		Amount   string `json:"amount"`
		Complete *bool  `json:"complete"`
	}
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	complete := b.Complete == nil || *b.Complete
	st, err := s.PayTransaction(r.PathValue("id"), b.Amount, complete)
	return http.StatusOK, st, err
}

func (s *Server) adminExpire(r *http.Request) (int, any, error) {
	st, err := s.ExpireTransaction(r.PathValue("id"))
	return http.StatusOK, st, err
}

func (s *Server) adminGetTx(r *http.Request) (int, any, error) {
	st, err := s.GetTransaction(r.PathValue("id"))
	return http.StatusOK, st, err
}

func (s *Server) adminConfirmWithdrawal(r *http.Request) (int, any, error) {
	st, err := s.ConfirmWithdrawal(r.PathValue("id"))
	return http.StatusOK, st, err
}

func (s *Server) adminCompleteWithdrawal(r *http.Request) (int, any, error) {
	st, err := s.CompleteWithdrawal(r.PathValue("id"))
	return http.StatusOK, st, err
}

func (s *Server) adminCancelWithdrawal(r *http.Request) (int, any, error) {
	st, err := s.CancelWithdrawal(r.PathValue("id"))
	return http.StatusOK, st, err
}

func (s *Server) adminGetWithdrawal(r *http.Request) (int, any, error) {
	st, err := s.GetWithdrawal(r.PathValue("id"))
	return http.StatusOK, st, err
}

func (s *Server) adminDeposit(r *http.Request) (int, any, error) {
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
