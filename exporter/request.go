package exporter

import (
	"net/http"
	"time"

	"github.com/tracium-ai/tracium-go/internal/api"
)

// reqKind is what a request does; its path follows from it, so a
// spool file can name no other endpoint.
type reqKind uint8

const (
	kindStart reqKind = 1 + iota
	kindSpans
	kindComplete
	kindFail
)

func (k reqKind) String() string {
	switch k {
	case kindStart:
		return "start"
	case kindSpans:
		return "spans"
	case kindComplete:
		return "complete"
	case kindFail:
		return "fail"
	}
	return "unknown"
}

// isEnd reports whether k completes or fails a trace.
func (k reqKind) isEnd() bool { return k == kindComplete || k == kindFail }

// request is one request of a trace to the API: its start, a post of its
// spans, or its end. The normal path builds it (postSpans, postEnd), sends
// it (send, deliver), and hands it on as it is when it cannot be delivered
// now: to parking (park.go), or to the spool (spooling.go), which keeps it
// on disk in the record format of spool_record.go.
type request struct {
	kind   reqKind
	joined bool   // spans of a trace another service started: a 404 may pass
	spans  int    // spans in body
	trace  string // the Tracium trace id this process knows the trace by
	pathID string // the id for the path, when it was known
	tenant string
	body   []byte
	// budget bounds the retries of a live request (see send); not spooled.
	budget time.Duration
	// ownRoot: an end whose trace's root this process owns, counted
	// with it (see counters.account), live or replayed: spooled as flag
	// bit 1.
	ownRoot bool
}

// key identifies the request's trace: its id within its tenant.
func (r *request) key() string { return traceKey(r.tenant, r.trace) }

// path is the request's endpoint, for the trace id id.
func (r *request) path(id string) string {
	if r.kind == kindStart {
		return "/agents/traces"
	}
	return "/agents/traces/" + id + "/" + r.kind.String()
}

// call is r as the API client sends it, to the trace id id.
func (r *request) call(id string) api.Request {
	return api.Request{Method: http.MethodPost, Path: r.path(id), Body: r.body, Tenant: r.tenant}
}

// outcome is what became of a request handed to send or deliver.
type outcome uint8

const (
	sent      outcome = iota // the API accepted it
	failed                   // it failed; the error says why
	spooled                  // it is in the spool
	discarded                // the spool had no room: dropped, counted and reported
	parked                   // handed to parking: counted when it settles
)
