package tracium

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Init reads the whole environment through the getter it is given: the
// exporter's TRACIUM_API_KEY and TRACIUM_BASE_URL too, which it read from
// the process before. A code option still beats the getter's variable.
// Not parallel: t.Setenv.
func TestInitReadsItsGetter(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	t.Setenv("TRACIUM_API_KEY", "") // the process has no key; the getter has
	t.Setenv("TRACIUM_BASE_URL", "")
	env := map[string]string{
		"TRACIUM_API_KEY":      srv.APIKey(),
		"TRACIUM_BASE_URL":     srv.URL(),
		"TRACIUM_WORKSPACE_ID": "ws_getter",
	}
	getenv := func(k string) string { return env[k] }
	for _, tt := range []struct {
		name string
		opts []Option
		want string
	}{
		{"getter", nil, "ws_getter"},
		{"option beats getter", []Option{WithDefaultWorkspace("ws_code")}, "ws_code"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := initProvider(context.Background(), getenv, tt.opts...)
			require.NoError(t, err, "the key is the getter's")
			_, tr := p.StartTrace(context.Background(), "bot")
			tr.End()
			require.NoError(t, p.Shutdown(context.Background()))
			got, ok := srv.Trace(tr.ID())
			require.True(t, ok, "sent to the getter's base URL")
			assert.Equal(t, tt.want, got.WorkspaceID)
		})
	}
}
