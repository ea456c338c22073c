package sandbox

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// IPN delivery (spec §8). Notifications are built when the state changes and
// queued; one dispatcher sends first attempts in order, and failed ones are
// retried in the background (so retries can arrive late and out of order, as
// the spec warns). Delivery counts as done on a 2xx answer. Pending retries
// are not persisted: a restart forgets them.

// ipnMaxRetries is how many times a failed notification is re-sent.
const ipnMaxRetries = 10

// IPNAttempt is one recorded delivery attempt.
type IPNAttempt struct {
	Time       time.Time `json:"time"`
	URL        string    `json:"url"`
	IPNID      string    `json:"ipn_id"`
	IPNType    string    `json:"ipn_type"`
	Merchant   string    `json:"merchant"`
	Status     int       `json:"status"`      // the payment/deposit/withdrawal status the IPN carries
	Attempt    int       `json:"attempt"`     // 1 = first try, up to 1+10
	HTTPStatus int       `json:"http_status"` // 0 when no HTTP answer
	Error      string    `json:"error,omitempty"`
	Delivered  bool      `json:"delivered"`
	Body       string    `json:"body"` // the form body sent (no secrets in it)
}

type ipnJob struct {
	id, typ, url, secret, merchant string
	status                         int
	body                           string
}

const ipnLogCap = 10000

// queueIPNLocked builds and queues a notification if the account has an IPN
// secret and a target URL. Caller holds s.mu.
func (s *Server) queueIPNLocked(merchantID, perURL, typ string, status int, statusText string, fields url.Values) {
	acct := s.st.accounts[merchantID]
	if acct == nil || acct.IPNSecret == "" {
		return
	}
	target := perURL
	if target == "" {
		target = acct.IPNURL
	}
	if target == "" {
		return
	}
	id := randHex(16)
	fields.Set("ipn_version", "1.0")
	fields.Set("ipn_id", id)
	fields.Set("ipn_mode", "hmac")
	fields.Set("ipn_type", typ)
	fields.Set("merchant", merchantID)
	fields.Set("status", strconv.Itoa(status))
	fields.Set("status_text", statusText)
	job := &ipnJob{id: id, typ: typ, url: target, secret: acct.IPNSecret, merchant: merchantID, status: status, body: fields.Encode()}
	s.enqueueIPN(job)
}

func (s *Server) queueTxIPNLocked(tx *txRec) {
	f := url.Values{
		"txn_id":            {tx.TxnID},
		"currency1":         {tx.Currency1},
		"currency2":         {tx.Currency2},
		"amount1":           {formatUnits(tx.Amount1)},
		"amount2":           {formatUnits(tx.Amount2)},
		"fee":               {formatUnits(0)},
		"buyer_name":        {tx.BuyerName},
		"email":             {tx.BuyerEmail},
		"item_name":         {tx.ItemName},
		"item_number":       {tx.ItemNumber},
		"invoice":           {tx.Invoice},
		"custom":            {tx.Custom},
		"received_amount":   {formatUnits(tx.Received)},
		"received_confirms": {strconv.Itoa(tx.RecvConfirms)},
	}
	s.queueIPNLocked(tx.MerchantID, tx.IPNURL, "api", tx.Status, paymentStatusText(tx.Status), f)
}

func depositStatusText(st int) string {
	if st >= PaymentComplete {
		return "Deposit confirmed"
	}
	return "Deposit seen on network, awaiting confirmations"
}

func (s *Server) queueDepositIPNLocked(addr *addressRec, dep *depositRec) {
	f := url.Values{
		"deposit_id": {dep.ID},
		"txn_id":     {dep.TxID},
		"address":    {dep.Address},
		"dest_tag":   {""},
		"currency":   {dep.Coin},
		"confirms":   {strconv.Itoa(dep.Confirms)},
		"amount":     {formatUnits(dep.Amount)},
		"amounti":    {strconv.FormatInt(dep.Amount, 10)},
		"fee":        {formatUnits(0)},
		"feei":       {"0"},
	}
	s.queueIPNLocked(addr.MerchantID, addr.IPNURL, "deposit", dep.Status, depositStatusText(dep.Status), f)
}

func (s *Server) queueWithdrawalIPNLocked(w *withdrawalRec) {
	if w.Kind != "withdrawal" {
		return
	}
	f := url.Values{
		"id":       {w.ID},
		"txn_id":   {w.SendTxID},
		"address":  {w.Address},
		"currency": {w.Coin},
		"amount":   {formatUnits(w.Amount)},
		"amounti":  {strconv.FormatInt(w.Amount, 10)},
	}
	if w.Note != "" {
		f.Set("note", w.Note)
	}
	s.queueIPNLocked(w.MerchantID, w.IPNURL, "withdrawal", w.Status, withdrawalStatusText(w.Status), f)
}

// SignIPN returns the HMAC header value for an IPN body: lowercase hex of
// HMAC-SHA512(body, secret).
func SignIPN(body []byte, secret string) string {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) enqueueIPN(job *ipnJob) {
	if s.closed.Load() {
		return
	}
	s.ipnMu.Lock()
	s.ipnQueue = append(s.ipnQueue, job)
	s.ipnPending++
	s.ipnMu.Unlock()
	select {
	case s.ipnWake <- struct{}{}:
	default:
	}
}

// ipnDispatcher sends first attempts in queue order until Close.
func (s *Server) ipnDispatcher() {
	defer s.ipnWG.Done()
	for {
		s.ipnMu.Lock()
		var job *ipnJob
		if len(s.ipnQueue) > 0 {
			job = s.ipnQueue[0]
			s.ipnQueue[0] = nil
			s.ipnQueue = s.ipnQueue[1:]
		}
		s.ipnMu.Unlock()
		if job == nil {
			select {
			case <-s.ctx.Done():
				return
			case <-s.ipnWake:
				continue
			}
		}
		if s.attemptIPN(job, 1) {
			s.ipnDone()
			continue
		}
		s.ipnWG.Add(1)
		go s.retryIPN(job)
	}
}

func (s *Server) retryIPN(job *ipnJob) {
	defer s.ipnWG.Done()
	defer s.ipnDone()
	for attempt := 2; attempt <= 1+ipnMaxRetries; attempt++ {
		t := time.NewTimer(s.backoff(attempt - 1))
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if s.attemptIPN(job, attempt) {
			return
		}
	}
	s.log.Warn("sandbox IPN given up", "ipn_id", job.id, "url", redactURL(job.url), "attempts", 1+ipnMaxRetries)
}

func (s *Server) ipnDone() {
	s.ipnMu.Lock()
	s.ipnPending--
	s.ipnMu.Unlock()
}

// attemptIPN posts once and logs the attempt; it reports delivery.
func (s *Server) attemptIPN(job *ipnJob, attempt int) bool {
	entry := IPNAttempt{Time: s.now(), URL: job.url, IPNID: job.id, IPNType: job.typ, Merchant: job.merchant,
		Status: job.status, Attempt: attempt, Body: job.body}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, job.url, strings.NewReader(job.body))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HMAC", SignIPN([]byte(job.body), job.secret))
		req.Header.Set("User-Agent", "wallexkit-sandbox-ipn/1")
		var res *http.Response
		res, err = s.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
			res.Body.Close()
			entry.HTTPStatus = res.StatusCode
			entry.Delivered = res.StatusCode >= 200 && res.StatusCode < 300
		}
	}
	if err != nil {
		entry.Error = err.Error()
	} else if !entry.Delivered {
		entry.Error = "HTTP " + strconv.Itoa(entry.HTTPStatus)
	}
	s.ipnMu.Lock()
	if len(s.ipnLog) >= ipnLogCap {
		s.ipnLog = append(s.ipnLog[:0], s.ipnLog[len(s.ipnLog)-ipnLogCap/2:]...)
	}
	s.ipnLog = append(s.ipnLog, entry)
	s.ipnMu.Unlock()
	s.log.Info("sandbox IPN attempt", "ipn_id", job.id, "type", job.typ, "url", redactURL(job.url),
		"attempt", attempt, "http_status", entry.HTTPStatus, "delivered", entry.Delivered)
	return entry.Delivered
}

// redactURL drops userinfo and query (which may carry secrets) for logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid url)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// IPNLog returns every recorded delivery attempt, oldest first.
func (s *Server) IPNLog() []IPNAttempt {
	s.ipnMu.Lock()
	defer s.ipnMu.Unlock()
	out := make([]IPNAttempt, len(s.ipnLog))
	copy(out, s.ipnLog)
	return out
}

// PendingIPNs reports notifications queued or awaiting a retry.
func (s *Server) PendingIPNs() int {
	s.ipnMu.Lock()
	defer s.ipnMu.Unlock()
	return s.ipnPending
}
