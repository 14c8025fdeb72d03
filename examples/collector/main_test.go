package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The OTLP mode through the Collector's real OTLP receiver: every span
// arrives with its tenant, workspace and GenAI attributes, and the requests
// with the API key and workspace headers.
func TestThroughCollectorReceiver(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	assert.Equal(t, `request: X-API-Key=local-demo-key X-Workspace-ID=ws_support
span answer       agent=support-bot tenant=acme workspace=ws_support type=llm op=chat model=gpt-4o-mini in=12 out=6
span answer       agent=support-bot tenant=globex workspace=ws_support type=llm op=chat model=gpt-4o-mini in=12 out=6
span lookup-order agent=support-bot tenant=acme workspace=ws_support type=tool op=execute_tool model=- in=- out=-
span lookup-order agent=support-bot tenant=globex workspace=ws_support type=tool op=execute_tool model=- in=- out=-
span support-bot  agent=support-bot tenant=acme workspace=ws_support type=- op=invoke_agent model=- in=- out=-
span support-bot  agent=support-bot tenant=globex workspace=ws_support type=- op=invoke_agent model=- in=- out=-
tenant acme: 1 tracium.trace.id, spans per trace 3
tenant globex: 1 tracium.trace.id, spans per trace 3
`, out.String())
}
