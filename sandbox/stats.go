package sandbox

import (
	"maps"
	"time"
)

// KeyStats counts what the sandbox saw for one API key (public key). The key
// need not exist: requests naming an unknown key are counted under that name.
type KeyStats struct {
	RequestsSeen  int            `json:"requests_seen"`  // every HTTP request naming the key (login included)
	Calls         int            `json:"calls"`          // non-login requests that passed auth and reached a command
	Logins        int            `json:"logins"`         // successful logins
	FailedCalls   int            `json:"failed_calls"`   // answers that were failures: API errors, 400/401, failed logins
	NonceErrors   int            `json:"nonce_errors"`   // nonce missing, malformed or too small
	Overlaps      int            `json:"overlaps"`       // nonce-bearing requests that arrived while another was in flight
	MaxConcurrent int            `json:"max_concurrent"` // most requests in flight at once for the key
	InFlight      int            `json:"in_flight"`      // requests in flight now
	Throttled     int            `json:"throttled"`      // requests refused with HTTP 429
	Faults        int            `json:"faults"`         // requests hit by an injected fault
	ByCmd         map[string]int `json:"by_cmd"`         // requests per cmd (login included)
}

type keyStats struct {
	KeyStats
	nonceInFlight int
}

// Throttling (spec §5): more than throttleLimit failures within
// throttleWindow makes the key answer 429 until old failures leave the window.
const (
	throttleLimit  = 20
	throttleWindow = 2 * time.Minute
)

func (s *Server) statsFor(key string) *keyStats {
	ks := s.stats[key]
	if ks == nil {
		ks = &keyStats{KeyStats: KeyStats{ByCmd: map[string]int{}}}
		s.stats[key] = ks
	}
	return ks
}

// trackBegin records a request's arrival; the returned func marks its end.
func (s *Server) trackBegin(key, cmd string, nonceBearing bool) func() {
	if key == "" {
		return func() {}
	}
	s.statsMu.Lock()
	ks := s.statsFor(key)
	ks.RequestsSeen++
	if cmd != "" {
		ks.ByCmd[cmd]++
	}
	ks.InFlight++
	ks.MaxConcurrent = max(ks.MaxConcurrent, ks.InFlight)
	if nonceBearing {
		if ks.nonceInFlight > 0 {
			ks.Overlaps++
		}
		ks.nonceInFlight++
	}
	s.statsMu.Unlock()
	return func() {
		s.statsMu.Lock()
		ks.InFlight--
		if nonceBearing {
			ks.nonceInFlight--
		}
		s.statsMu.Unlock()
	}
}

func (s *Server) bump(key string, f func(*KeyStats)) {
	if key == "" {
		return
	}
	s.statsMu.Lock()
	f(&s.statsFor(key).KeyStats)
	s.statsMu.Unlock()
}

// recordFailure counts a failed call towards the key's throttle window.
func (s *Server) recordFailure(key string) {
	if key == "" {
		return
	}
	now := s.now()
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.statsFor(key).FailedCalls++
	s.failures[key] = append(pruneFailures(s.failures[key], now), now)
}

func pruneFailures(list []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(list) && now.Sub(list[i]) >= throttleWindow {
		i++
	}
	return list[i:]
}

// throttled reports whether the key is over the limit and, if so, how long
// until it is not.
func (s *Server) throttled(key string) (bool, time.Duration) {
	if key == "" {
		return false, 0
	}
	now := s.now()
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	list := pruneFailures(s.failures[key], now)
	if len(list) == 0 {
		delete(s.failures, key)
		return false, 0
	}
	s.failures[key] = list
	if len(list) <= throttleLimit {
		return false, 0
	}
	// The key is free again once enough old failures have left the window.
	oldest := list[len(list)-throttleLimit-1]
	return true, throttleWindow - now.Sub(oldest)
}

// Stats returns a snapshot of the counters for a public key.
func (s *Server) Stats(publicKey string) KeyStats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	ks := s.stats[publicKey]
	if ks == nil {
		return KeyStats{ByCmd: map[string]int{}}
	}
	out := ks.KeyStats
	out.ByCmd = maps.Clone(ks.ByCmd)
	return out
}

// ResetStats clears the counters (not the throttle window) for a public key.
func (s *Server) ResetStats(publicKey string) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if ks := s.stats[publicKey]; ks != nil {
		inflight, nonceInFlight := ks.InFlight, ks.nonceInFlight
		*ks = keyStats{KeyStats: KeyStats{ByCmd: map[string]int{}, InFlight: inflight}, nonceInFlight: nonceInFlight}
	}
}
