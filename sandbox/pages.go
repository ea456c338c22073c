package sandbox

import (
	"html/template"
	"net/http"
	"strings"
	"time"
)

// Buyer-facing pages behind checkout_url, status_url and qrcode_url. They
// are deliberately plain: the sandbox has no real buyer.

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} {{.TxnID}} (sandbox)</title></head>
<body>
<h1>{{.Title}}</h1>
<p>Sandbox payment {{.TxnID}}: no real money moves here.</p>
<dl>
<dt>Amount</dt><dd>{{.Amount}} {{.Coin}}</dd>
<dt>Pay to</dt><dd><code>{{.Address}}</code></dd>
<dt>Received</dt><dd>{{.Received}} {{.Coin}}</dd>
<dt>Status</dt><dd>{{.Status}} ({{.StatusText}})</dd>
<dt>Expires</dt><dd>{{.Expires}}</dd>
</dl>
</body></html>
`))

var qrTmpl = template.Must(template.New("qr").Parse(`<svg xmlns="http://www.w3.org/2000/svg" width="360" height="80" viewBox="0 0 360 80">
<rect width="360" height="80" fill="#fff" stroke="#000"/>
<text x="10" y="30" font-family="monospace" font-size="12">sandbox payment (no real QR code)</text>
<text x="10" y="55" font-family="monospace" font-size="10">{{.}}</text>
</svg>
`))

func (s *Server) pageTx(id string) (*txRec, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := s.st.txs[id]
	if tx == nil {
		return nil, false
	}
	tx, err := s.expireLocked(tx, s.now())
	if err != nil {
		return nil, false
	}
	return tx, true
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	tx, ok := s.pageTx(r.PathValue("txn"))
	if !ok {
		http.Error(w, "no such sandbox transaction", http.StatusNotFound)
		return
	}
	title := "Checkout"
	if strings.HasPrefix(r.URL.Path, "/status/") {
		title = "Payment status"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, map[string]any{
		"Title": title, "TxnID": tx.TxnID, "Amount": formatUnits(tx.Amount2), "Coin": tx.Currency2,
		"Address": tx.Address, "Received": formatUnits(tx.Received), "Status": tx.Status,
		"StatusText": paymentStatusText(tx.Status), "Expires": time.Unix(tx.Expires, 0).UTC().Format(time.RFC3339),
	})
}

func (s *Server) serveQR(w http.ResponseWriter, r *http.Request) {
	tx, ok := s.pageTx(r.PathValue("txn"))
	if !ok {
		http.Error(w, "no such sandbox transaction", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	_ = qrTmpl.Execute(w, strings.ToLower(tx.Currency2)+":"+tx.Address+"?amount="+formatUnits(tx.Amount2))
}
