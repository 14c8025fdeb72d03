package autoconf

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBuild(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name, trust, keys, header string
		wantPolicy                string
		wantFields                []string
		wantErrs                  int
	}{
		{name: "empty", wantPolicy: "ignore", wantFields: []string{"baggage"}},
		{name: "trust", trust: "trust", wantPolicy: "trust", wantFields: []string{"baggage"}},
		{name: "signed", trust: "signed", keys: "k1:" + secret, wantPolicy: "signed", wantFields: []string{"baggage"}},
		{name: "signed, secret with a colon", trust: "signed", keys: "k1:" + secret + ":x", wantPolicy: "signed", wantFields: []string{"baggage"}},
		{name: "keys without signed policy", trust: "ignore", keys: "k1:" + secret, wantPolicy: "ignore", wantFields: []string{"baggage"}},
		{name: "signed without keys", trust: "signed", wantPolicy: "ignore", wantFields: []string{"baggage"}, wantErrs: 1},
		{name: "signed with bad keys", trust: "signed", keys: "k1" + secret, wantPolicy: "ignore", wantFields: []string{"baggage"}, wantErrs: 1},
		{name: "duplicate key ids", trust: "signed", keys: "k1:" + secret + ",k1:" + secret, wantPolicy: "ignore", wantFields: []string{"baggage"}, wantErrs: 1},
		{name: "unknown policy", trust: "maybe", wantPolicy: "ignore", wantFields: []string{"baggage"}, wantErrs: 1},
		{name: "tenant header", header: "TRUE", wantPolicy: "ignore", wantFields: []string{"baggage", "x-tenant-id"}},
		{name: "bad tenant header", header: "yes", wantPolicy: "ignore", wantFields: []string{"baggage"}, wantErrs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, errs := build(tt.trust, tt.keys, tt.header)
			assert.Equal(t, tt.wantPolicy, p.Policy().String(), "policy")
			assert.Equal(t, tt.wantFields, p.Fields(), "fields")
			assert.Len(t, errs, tt.wantErrs, "errors: %v", errs)
			for _, err := range errs {
				assert.False(t, strings.Contains(err.Error(), secret[:16]), "error %q quotes a secret", err)
			}
		})
	}
}

// The propagator is rebuilt when a variable changes, and only then.
func TestEnvPropagatorFollowsEnv(t *testing.T) {
	env := map[string]string{EnvTrust: "trust"}
	e := newEnvPropagator(func(k string) string { return env[k] })
	first := e.cur.Load()
	assert.Nil(t, first, "nothing is built before the first call")
	assert.Equal(t, "trust", e.Tracium().Policy().String())
	built := e.cur.Load()
	e.Tracium()
	assert.Same(t, built, e.cur.Load(), "unchanged variables keep the propagator")
	env[EnvTrust] = "ignore"
	assert.Equal(t, "ignore", e.Tracium().Policy().String())
	assert.NotSame(t, built, e.cur.Load(), "a changed variable rebuilds it")
}
