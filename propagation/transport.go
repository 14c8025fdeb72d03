package propagation

import (
	"net"
	"net/http"
	"strings"

	otelpropagation "go.opentelemetry.io/otel/propagation"

	"github.com/tracium-ai/tracium-go/internal/setopt"
)

// Transport is an http.RoundTripper that decides, per request, whether the
// Tracium members leave the process. For a host it allows, it injects them
// with its propagator (merging into the baggage header already on the
// request, and writing X-Tenant-ID with [WithTenantHeader]); for every other
// host, a third party such as an LLM provider's API, it removes every
// baggage member under [Prefix] and the X-Tenant-ID header, whoever put
// them there, in whatever letter case and with '_' or '-' the header name
// is spelled on the http.Header map, in the headers and in the trailers.
// Other baggage members and headers are left alone.
//
// With otelhttp, put the Transport inside otelhttp's, closest to the wire:
//
//	otelhttp.NewTransport(p.Transport(http.DefaultTransport, propagation.WithAllowedHosts("tools.internal")))
//
// otelhttp then starts the client span and injects trace context and
// baggage first, and the Transport has the last word on the Tracium members,
// with the depth of otelhttp's client span, which is the parent the receiver
// sees. The other order lets otelhttp's Baggage propagator overwrite the
// header after the Transport filtered it.
//
// A Transport is safe for concurrent use. It never modifies the caller's
// request: it sends a copy when it changes headers.
type Transport struct {
	base http.RoundTripper
	p    Tracium
	cfg  transportConfig
}

var _ http.RoundTripper = (*Transport)(nil)

// Transport returns a [Transport] that sends requests through base (nil
// means http.DefaultTransport) and injects t's members for the hosts opts
// allow. With no option it allows no host: every request goes out without
// Tracium members.
func (t Tracium) Transport(base http.RoundTripper, opts ...TransportOption) *Transport {
	tr := &Transport{base: base, p: t}
	setopt.Apply(&tr.cfg, opts, TransportOption.applyTransport)
	return tr
}

// RoundTrip sends req, with the Tracium members if its host is allowed and
// without them otherwise.
func (tr *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := tr.base
	if base == nil {
		base = http.DefaultTransport
	}
	allowed := tr.allows(req)
	if tr.cfg.prop == nil && !allowed && !hasOurs(req.Header) && !hasOurs(req.Trailer) {
		return base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	canonicalize(r.Header)
	if !allowed && r.Trailer != nil {
		// Trailers are headers sent after the body: strip them alike.
		canonicalize(r.Trailer)
		strip(r.Trailer)
	}
	h := otelpropagation.HeaderCarrier(r.Header)
	if tr.cfg.prop != nil {
		tr.cfg.prop.Inject(r.Context(), h)
	}
	if allowed {
		tr.p.Inject(r.Context(), h)
	} else {
		strip(r.Header)
	}
	return base.RoundTrip(r)
}

// CloseIdleConnections closes the idle connections of the base transport,
// when it can.
func (tr *Transport) CloseIdleConnections() {
	base := tr.base
	if base == nil {
		base = http.DefaultTransport
	}
	if c, ok := base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (tr *Transport) allows(req *http.Request) bool {
	if tr.cfg.all {
		return true
	}
	if len(tr.cfg.hosts) == 0 || req.URL == nil {
		return false
	}
	host, port := req.URL.Hostname(), req.URL.Port()
	if port == "" {
		switch req.URL.Scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	for _, p := range tr.cfg.hosts {
		if p.match(host, port) {
			return true
		}
	}
	return false
}

// The canonical keys of the headers a Transport governs.
const (
	canonicalTenant  = "X-Tenant-Id"
	canonicalBaggage = "Baggage"
)

// sameName reports whether the header name is a spelling of canonical: in
// any letter case, and with '_' for '-', since many servers and proxies
// (CGI, nginx, WSGI) read X_Tenant_ID as X-Tenant-ID.
func sameName(name, canonical string) bool {
	if len(name) != len(canonical) {
		return false
	}
	for i := 0; i < len(name); i++ {
		a, b := name[i], canonical[i]
		if a == '_' {
			a = '-'
		}
		if a != b && lowerASCII(a) != lowerASCII(b) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasOurs reports whether h has anything strip would remove, under any
// spelling of the header name ([sameName]): net/http sends a key set
// directly on the map (h["x-tenant-id"]) as it is, and header names are
// case-insensitive.
func hasOurs(h http.Header) bool {
	for name, vals := range h {
		switch {
		case len(vals) == 0:
		case sameName(name, canonicalTenant):
			return true
		case sameName(name, canonicalBaggage):
			for _, v := range vals {
				it := newMembers(v, nil)
				for m, ok := it.next(); ok; m, ok = it.next() {
					if isOurs(memberKey(m)) {
						return true
					}
				}
			}
		}
	}
	return false
}

// canonicalize moves the values of every non-canonical spelling
// ([sameName]) of the baggage and X-Tenant-ID header names to the canonical
// key, so that Inject merges into them and strip finds them.
func canonicalize(h http.Header) {
	for name, vals := range h {
		for _, ck := range [...]string{canonicalTenant, canonicalBaggage} {
			if name != ck && sameName(name, ck) {
				h[ck] = append(h[ck], vals...)
				delete(h, name)
			}
		}
	}
}

// strip removes our baggage members and the X-Tenant-ID header from h.
func strip(h http.Header) {
	h.Del(canonicalTenant)
	vals := h.Values(canonicalBaggage)
	if len(vals) == 0 {
		return
	}
	b, n, removed := appendKept(nil, 0, "", vals)
	switch {
	case !removed:
	case n == 0:
		h.Del("Baggage")
	default:
		h.Set("Baggage", string(b))
	}
}

// hostPattern is one pattern of WithAllowedHosts, lower-cased.
type hostPattern struct {
	host   string // the name, or the domain with its leading dot for a wildcard
	port   string // "" for any port
	suffix bool
}

func newHostPattern(p string) (hostPattern, bool) {
	p = strings.ToLower(strings.TrimSpace(p))
	if p == "" {
		return hostPattern{}, false
	}
	var hp hostPattern
	if h, port, err := net.SplitHostPort(p); err == nil {
		hp.host, hp.port = h, port
	} else {
		hp.host = strings.TrimSuffix(strings.TrimPrefix(p, "["), "]")
	}
	if rest, ok := strings.CutPrefix(hp.host, "*."); ok {
		hp.host, hp.suffix = "."+rest, true
	}
	hp.host = strings.TrimSuffix(hp.host, ".")
	return hp, hp.host != "" && hp.host != "."
}

func (p hostPattern) match(host, port string) bool {
	if p.port != "" && p.port != port {
		return false
	}
	host = strings.TrimSuffix(host, ".")
	if p.suffix {
		return len(host) > len(p.host) && strings.EqualFold(host[len(host)-len(p.host):], p.host)
	}
	return strings.EqualFold(host, p.host)
}
