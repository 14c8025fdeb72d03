package traciumtest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"time"
)

// Server is an in-process Tracium API server listening on a loopback
// address. Build it with [NewServer] and stop it with [Server.Close]. All its
// methods are safe to call concurrently, with each other and with the
// requests it serves.
type Server struct {
	cfg       config
	ts        *httptest.Server
	mux       *http.ServeMux
	closing   chan struct{}
	closeOnce sync.Once

	mu         sync.Mutex
	requests   []*Request
	traces     map[traceKey]*traceState
	traceOrder []traceKey
	spanCount  int
	faults     []*faultState
}

// NewServer starts a Server on a loopback address with the given options and
// returns it. The caller must call [Server.Close] when done, typically with
// t.Cleanup(srv.Close).
func NewServer(opts ...Option) *Server {
	s := &Server{
		cfg:     newConfig(opts),
		mux:     http.NewServeMux(),
		closing: make(chan struct{}),
		traces:  make(map[traceKey]*traceState),
	}
	s.route("POST /agents/traces", jsonBody, false, s.handleStart)
	s.route("POST /agents/traces/{trace_id}/spans", jsonBody, true, s.handleSpans)
	s.route("POST /agents/traces/{trace_id}/complete", jsonBody, true, s.handleComplete)
	s.route("POST /agents/traces/{trace_id}/fail", jsonBody, true, s.handleFail)
	s.route("POST /drift/check", noBody, false, s.handleDrift)
	s.route("POST /drift/prompt-embeddings/check", noBody, false, s.handlePromptDrift)
	s.route("GET /auth/me", noBody, false, s.handleAuthMe)
	s.route("GET /agents/traces/{trace_id}/gantt", noBody, true, s.handleGantt)

	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// Clients that go away, dropped connections and the like are part of
	// the tests; keep the server's own log quiet about them.
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.ts.Start()
	return s
}

// URL returns the server's base URL, e.g. "http://127.0.0.1:34567", with no
// trailing slash. The endpoints are served at its root.
func (s *Server) URL() string { return s.ts.URL }

// APIKey returns the API key the server accepts in the X-API-Key header.
func (s *Server) APIKey() string { return s.cfg.apiKey }

// Client returns an http.Client whose transport is set up for the server;
// any http.Client works too.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close stops the server and waits for the requests being served to finish.
// Requests held by a black-hole or latency [Fault] are released first (their
// connections are reset), so Close never hangs on them. Recorded requests
// and traces stay readable after Close. Close is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.ts.Close()
	})
}

// bodyKind says whether an endpoint takes a JSON body or none.
type bodyKind int

const (
	jsonBody bodyKind = iota
	noBody
)

// call is one request on its way through the checks to its handler.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	rec     *Request
	body    []byte
	traceID string // the path's trace id, for trace-scoped endpoints
	// tenant is the X-Tenant-ID header, present only when hasTenant.
	tenant    string
	hasTenant bool
}

// traceKey is the stored trace a trace-scoped request addresses.
func (c *call) traceKey() traceKey { return traceKey{tenant: c.tenant, id: c.traceID} }

// scope names the tenant a trace id was looked up in, for error messages.
func (c *call) scope() string {
	if !c.hasTenant {
		return " (no X-Tenant-ID)"
	}
	return fmt.Sprintf(" for tenant %q", cut(c.tenant, 40))
}

// ctxKey carries the *call from serve to the mux handlers.
type ctxKey struct{}

// serve records the request, applies faults, finds the endpoint and hands
// the request to it through the shared checks of route.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.maxBodyBytes))
	rec := &Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
		Time:     time.Now(),
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	if f, ok := s.takeFault(r); ok {
		s.mu.Lock()
		rec.Faulted = true
		s.mu.Unlock()
		if s.applyFault(w, r, rec, f) {
			return
		}
	}
	c := &call{w: w, r: r, rec: rec, body: body}
	if readErr != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(readErr, &tooLarge) {
			s.fail(c, http.StatusRequestEntityTooLarge, "body: larger than %d bytes", s.cfg.maxBodyBytes)
		}
		return // otherwise the client went away mid-body: nobody to answer
	}

	if p := r.URL.Path; p != "/" && (path.Clean(p) != p || strings.HasSuffix(p, "/")) {
		s.fail(c, http.StatusNotFound, "no endpoint at %q: the path has an empty, '.' or '..' segment or a trailing slash (an empty trace id?)", cut(p, 80))
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.noRoute(c)
		return
	}
	s.mux.ServeHTTP(w, r.WithContext(contextWithCall(r, c)))
}

// noRoute answers a request that matches no endpoint: 405 when the path
// exists for another method, 404 otherwise.
func (s *Server) noRoute(c *call) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := c.r.Clone(c.r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		c.w.Header().Set("Allow", strings.Join(allow, ", "))
		s.fail(c, http.StatusMethodNotAllowed, "method %s not allowed on %s; allowed: %s", c.r.Method, c.r.URL.Path, strings.Join(allow, ", "))
		return
	}
	s.fail(c, http.StatusNotFound, "no endpoint %s %s", c.r.Method, cut(c.r.URL.Path, 80))
}

// route registers an endpoint behind the checks every request goes through,
// in this order: X-API-Key (401), User-Agent (400), X-Tenant-ID (400), the
// path's trace id (400), then for JSON endpoints no query (400),
// Content-Type and Content-Encoding (415), and for the others no body (400).
func (s *Server) route(pattern string, kind bodyKind, traceScoped bool, handle func(*call)) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c := callFrom(r)
		if !s.checkHeaders(c) {
			return
		}
		if traceScoped {
			c.traceID = r.PathValue("trace_id")
			if err := checkTraceID("path trace_id", c.traceID); err != nil {
				s.fail(c, http.StatusBadRequest, "%v", err)
				return
			}
		}
		switch kind {
		case jsonBody:
			if r.URL.RawQuery != "" {
				s.fail(c, http.StatusBadRequest, "query: this endpoint takes no query parameters, got %q", cut(r.URL.RawQuery, 80))
				return
			}
			if err := checkJSONContentType(r.Header); err != nil {
				s.fail(c, http.StatusUnsupportedMediaType, "%v", err)
				return
			}
			if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
				// The contract knows no compressed bodies.
				s.fail(c, http.StatusUnsupportedMediaType, "Content-Encoding: %q is not supported, send the JSON body uncompressed", cut(ce, 40))
				return
			}
		case noBody:
			if len(c.body) > 0 {
				s.fail(c, http.StatusBadRequest, "body: this endpoint takes no body (parameters go in the query), got %d bytes", len(c.body))
				return
			}
		}
		handle(c)
	})
}

// checkHeaders checks X-API-Key, User-Agent and X-Tenant-ID, answering the
// first failure.
func (s *Server) checkHeaders(c *call) bool {
	keys := c.r.Header.Values("X-API-Key")
	switch {
	case len(keys) == 0:
		s.fail(c, http.StatusUnauthorized, "X-API-Key: header is missing")
		return false
	case len(keys) > 1 || subtle.ConstantTimeCompare([]byte(keys[0]), []byte(s.cfg.apiKey)) != 1:
		// Never echo a key, right or wrong.
		s.fail(c, http.StatusUnauthorized, "X-API-Key: not a valid API key")
		return false
	}
	if strings.TrimSpace(c.r.Header.Get("User-Agent")) == "" {
		s.fail(c, http.StatusBadRequest, "User-Agent: header is missing or empty")
		return false
	}
	tenants := c.r.Header.Values("X-Tenant-ID")
	switch {
	case len(tenants) > 1:
		s.fail(c, http.StatusBadRequest, "X-Tenant-ID: header given %d times", len(tenants))
		return false
	case len(tenants) == 1:
		if tenants[0] == "" {
			s.fail(c, http.StatusBadRequest, "X-Tenant-ID: header is present but empty")
			return false
		}
		if err := checkTenant("X-Tenant-ID", tenants[0]); err != nil {
			s.fail(c, http.StatusBadRequest, "%v", err)
			return false
		}
		c.tenant, c.hasTenant = tenants[0], true
	}
	return true
}

// checkJSONContentType accepts application/json, optionally with a UTF-8
// charset parameter, and nothing else.
func checkJSONContentType(h http.Header) error {
	ct := h.Get("Content-Type")
	if ct == "" {
		return errors.New("Content-Type: header is missing, want application/json")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return fmt.Errorf("Content-Type: %q is not application/json", cut(ct, 80))
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return fmt.Errorf("Content-Type: unexpected parameter %s=%q (only charset=utf-8 is allowed)", k, cut(v, 40))
		}
	}
	return nil
}

// checkBodyTenant applies the tenant consistency rule: a body tenant_id next
// to an X-Tenant-ID header must equal the header cut to 255 characters.
func checkBodyTenant(c *call, path, bodyTenant string) error {
	if !c.hasTenant {
		return nil
	}
	if want := cutRunes(c.tenant, maxTenantLen); bodyTenant != want {
		return fmt.Errorf("%s: %q does not match the X-Tenant-ID header %q", path, cut(bodyTenant, 40), cut(want, 40))
	}
	return nil
}

func contextWithCall(r *http.Request, c *call) context.Context {
	return context.WithValue(r.Context(), ctxKey{}, c)
}

func callFrom(r *http.Request) *call {
	return r.Context().Value(ctxKey{}).(*call)
}

// setStatus records the status answered for rec. It must run before the
// status is written, so that a client that has its answer also finds it in
// [Server.Requests].
func (s *Server) setStatus(rec *Request, status int) {
	s.mu.Lock()
	rec.Status = status
	s.mu.Unlock()
}

// reply answers status with v as JSON.
func (s *Server) reply(c *call, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"detail":"traciumtest: cannot encode the response"}`)
	}
	s.setStatus(c.rec, status)
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(bytes.TrimSpace(b))
}

// fail answers status with {"detail": message}.
func (s *Server) fail(c *call, status int, format string, args ...any) {
	s.reply(c, status, map[string]string{"detail": fmt.Sprintf(format, args...)})
}
