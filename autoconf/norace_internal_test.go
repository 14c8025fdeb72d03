//go:build !race

package autoconf

import "testing"

// Reading the configured propagator allocates nothing while the variables
// stay the same: it runs on every Inject and Extract.
func TestEnvPropagatorNoAllocs(t *testing.T) {
	env := map[string]string{EnvTrust: "trust", EnvTenantHeader: "true"}
	e := newEnvPropagator(func(k string) string { return env[k] })
	e.Tracium()
	if n := testing.AllocsPerRun(100, func() { e.Tracium() }); n != 0 {
		t.Errorf("EnvPropagator.Tracium: %v allocations per call, want 0", n)
	}
}
