package exporter_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/exporter"
)

// WithGetenv replaces os.Getenv wherever it stands among the options, and
// the other options still beat its variables. Not parallel: t.Setenv.
func TestWithGetenv(t *testing.T) {
	t.Setenv("TRACIUM_API_KEY", "process-key-123456")
	noKey := func(string) string { return "" }
	_, err := exporter.New(exporter.WithBaseURL("http://127.0.0.1:1"), exporter.WithGetenv(noKey))
	require.Error(t, err, "the process's key is not read")
	assert.Contains(t, err.Error(), "TRACIUM_API_KEY")

	t.Setenv("TRACIUM_API_KEY", "")
	withKey := func(k string) string {
		if k == "TRACIUM_API_KEY" {
			return "getter-key-123456"
		}
		return ""
	}
	exp, err := exporter.New(exporter.WithGetenv(withKey), exporter.WithBaseURL("http://127.0.0.1:1"))
	require.NoError(t, err, "the getter's key")
	require.NoError(t, exp.Shutdown(t.Context()))

	exp, err = exporter.New(exporter.WithGetenv(nil), exporter.WithAPIKey("code-key-123456"), exporter.WithBaseURL("http://127.0.0.1:1"))
	require.NoError(t, err, "nil keeps os.Getenv; the option gives the key")
	require.NoError(t, exp.Shutdown(t.Context()))
}
