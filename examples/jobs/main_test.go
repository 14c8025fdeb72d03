package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJobsExample runs the example against the embedded receiver: the
// request's automatic trace, named after its route and of tenant acme,
// holds the enqueue span, the job's attempt under it, and the worker's LLM
// call under that, each once.
func TestJobsExample(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	got := out.String()
	t.Log("\n" + got)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^trace "tickets-id-summarize"  id=[0-9a-f]{32}  status=completed  tenant=acme$`),
		regexp.MustCompile(`(?m)^  └─ job "enqueue summarize_ticket" \[completed\] \d+ms$`),
		regexp.MustCompile(`(?m)^     └─ job "summarize_ticket" \[completed\] \d+ms$`),
		regexp.MustCompile(`(?m)^        └─ llm "chat gpt-4o-mini" \[completed\] \d+ms tokens\(in=21 out=12\) in=\[\{"content":"Summarize ticket 1042","role":"user"\}\]`),
	} {
		assert.Regexp(t, want, got)
	}
	assert.Equal(t, 1, bytes.Count(out.Bytes(), []byte("trace \"")), "one trace")
}
