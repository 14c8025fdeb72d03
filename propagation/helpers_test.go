package propagation_test

import (
	"context"
	"crypto/sha256"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracium-ai/tracium-go/enduser"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

// The helpers shared with other packages' tests.
var (
	attrs         = testutil.Attrs
	byName        = testutil.ByName
	captureErrors = testutil.CaptureErrors
)

// newRecorded returns a provider with the Tracium processor (stamping only)
// in front of a span recorder.
func newRecorded(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	return testutil.NewRecorded(t)
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ ns atomic.Int64 }

func newClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// epoch is the fixed time of tests with a clock.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func secret(seed string) []byte {
	s := sha256.Sum256([]byte(seed))
	return s[:]
}

func keyring(t testing.TB, current string, previous ...string) *propagation.Keyring {
	t.Helper()
	keys := make([]propagation.Key, len(previous))
	for i, id := range previous {
		keys[i] = propagation.Key{ID: id, Secret: secret(id)}
	}
	kr, err := propagation.NewKeyring(propagation.Key{ID: current, Secret: secret(current)}, keys...)
	require.NoError(t, err)
	return kr
}

func newProp(t testing.TB, opts ...propagation.Option) propagation.Tracium {
	t.Helper()
	p, err := propagation.New(opts...)
	require.NoError(t, err)
	return p
}

// must returns v, or panics with err: for ids a test spells as valid.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func mustTenant(s string) tenant.ID        { return must(tenant.New(s)) }
func mustWorkspace(s string) workspace.ID  { return must(workspace.New(s)) }
func mustUser(s string) enduser.User       { return must(enduser.NewUser(s)) }
func mustSession(s string) enduser.Session { return must(enduser.NewSession(s)) }

// got is what an extracted context says, for comparisons.
type got struct {
	Tenant, Workspace string
	User, Session     string
	Trace, Agent      string
	Depth             int
	Remote            bool
}

// read returns what ctx carries.
func read(ctx context.Context) got {
	var g got
	if id, ok := tenant.From(ctx); ok {
		g.Tenant = id.String()
	}
	if id, ok := workspace.From(ctx); ok {
		g.Workspace = id.String()
	}
	if u, ok := enduser.UserFromContext(ctx); ok {
		g.User = u.String()
	}
	if s, ok := enduser.SessionFromContext(ctx); ok {
		g.Session = s.String()
	}
	if sc := agentctx.From(ctx); sc != nil {
		g.Trace, g.Agent, g.Depth, g.Remote = sc.Trace.ID, sc.Trace.AgentName, sc.Depth, sc.Trace.Remote
		if sc.Trace.User != g.User || sc.Trace.Session != g.Session {
			// The joined trace and the context must agree.
			g.User, g.Session = "trace:"+sc.Trace.User, "trace:"+sc.Trace.Session
		}
	}
	return g
}
