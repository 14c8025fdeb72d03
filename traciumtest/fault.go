package traciumtest

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"
)

// defaultFaultBody is the body of a status fault that sets no Body.
const defaultFaultBody = `{"detail":"traciumtest: injected fault"}`

// Fault makes the server misbehave for the requests it matches. The zero
// value matches every request and does nothing; set at least one of Status,
// Latency, Drop or BlackHole.
//
// A matching fault first waits Latency, then does the first of these that is
// set: Drop, BlackHole, Status. With none of them set it is a latency-only
// fault and the request is then handled normally. Drop, BlackHole and Status
// faults skip the handling entirely, so the request changes no stored state
// (it is still recorded in [Server.Requests], with [Request.Faulted] set).
type Fault struct {
	// Method restricts the fault to one HTTP method ("" matches all); it is
	// compared case-insensitively.
	Method string
	// PathPrefix restricts the fault to paths that start with it ("" matches
	// all), e.g. "/agents/traces/" for every call on an existing trace.
	PathPrefix string
	// Status is answered instead of handling the request (0: none). Values
	// outside 200..599 are answered as 500.
	Status int
	// RetryAfter, when non-empty, is sent as the Retry-After header of a
	// Status answer.
	RetryAfter string
	// Body is the body of a Status answer; "" sends
	// {"detail":"traciumtest: injected fault"}. A body that is valid JSON is
	// sent as application/json, anything else as text/plain.
	Body string
	// Latency delays the request before anything else happens. The request
	// is then handled (or faulted) even if the client gave up meanwhile, as a
	// real server that already read the request would: this is how a test
	// makes the server accept a start whose client timed out. Only
	// [Server.Close] cuts the delay short.
	Latency time.Duration
	// Drop closes the connection without answering, with a TCP reset: the
	// client sees a connection error. Note that Go's http.Transport retries
	// an idempotent request (GET) on its own when a reused connection is
	// dropped, so such a request may arrive twice.
	Drop bool
	// BlackHole never answers: the request is held until the client gives up
	// or the server is closed, and then the connection is reset.
	BlackHole bool
	// Times is how many matching requests the fault applies to; 0 (or a
	// negative value) means every matching request until
	// [Server.ClearFaults].
	Times int
}

func (f Fault) matches(r *http.Request) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
		return false
	}
	return strings.HasPrefix(r.URL.Path, f.PathPrefix)
}

// faultState is an injected fault and how many times it has applied.
type faultState struct {
	f    Fault
	used int
}

// InjectFault adds f after the faults already injected. For each request the
// faults are checked in the order they were injected, and the first one that
// matches and has not used up its Times applies; at most one fault applies to
// a request. It is safe to call concurrently with requests being served.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{f: f})
}

// ClearFaults removes every injected fault. Requests already held by a fault
// (delayed or black-holed) are not released by it. It is safe to call
// concurrently.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the fault that applies to r, counting the use.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, fs := range s.faults {
		if fs.f.Times > 0 && fs.used >= fs.f.Times {
			continue
		}
		if fs.f.matches(r) {
			fs.used++
			return fs.f, true
		}
	}
	return Fault{}, false
}

// applyFault carries out f. It reports whether the request is finished; false
// means a latency-only fault after which the request is handled normally.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, rec *Request, f Fault) bool {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-s.closing:
			t.Stop()
			reset(w)
			return true
		}
	}
	switch {
	case f.Drop:
		reset(w)
		return true
	case f.BlackHole:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		reset(w)
		return true
	case f.Status != 0:
		status := f.Status
		if status < 200 || status > 599 {
			status = http.StatusInternalServerError
		}
		body := f.Body
		if body == "" {
			body = defaultFaultBody
		}
		h := w.Header()
		if json.Valid([]byte(body)) {
			h.Set("Content-Type", "application/json")
		} else {
			h.Set("Content-Type", "text/plain; charset=utf-8")
		}
		if f.RetryAfter != "" {
			h.Set("Retry-After", f.RetryAfter)
		}
		s.setStatus(rec, status)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return true
	}
	return false
}

// reset closes the connection of w without an answer. SO_LINGER 0 makes the
// close send a TCP RST, so the client sees a reset rather than a clean EOF.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
