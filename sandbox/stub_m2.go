package sandbox

import "net/http"

// IPNAttempt is one recorded IPN delivery attempt.
type IPNAttempt struct{}

// IPNLog returns recorded IPN delivery attempts.
func (s *Server) IPNLog() []IPNAttempt { return []IPNAttempt{} }

func (s *Server) adminPay(*http.Request, []string) (int, any, error) { return 0, nil, notFound("todo") }
func (s *Server) adminExpire(*http.Request, []string) (int, any, error) {
	return 0, nil, notFound("todo")
}
func (s *Server) adminGetTx(*http.Request, []string) (int, any, error) {
	return 0, nil, notFound("todo")
}
func (s *Server) adminWithdrawalAction(*http.Request, []string) (int, any, error) {
	return 0, nil, notFound("todo")
}
func (s *Server) adminGetWithdrawal(*http.Request, []string) (int, any, error) {
	return 0, nil, notFound("todo")
}
func (s *Server) adminDeposit(*http.Request, []string) (int, any, error) {
	return 0, nil, notFound("todo")
}
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
func (s *Server) serveQR(w http.ResponseWriter, r *http.Request)   { http.NotFound(w, r) }
