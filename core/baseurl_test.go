package core

import "testing"

// The WebAssembly builds read API URLs with strictBaseURL instead of net/url: wherever it accepts
// a URL it must read exactly what url.Parse reads (parseBaseURL here, natively), and it may only
// refuse URLs with characters that net/url would escape or unescape.
func TestStrictBaseURLReadsAsNetURL(t *testing.T) {
	for _, raw := range []string{
		"https://wallexpay.io/api", "https://wallexpay.io/api/", "http://127.0.0.1:8787/api", "HTTPS://Example.COM/api",
		"http://localhost:1/api", "http://[::1]:8080/api", "http://[::1]/api", "https://gw.example/v1/call", "https://h",
		"https://h:/api", "https://user:pass@h/api", "https://user@h/api", "https://h/api?x=1", "https://h/api?", "https://h/api#",
		"https://h/api#frag", "ftp://h/api", "wallexpay.io/api", "//h/api", "/api", "", "https://", "https://h:x/api",
		"https://h/a:b@c$d&e+f,g;h=i", "h:", "1https://h/api", "http://a.localhost:80/x/y/", "https://h/api///",
		"https://h/api?x=1#f", "https://u:p:q@h/", "https://@h/api", "https://h/%41pi", "https://h/a b", "https://hé/api",
		"https://[fe80::1%25en0]/api", "https://h:99999/api", "mailto:x@h", "https://h/api?a=%zz", "http://[::1/api",
	} {
		s, ok := strictBaseURL(raw)
		n, nok := parseBaseURL(raw)
		if !ok {
			if _, err := checkBaseURLWith(raw, false, parseBaseURL); err == nil {
				t.Logf("stricter in WebAssembly builds: %q is refused there (it needs escaping)", raw)
			}
			continue
		}
		if !nok {
			t.Errorf("%q: strict accepts it, net/url does not", raw)
			continue
		}
		if s != n {
			t.Errorf("%q:\n strict  %+v\n net/url %+v", raw, s, n)
		}
		strictErr, netErr := errText(checkStrict(raw)), errText(checkBaseURLWith(raw, false, parseBaseURL))
		if strictErr != netErr {
			t.Errorf("%q: checkBaseURL differs: %q vs %q", raw, strictErr, netErr)
		}
	}
}

func checkStrict(raw string) (string, error) { return checkBaseURLWith(raw, false, strictBaseURL) }

func errText(_ string, err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
