package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's main command, run as a test against the embedded receiver.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	env := map[string]string{}
	require.NoError(t, run(context.Background(), &out, func(k string) string { return env[k] }))
	got := out.String()
	t.Log("\n" + got)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`embedded local receiver`),
		regexp.MustCompile(`agent answered: Your order has shipped\.`),
		regexp.MustCompile(`trace "support-bot"  id=[0-9a-f]{32}  status=completed  model=gpt-4o-mini  tenant=acme  workspace=ws_demo  version=1\.0\.0  tags=\[quickstart, prod\]`),
		regexp.MustCompile(`summary: \{"answer":"Your order has shipped\.","steps":2\}`),
		regexp.MustCompile(`(?m)^  ├─ llm "plan" \[completed\] \d+ms tokens\(in=18 out=6\) in=\[\{"content":"Where is my order #1042\?","role":"user"\}\]`),
		regexp.MustCompile(`(?m)^  └─ tool "lookup-order" \[completed\] \d+ms in=\{"order_id":1042`),
	} {
		assert.Regexp(t, want, got)
	}
}
