package tenant

import (
	"net/http"
)

// Extractor reads the tenant id a request claims. It returns "" when the
// request names none.
type Extractor func(*http.Request) string

// FromHeader returns an Extractor that reads the named header.
func FromHeader(name string) Extractor {
	return func(r *http.Request) string { return r.Header.Get(name) }
}

// MissingPolicy says what [Middleware] does with a request that names no
// tenant.
type MissingPolicy int

const (
	// PassThrough serves the request with no tenant in its context. It is
	// the default.
	PassThrough MissingPolicy = iota
	// UseDefault serves the request with the default tenant (see
	// [WithDefault]).
	UseDefault
	// Reject answers 401 Unauthorized and does not call the next handler.
	Reject
)

type config struct {
	extract Extractor
	missing MissingPolicy
	def     ID
	onError func(*http.Request, error)
}

// Option configures [Middleware].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithExtractor sets how the tenant is read from a request. The default reads
// the X-Tenant-ID header. A nil Extractor keeps the default.
func WithExtractor(e Extractor) Option {
	return optionFunc(func(c *config) {
		if e != nil {
			c.extract = e
		}
	})
}

// WithMissing sets the policy for requests that name no tenant. The default is
// [PassThrough].
func WithMissing(p MissingPolicy) Option {
	return optionFunc(func(c *config) { c.missing = p })
}

// WithDefault sets the tenant used under [UseDefault] and selects that policy.
// The zero ID is ignored.
func WithDefault(id ID) Option {
	return optionFunc(func(c *config) {
		if !id.IsZero() {
			c.def = id
			c.missing = UseDefault
		}
	})
}

// WithErrorHandler sets a function told about each request whose tenant id
// is invalid, before it is answered with 400. The default does nothing: the
// caller controls the value, so logging every bad header is theirs to choose.
func WithErrorHandler(f func(*http.Request, error)) Option {
	return optionFunc(func(c *config) { c.onError = f })
}

// Middleware returns a net/http middleware that puts the tenant of each
// request into the request's context (see [With]). A request whose tenant
// id is invalid is answered with 400; a request with none is handled by the
// [MissingPolicy]. The tenant lives in that request's context only.
//
// The returned function fits routers that take func(http.Handler)
// http.Handler middlewares (chi, gorilla/mux, and plain wrapping).
func Middleware(opts ...Option) func(http.Handler) http.Handler {
	c := config{extract: FromHeader(Header)}
	for _, o := range opts {
		o.apply(&c)
	}
	if c.missing == UseDefault && c.def.IsZero() {
		c.missing = PassThrough
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw := c.extract(r)
			if raw == "" {
				switch c.missing {
				case Reject:
					http.Error(w, "tenant required", http.StatusUnauthorized)
					return
				case UseDefault:
					r = r.WithContext(With(r.Context(), c.def))
				}
				next.ServeHTTP(w, r)
				return
			}
			id, err := New(raw)
			if err != nil {
				if c.onError != nil {
					c.onError(r, err)
				}
				http.Error(w, "invalid tenant id", http.StatusBadRequest)
				return
			}
			next.ServeHTTP(w, r.WithContext(With(r.Context(), id)))
		})
	}
}
