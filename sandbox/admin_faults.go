package sandbox

import (
	"net/http"
	"time"
)

type faultJSON struct {
	Kind    string `json:"kind"`
	Count   int    `json:"count"`
	DelayMS int    `json:"delay_ms,omitempty"`
	Status  int    `json:"status,omitempty"`
	Cmd     string `json:"cmd,omitempty"`
	Key     string `json:"key,omitempty"`
	Field   string `json:"field,omitempty"`
	As      string `json:"as,omitempty"`
}

func (s *Server) adminInjectFault(r *http.Request) (int, any, error) {
	var b faultJSON
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	f := Fault{Kind: b.Kind, Count: b.Count, Delay: time.Duration(b.DelayMS) * time.Millisecond, Status: b.Status, Cmd: b.Cmd, Key: b.Key, Field: b.Field, As: b.As}
	if err := s.InjectFault(f); err != nil {
		return 0, nil, err
	}
	return s.adminListFaultsStatus(http.StatusCreated)
}

func (s *Server) adminListFaults(r *http.Request) (int, any, error) {
	return s.adminListFaultsStatus(http.StatusOK)
}

func (s *Server) adminListFaultsStatus(status int) (int, any, error) {
	out := []faultJSON{}
	for _, f := range s.PendingFaults() {
		out = append(out, faultJSON{Kind: f.Kind, Count: f.Count, DelayMS: int(f.Delay / time.Millisecond), Status: f.Status, Cmd: f.Cmd, Key: f.Key, Field: f.Field, As: f.As})
	}
	return status, map[string]any{"pending": out}, nil
}

func (s *Server) adminClearFaults(r *http.Request) (int, any, error) {
	s.ClearFaults()
	return http.StatusOK, nil, nil
}

func (s *Server) adminStats(r *http.Request) (int, any, error) {
	key := r.URL.Query().Get("key")
	if key == "" {
		return 0, nil, invalid("query parameter key (a public key) is required")
	}
	return http.StatusOK, s.Stats(key), nil
}

func (s *Server) adminResetStats(r *http.Request) (int, any, error) {
	key := r.URL.Query().Get("key")
	if key == "" {
		return 0, nil, invalid("query parameter key (a public key) is required")
	}
	s.ResetStats(key)
	return http.StatusOK, nil, nil
}
