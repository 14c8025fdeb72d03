package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDriftReport runs the example and checks its report: drift in latency
// and error rate for ws_drifting, nothing for ws_steady, and the same
// report on every run.
func TestDriftReport(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out), "run")
	got := out.String()
	t.Log("\n" + got)

	drifting, steady, ok := strings.Cut(got, "workspace ws_steady:")
	require.True(t, ok, "the report has a section for ws_steady")
	steady = "workspace ws_steady:" + steady

	assert.Contains(t, drifting, "workspace ws_drifting: drifted (latency, error_rate)\n", "verdict of ws_drifting")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^  latency +p50 8\d\dms -> 1[56]\d\dms +D=0\.\d+ +p=\S+ +DRIFTED$`),
		regexp.MustCompile(`(?m)^  error_rate +[01]\.\d\d% -> [4-7]\.\d\d% +z=\d+\.\d\d +p=\S+ +DRIFTED$`),
		regexp.MustCompile(`(?m)^  input_tokens .* steady$`),
		regexp.MustCompile(`(?m)^  output_tokens .* steady$`),
		regexp.MustCompile(`(?m)^  trace_cost .* steady$`),
	} {
		assert.Regexp(t, want, drifting, "ws_drifting")
	}

	assert.Contains(t, steady, "workspace ws_steady: steady\n", "verdict of ws_steady")
	assert.NotContains(t, steady, "DRIFTED", "no metric of ws_steady drifted")
	assert.NotContains(t, got, "not tested", "every metric was tested")
	assert.Len(t, regexp.MustCompile(`(?m)^  \S+ .* steady$`).FindAllString(steady, -1), 5, "five steady metrics in ws_steady")

	var again bytes.Buffer
	require.NoError(t, run(context.Background(), &again), "run again")
	assert.Equal(t, got, again.String(), "the report is deterministic")
}
