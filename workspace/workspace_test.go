package workspace_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/workspace"
)

// Workspace ids follow the tenant rule: surrounding whitespace is refused,
// since the X-Workspace-ID header of OTLP mode would lose it.
func TestNewRefusesSurroundingWhitespace(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"ws_1 ", " ws_1", " ", "\u00a0ws"} {
		_, err := workspace.New(s)
		assert.ErrorContains(t, err, "whitespace", "workspace.New(%q)", s)
	}
	id, err := workspace.New("ws 1")
	require.NoError(t, err, "workspace.New with an inner space")
	assert.Equal(t, "ws 1", id.String(), "workspace.New keeps the id as given")

	// An environment variable is trimmed, as every TRACIUM_* variable is.
	id, err = workspace.FromEnv(func(string) string { return " ws_1\n" })
	require.NoError(t, err, "workspace.FromEnv")
	assert.Equal(t, "ws_1", id.String(), "workspace.FromEnv trims")
}
