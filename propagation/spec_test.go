package propagation_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/baggage"
	otelpropagation "go.opentelemetry.io/otel/propagation"

	"github.com/tracium-ai/tracium-go/propagation"
)

// repeatMembers returns n members k0=v,... joined by commas.
func repeatMembers(n int) string {
	ms := make([]string, n)
	for i := range ms {
		ms[i] = fmt.Sprintf("k%d=v", i)
	}
	return strings.Join(ms, ",")
}

// padTo returns a header of exactly n bytes that ends with the tenant
// member: a filler member is sized to fit.
func padTo(n int) string {
	const tail = ",tracium.tenant=acme"
	return "f=" + strings.Repeat("x", n-len(tail)-2) + tail
}

// TestW3CParsing runs the rules of the W3C baggage header format (keys,
// values, optional whitespace, percent-encoding, properties, list handling
// and limits) against Extract, trusting, and reads the tenant member back.
// Where the rule is the format's and not our stricter validation, otel-go's
// parser must agree (spec column).
func TestW3CParsing(t *testing.T) {
	errs := captureErrors(t)
	p := newProp(t, propagation.WithPolicy(propagation.Trust()), propagation.WithErrorInterval(0))
	const agree, stricter, skip = "agree", "stricter", "skip"
	for _, tc := range []struct {
		name   string
		lines  []string
		want   string // the tenant read; "" when none
		reject bool   // the set is rejected, with one error
		otel   string // agree: otel-go reads the same tenant; stricter: we reject what the format allows; skip: not comparable
	}{
		// list-member = key OWS "=" OWS value *( OWS ";" OWS property )
		{"plain", []string{"tracium.tenant=acme"}, "acme", false, agree},
		{"whitespace around key, = and value is trimmed", []string{" \ttracium.tenant \t= \tacme\t "}, "acme", false, agree},
		{"whitespace around commas", []string{"a=1 ,\ttracium.tenant=acme\t, b=2"}, "acme", false, agree},
		{"value may hold =", []string{"tracium.tenant=a=b=="}, "a=b==", false, agree},
		{"percent-encoded value is decoded", []string{"tracium.tenant=Acme%20Corp%2C%20Inc%3B"}, "Acme Corp, Inc;", false, agree},
		{"lower-case hex", []string{"tracium.tenant=%c3%bcber"}, "über", false, agree},
		{"+ is a plus, not a space", []string{"tracium.tenant=a+b"}, "a+b", false, agree},
		{"every baggage-octet", []string{"tracium.tenant=!#$&'()*+-./09:<=>?@AZ[]^_`az{|}~"}, "!#$&'()*+-./09:<=>?@AZ[]^_`az{|}~", false, agree},
		// property = key OWS "=" OWS value / key OWS
		{"key-only property", []string{"tracium.tenant=acme;internal"}, "acme", false, agree},
		{"properties with whitespace", []string{"tracium.tenant = acme ; p1 = v1 ;\tp2"}, "acme", false, agree},
		{"malformed property", []string{"tracium.tenant=acme;=v"}, "", true, agree},
		{"property key not a token", []string{"tracium.tenant=acme;p q"}, "", true, agree},
		// baggage-string = list-member 0*179( OWS "," OWS list-member )
		{"members around ours", []string{"userId=alice,tracium.tenant=acme,isProduction=false"}, "acme", false, agree},
		{"empty list-members are skipped", []string{",a=1,,tracium.tenant=acme,, ,"}, "acme", false, skip},
		{"several header lines", []string{"a=1", "tracium.tenant=acme"}, "acme", false, skip},
		{"an invalid foreign member does not spoil ours", []string{"bad key=1,tracium.tenant=acme,x=\"q\""}, "acme", false, agree},
		{"keys are case-sensitive: not ours", []string{"TRACIUM.TENANT=acme"}, "", false, skip},
		// invalid values: not a baggage-octet, or a broken escape
		{"DQUOTE in value", []string{`tracium.tenant=ac"me`}, "", true, agree},
		{"backslash in value", []string{`tracium.tenant=ac\me`}, "", true, agree},
		{"space inside value", []string{"tracium.tenant=ac me"}, "", true, agree},
		{"non-ASCII byte in value", []string{"tracium.tenant=über"}, "", true, agree},
		{"truncated escape", []string{"tracium.tenant=acme%2"}, "", true, agree},
		{"non-hex escape", []string{"tracium.tenant=%zzacme"}, "", true, agree},
		{"no = at all", []string{"tracium.tenant"}, "", true, agree},
		{"key not a token", []string{"tracium.tenant@x=acme"}, "", false, skip},
		// duplicates: the format allows them; two readers may pick different ones
		{"duplicate key", []string{"tracium.tenant=a,tracium.tenant=b"}, "", true, stricter},
		{"duplicate across lines", []string{"tracium.tenant=a", "tracium.tenant=b"}, "", true, skip},
		// values the format allows that are not valid tenant ids
		{"escape decodes to invalid UTF-8", []string{"tracium.tenant=%FF"}, "", true, stricter},
		{"escape decodes to a control character", []string{"tracium.tenant=a%0Ab"}, "", true, stricter},
		{"empty value", []string{"tracium.tenant="}, "", true, stricter},
		{"tenant of 255 characters", []string{"tracium.tenant=" + strings.Repeat("%C3%A9", 255)}, strings.Repeat("é", 255), false, agree},
		{"tenant of 256 characters", []string{"tracium.tenant=" + strings.Repeat("t", 256)}, "", true, stricter},
		// limits: 64 members, 8192 bytes, all lines together
		{"64 members", []string{repeatMembers(63) + ",tracium.tenant=acme"}, "acme", false, agree},
		{"65 members", []string{repeatMembers(64) + ",tracium.tenant=acme"}, "", true, agree},
		{"65 members over two lines", []string{repeatMembers(40), repeatMembers(24) + ",tracium.tenant=acme"}, "", true, skip},
		{"8192 bytes", []string{padTo(propagation.MaxBytes)}, "acme", false, agree},
		{"8193 bytes", []string{padTo(propagation.MaxBytes + 1)}, "", true, agree},
		{"8193 bytes over two lines", []string{"a=1", padTo(propagation.MaxBytes - 3)}, "", true, skip},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(errs.Messages())
			h := http.Header{}
			for _, l := range tc.lines {
				h.Add("Baggage", l)
			}
			assert.Equal(t, got{Tenant: tc.want}, read(p.Extract(context.Background(), otelpropagation.HeaderCarrier(h))), "Extract(%q)", tc.lines)
			reported := len(errs.Messages()) - before
			if tc.reject {
				assert.Equal(t, 1, reported, "one error for a rejected set")
			} else {
				assert.Zero(t, reported, "no error: %v", errs.Messages()[before:])
			}

			otelBag, _ := baggage.Parse(strings.Join(tc.lines, ","))
			m := otelBag.Member(propagation.MemberTenant)
			switch tc.otel {
			case agree:
				assert.Equal(t, tc.want, m.Value(), "otel-go reads the same member")
			case stricter:
				assert.NotEmpty(t, m.Key(), "the format lets otel-go keep a member we reject")
			}
		})
	}
}
