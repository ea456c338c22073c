package core

import "context"

// Request is one HTTP POST the client wants sent. Header names are canonical
// ("Content-Type", "Authorization", "User-Agent", "Accept").
type Request struct {
	URL    string
	Header map[string]string
	Body   []byte
	// Fence marks the calls of a reconcile (its nonce fence and the history reads after it, spec
	// §7.3). A transport that chooses nonces after a request has left this client (the edge
	// gateway's sequencer) must then never send a request made before the fence: the fence proves
	// nothing about a request whose nonce is chosen after it.
	Fence bool
	// SameNonce marks a request sent again with the nonce its first copy carried (after a 401: the
	// API refuses it if that copy was carried out). A transport that chooses nonces itself must
	// send it with that nonce as it is, never a new one, which would make it a second operation.
	SameNonce bool
}

// HTTPResponse is what came back. Header names are lower case; a transport may pass only the
// headers the core reads (AnswerHeaders).
type HTTPResponse struct {
	Status int
	Header map[string]string
	Body   []byte
}

// AnswerHeaders are the headers of an answer the core reads (lower case): a transport that must
// copy each header it passes may pass only these.
// ("date": how far this machine's clock is ahead of the API's, for reconcile's search window).
var AnswerHeaders = []string{"content-type", "retry-after", "location", "date"}

// Transport sends a request and returns the answer. It is the only way the core reaches the
// network: the net/http adapter lives in core/nethttp, the Fetch API one in wasm/fetch.
//
// A Transport must honour ctx (abort the request when it is done) and should wrap errors with
// NotSent when it is certain the request never left (so money commands may be retried).
// Any HTTP status is a successful round trip: return it, do not turn it into an error.
type Transport interface {
	RoundTrip(ctx context.Context, req *Request) (*HTTPResponse, error)
}

// TransportFunc adapts a function to Transport.
type TransportFunc func(ctx context.Context, req *Request) (*HTTPResponse, error)

// RoundTrip calls f.
func (f TransportFunc) RoundTrip(ctx context.Context, req *Request) (*HTTPResponse, error) {
	return f(ctx, req)
}
