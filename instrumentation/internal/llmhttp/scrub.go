package llmhttp

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/baggage"
)

// TraciumPrefix is the namespace of Tracium's baggage members.
const TraciumPrefix = "tracium."

const (
	tenantHeader  = "X-Tenant-Id" // tenant.Header
	baggageHeader = "Baggage"
)

// isTracium reports whether a baggage list-member (or key) belongs to
// Tracium: its key, before '=', starts with [TraciumPrefix] in any letter
// case.
func isTracium(member string) bool {
	key, _, _ := strings.Cut(member, "=")
	key = strings.TrimSpace(key)
	return len(key) >= len(TraciumPrefix) && strings.EqualFold(key[:len(TraciumPrefix)], TraciumPrefix)
}

// sameName reports whether the header name is a spelling of canonical: in
// any letter case (a name set on the map directly is sent as it is), and
// with '_' for '-', since many servers and proxies read X_Tenant_ID as
// X-Tenant-ID.
func sameName(name, canonical string) bool {
	return len(name) == len(canonical) && strings.EqualFold(strings.ReplaceAll(name, "_", "-"), canonical)
}

// needsScrub reports whether h carries Tracium data ([sameName] spellings
// included).
func needsScrub(h http.Header) bool {
	for name, lines := range h {
		switch {
		case sameName(name, tenantHeader):
			return true
		case sameName(name, baggageHeader):
			for _, line := range lines {
				for m := range strings.SplitSeq(line, ",") {
					if isTracium(m) {
						return true
					}
				}
			}
		}
	}
	return false
}

// ScrubHeader returns h without Tracium data: no X-Tenant-ID header (in any
// letter case, with '_' or '-'), and no
// baggage list-member under [TraciumPrefix] (a baggage header left empty is
// removed; the other members keep their order). h itself is not changed;
// when it carries no Tracium data it is returned as is.
func ScrubHeader(h http.Header) http.Header {
	out, _ := scrubHeader(h)
	return out
}

func scrubHeader(h http.Header) (http.Header, bool) {
	if !needsScrub(h) {
		return h, false
	}
	out := make(http.Header, len(h))
	var kept []string
	for name, lines := range h {
		switch {
		case sameName(name, tenantHeader):
		case sameName(name, baggageHeader):
			for _, line := range lines {
				for m := range strings.SplitSeq(line, ",") {
					if m = strings.TrimSpace(m); m != "" && !isTracium(m) {
						kept = append(kept, m)
					}
				}
			}
		default:
			out[name] = append([]string(nil), lines...)
		}
	}
	if len(kept) > 0 {
		out.Set(baggageHeader, strings.Join(kept, ","))
	}
	return out, true
}

// ScrubContext returns ctx with the OTel baggage members under
// [TraciumPrefix] removed, so that a propagator that injects baggage further
// down the client (in its HTTP transport) does not send them; ctx itself
// when it has none.
func ScrubContext(ctx context.Context) context.Context {
	bg := baggage.FromContext(ctx)
	n := bg.Len()
	if n == 0 {
		return ctx
	}
	for _, m := range bg.Members() {
		if isTracium(m.Key()) {
			bg = bg.DeleteMember(m.Key())
		}
	}
	if bg.Len() == n {
		return ctx
	}
	return baggage.ContextWithBaggage(ctx, bg)
}

// dropBaggage returns h without any baggage header (in any letter case), and
// whether there was one; h itself is not changed.
func dropBaggage(h http.Header) (http.Header, bool) {
	found := false
	for name := range h {
		if strings.EqualFold(name, baggageHeader) {
			found = true
			break
		}
	}
	if !found {
		return h, false
	}
	out := make(http.Header, len(h))
	for name, lines := range h {
		if !strings.EqualFold(name, baggageHeader) {
			out[name] = lines
		}
	}
	return out, true
}
