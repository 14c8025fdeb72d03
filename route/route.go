package route

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/felixge/httpsnoop"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/validate"
)

// Option configures [Middleware].
type Option interface{ apply(*config) }

type config struct {
	name func(*http.Request) string
	mux  Matcher
	opts []tracium.TraceOption
}

// Matcher finds the handler and pattern a request is routed to, as
// (*http.ServeMux).Handler does.
type Matcher interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// WithMux names traces after the patterns of mux, asked when a trace
// opens, for a Middleware that does not wrap the ServeMux directly: with
// other middleware between the two (tenant.Middleware, otelhttp), the mux
// sets the pattern on a copy of the request that this middleware does not
// see.
func WithMux(mux Matcher) Option {
	return optionFunc(func(c *config) { c.mux = mux })
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithName names each request's trace by name, called with the request
// when the trace opens (the request the handler got, so that a router's
// context values are there, but with the context this middleware got: no
// trace opens from it, and [tracium.TraceFromContext] finds none). A name an agent name does not allow is
// reported and sanitized by tracium.StartTrace; pass it through [Name] to
// get the Python SDK's display names. nil restores the default.
func WithName(name func(*http.Request) string) Option {
	return optionFunc(func(c *config) { c.name = name })
}

// WithTraceOptions adds options to each request's trace: tags, metadata,
// a version, tracium.WithTracerProvider (the global provider by default).
func WithTraceOptions(opts ...tracium.TraceOption) Option {
	return optionFunc(func(c *config) { c.opts = append(c.opts, opts...) })
}

// Middleware returns a net/http middleware that scopes each request by an
// automatic agent trace named after its route (see the package
// documentation). It has the shape tenant.Middleware has, which fits
// routers that take func(http.Handler) http.Handler middlewares (chi's Use)
// and plain wrapping: route.Middleware()(mux).
func Middleware(opts ...Option) func(http.Handler) http.Handler {
	var c config
	for _, o := range opts {
		o.apply(&c)
	}
	return func(next http.Handler) http.Handler { return c.handler(next) }
}

func (c *config) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var inner *http.Request
		name := func() string {
			switch {
			case c.name != nil:
				// With the context this middleware got, in which no trace
				// opens: the trace is opening now, under a lock, and a name
				// function that reached it (a trace-aware logger) would
				// wait for itself. inner's Pattern is kept.
				return c.name(inner.WithContext(r.Context()))
			case inner.Pattern == "" && c.mux != nil:
				if _, p := c.mux.Handler(inner); p != "" {
					return Name(p)
				}
			}
			return RequestName(inner)
		}
		ctx, at := tracium.WithAutomaticTrace(r.Context(), name, c.opts...)
		inner = r.WithContext(ctx)
		status, timedOut := 0, false
		rw := httpsnoop.Wrap(w, httpsnoop.Hooks{
			WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
				return func(code int) {
					if status == 0 && code >= 200 {
						status = code
					}
					next(code)
				}
			},
			Write: func(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
				return func(b []byte) (int, error) {
					if status == 0 {
						status = http.StatusOK
					}
					n, err := next(b)
					timedOut = timedOut || errors.Is(err, http.ErrHandlerTimeout)
					return n, err
				}
			},
			ReadFrom: func(next httpsnoop.ReadFromFunc) httpsnoop.ReadFromFunc {
				return func(src io.Reader) (int64, error) {
					if status == 0 {
						status = http.StatusOK
					}
					n, err := next(src)
					timedOut = timedOut || errors.Is(err, http.ErrHandlerTimeout)
					return n, err
				}
			},
		})
		defer func() {
			if p := recover(); p != nil {
				at.EndPanic(p)
				panic(p)
			}
			at.End(endError(status, timedOut, inner.Context().Err()))
		}()
		next.ServeHTTP(rw, inner)
	})
}

// endError is the failure of a request that answered status: a 5xx; a
// write refused because an http.TimeoutHandler around this middleware has
// answered 503 already; or a handler that ran past its context's deadline
// (TimeoutHandler's, or another middleware's), whatever it wrote.
func endError(status int, timedOut bool, ctxErr error) error {
	switch {
	case timedOut:
		return fmt.Errorf("HTTP 503 Service Unavailable: %w (the handler ran past http.TimeoutHandler's timeout)", http.ErrHandlerTimeout)
	case errors.Is(ctxErr, context.DeadlineExceeded) && status < 500:
		return fmt.Errorf("the handler ran past its deadline: %w", ctxErr)
	}
	return StatusError(status)
}

// StatusError returns the failure of a response with status code: an error
// naming it for a 5xx, else nil. Adapters for other routers end their
// automatic trace with it.
func StatusError(code int) error {
	if code < 500 || code > 599 {
		return nil
	}
	return fmt.Errorf("HTTP %d %s", code, http.StatusText(code))
}

// RequestName is the default name of r's trace: [Name] of the pattern a
// ServeMux matched, else of the URL path.
func RequestName(r *http.Request) string {
	if r.Pattern != "" {
		return Name(r.Pattern)
	}
	// A path is no pattern: a space or a brace in it is text.
	return validate.DisplayName(strings.Trim(r.URL.Path, "/"), "index")
}

// Name makes a route a trace name, by the Python SDK's rule for display
// names: a ServeMux pattern's method and host are removed ("GET
// example.com/a" is "/a"), and so are wildcard markers ("{id}" is "id",
// "{path...}" is "path", "{$}" nothing; chi's "{id:[0-9]+}" is "id", gin's
// and echo's ":id" and "*path" are "id" and "path"); then surrounding
// slashes are removed, inner ones, '_' and every character an agent name
// does not allow become '-', and the empty route "/" is "index".
func Name(pattern string) string {
	p := strings.TrimSpace(pattern)
	if i := strings.IndexAny(p, " \t"); i >= 0 && !strings.HasPrefix(p, "/") { // "METHOD [HOST]/PATH"
		p = strings.TrimSpace(p[i+1:])
	}
	if i := strings.IndexByte(p, '/'); i > 0 { // "HOST/PATH"
		p = p[i:]
	}
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		switch ch := p[i]; ch {
		case '{':
			// A wildcard: its name, without "...", a chi regexp or "$".
			end := strings.IndexByte(p[i:], '}')
			if end < 0 {
				end = len(p) - i
			}
			w := p[i+1 : i+end]
			if j := strings.IndexByte(w, ':'); j >= 0 {
				w = w[:j]
			}
			w = strings.TrimSuffix(w, "...")
			if w != "$" {
				b.WriteString(w)
			}
			i += end
		case ':', '*':
			// gin's and echo's parameter markers
		default:
			b.WriteByte(ch)
		}
	}
	return validate.DisplayName(strings.Trim(strings.ReplaceAll(b.String(), "//", "/"), "/"), "index")
}
