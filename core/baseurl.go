package core

import "strings"

// baseURL is what checkBaseURL needs to know of an API URL.
type baseURL struct {
	scheme   string // lower case
	host     string // host[:port] as written
	hostname string // host without port and brackets
	user     bool   // it carries user info
	query    bool   // it has a query (even an empty one: "?")
	fragment bool   // it has a fragment
	redacted string // the URL with a password replaced by "xxxxx" (url.URL.Redacted)
	text     string // the URL as url.URL.String writes it
}

// strictBaseURL reads scheme://[user[:password]@]host[:port][/path][?query][#fragment] where
// every part is made of characters that net/url writes back unchanged (letters, digits, "-._~",
// and in the path also "/:@$&+,;="): every API URL in practice. Anything else (percent-escapes,
// spaces, non-ASCII, an IPv6 zone, no host) is refused (ok false), and checkBaseURL then says
// the URL is not an absolute URL. Where it accepts, it reads exactly what url.Parse
// reads (baseurl_test.go compares the two); it is what the WebAssembly builds use, so that they do
// not link net/url's parser and, through its errors, package fmt (about 0.1 MB gzip).
func strictBaseURL(raw string) (u baseURL, ok bool) {
	rest := raw
	frag, query, hasQuery := "", "", false
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, frag = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, query, hasQuery = rest[:i], rest[i+1:], true
	}
	if !allIn(frag, pathChars) || !allIn(query, pathChars) {
		return u, false
	}
	u.query, u.fragment = query != "", frag != ""
	i := strings.Index(rest, "://")
	if i <= 0 || !isAlpha(rest[0]) || !allIn(rest[1:i], schemeChars) {
		return u, false
	}
	u.scheme = strings.ToLower(rest[:i])
	auth, path := rest[i+3:], ""
	if j := strings.IndexByte(auth, '/'); j >= 0 {
		auth, path = auth[:j], auth[j:]
	}
	if !allIn(path, pathChars) {
		return u, false
	}
	userinfo := ""
	if j := strings.LastIndexByte(auth, '@'); j >= 0 {
		userinfo, auth = auth[:j], auth[j+1:]
		if !allIn(userinfo, userChars) || strings.Count(userinfo, ":") > 1 {
			return u, false
		}
		u.user = true
	}
	if auth == "" {
		return u, false
	}
	host, port := auth, ""
	if strings.HasPrefix(host, "[") {
		j := strings.IndexByte(host, ']')
		if j < 0 || !allIn(host[1:j], ipv6Chars) || j == 1 {
			return u, false
		}
		host, port = auth[:j+1], auth[j+1:]
		u.hostname = auth[1:j]
	} else {
		if j := strings.LastIndexByte(host, ':'); j >= 0 {
			host, port = auth[:j], auth[j:]
		}
		if !allIn(host, hostChars) {
			return u, false
		}
		u.hostname = host
	}
	if port != "" && (port[0] != ':' || !allIn(port[1:], digits)) {
		return u, false
	}
	u.host = auth
	prefix := u.scheme + "://"
	tail := ""
	if hasQuery {
		tail = "?" + query
	}
	if frag != "" {
		tail += "#" + frag
	}
	u.text = prefix + userinfoPrefix(userinfo, u.user, false) + u.host + path + tail
	u.redacted = prefix + userinfoPrefix(userinfo, u.user, true) + u.host + path + tail
	return u, true
}

func userinfoPrefix(userinfo string, has, redact bool) string {
	if !has {
		return ""
	}
	if redact {
		if name, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
			return name + ":xxxxx@"
		}
	}
	return userinfo + "@"
}

const (
	digits      = "0123456789"
	unreserved  = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
	schemeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-."
	hostChars   = unreserved
	userChars   = unreserved + ":"
	pathChars   = unreserved + "/:@$&+,;="
	ipv6Chars   = "0123456789abcdefABCDEF:."
)

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func allIn(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}
