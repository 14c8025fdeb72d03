// Package route opens an automatic agent trace per HTTP request, named
// after the request's route, as the official Python SDK does for Flask,
// FastAPI and Django: a request that makes three LLM calls is one agent
// trace with three spans, not three traces.
//
//	mux := http.NewServeMux()
//	mux.HandleFunc("POST /chat/{id}", chat)
//	http.ListenAndServe(addr, route.Middleware()(mux))
//
// [Middleware] scopes each request with [tracium.WithAutomaticTrace]: the
// first Tracium span the request records (tracium.StartSpan, an LLM client
// middleware of tracium-go) opens a lazy agent trace, which every later span
// and LLM call of the request joins. A request that records no span (a
// health check, a static file, a 404) sends nothing at all to Tracium.
//
// # Names
//
// The trace is named when it opens, after the route that matched: the
// Request.Pattern that a Go 1.22 http.ServeMux sets ("POST /chat/{id}"),
// made a display name by [Name] ("chat-id"): method and host removed,
// wildcard markers dropped, surrounding slashes removed, inner ones and '_'
// turned into '-', "/" named "index". Since the name is taken only when the
// trace opens, a mux that this middleware wraps has matched by then.
//
// The mux sets the pattern on the request it serves, so this middleware
// sees it when it wraps the mux directly (other middleware may go around
// it, in any order), or wraps a handler inside the mux
// (mux.Handle("POST /chat/{id}", route.Middleware()(chat))). With
// middleware between this one and the mux, each of which serves a copy of
// the request, give the mux with [WithMux]. A mux mounted in another
// (outer.Handle("/api/", http.StripPrefix("/api", inner))) matches on a
// copy too: a Middleware around the outer mux names the trace after the
// outer pattern ("api"); put one around the inner mux as well, and the
// innermost names it ("chat-id", without the prefix; nested Middlewares
// make one trace). Without a pattern the URL path
// is named the same way, as the Python SDK does (a path holds ids, so
// prefer a pattern). [WithName] names the trace by a function of your own,
// such as the route template of chi, gin or echo (examples/routers shows
// each).
//
// A call to another service carries the trace (package propagation) when
// it is made with the context of a span of the trace: start one around it
// (tracium.StartSpan(r.Context(), tracium.Tool, "billing")), which opens
// the trace if it is not open yet. Made with r.Context() itself, outside
// any Tracium span, it carries the tenant but not the trace. A job
// enqueued through traciumriver or traciumasynq opens the trace itself.
//
// # End and failure
//
// The trace ends when the handler returns: failed when the status of the
// response is 5xx ("HTTP 503 Service Unavailable"), when an
// http.TimeoutHandler around the middleware answered 503 in the handler's
// place (its late writes fail with http.ErrHandlerTimeout), when the
// handler ran past its context's deadline, or when the handler panics
// (the panic's value and stack are recorded, then the panic goes on, to
// net/http's own recovery or yours), completed otherwise. Only the status
// is looked at: the Python SDK adds no route, method or status to the
// payload, and neither does this package.
//
// The response writer the handler gets keeps the optional interfaces of the
// one it wraps (http.Flusher for server-sent events, http.Hijacker,
// io.ReaderFrom, http.Pusher), through github.com/felixge/httpsnoop, the
// library otelhttp uses for the same purpose, and http.ResponseController
// reaches the original through Unwrap.
//
// # Composition
//
// The order against tenant.Middleware does not matter: the trace takes the
// tenant (and workspace, user, session) of the context of the span that
// opens it, so a tenant set by a middleware inside this one counts. Nor does
// the order against otelhttp: outside, its server span is the agent root's
// parent; inside, its server span starts before any Tracium span and stays
// out of the agent trace, so a request that records nothing still sends
// nothing. Spans of other instrumentation (otelhttp's, a database driver's)
// never open the trace.
package route
