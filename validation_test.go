package tracium_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

// inSpan returns a run that starts a trace "bot" and in it a span of typ
// and name, calls do with the span (when not nil) and ends both.
func inSpan(typ tracium.SpanType, name string, do func(tracium.Span)) func(context.Context) {
	return func(ctx context.Context) {
		ctx, tr := tracium.StartTrace(ctx, "bot")
		_, s := tracium.StartSpan(ctx, typ, name)
		if do != nil {
			do(s)
		}
		s.End()
		tr.End()
	}
}

// Bad input is reported to the OTel error handler with a clear message and
// sanitized; tracing goes on. Not parallel: it swaps the global handler.
func TestInvalidInputReported(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	manyTags := make([]string, 101)
	for i := range manyTags {
		manyTags[i] = "t" + strings.Repeat("x", i)
	}
	tests := []struct {
		name    string
		run     func(ctx context.Context) // starts and ends its own spans
		wantErr string
		check   func(t *testing.T, a map[string]string)
	}{
		{
			name:    "agent name with bad characters",
			run:     func(ctx context.Context) { _, tr := tracium.StartTrace(ctx, "app:view/x"); tr.End() },
			wantErr: `tracium: start trace: invalid agent name "app:view/x": only letters, digits`,
			check:   func(t *testing.T, a map[string]string) { assert.Equal(t, "app-view-x", a["agent"]) },
		},
		{
			name:    "agent name too long",
			run:     func(ctx context.Context) { _, tr := tracium.StartTrace(ctx, long(300)); tr.End() },
			wantErr: "300 characters, more than 256",
			check:   func(t *testing.T, a map[string]string) { assert.Len(t, a["agent"], 256) },
		},
		{
			name:    "empty agent name",
			run:     func(ctx context.Context) { _, tr := tracium.StartTrace(ctx, "  "); tr.End() },
			wantErr: "agent name \"  \": empty",
			check:   func(t *testing.T, a map[string]string) { assert.Equal(t, "app", a["agent"]) },
		},
		{
			name: "invalid custom trace id",
			run: func(ctx context.Context) {
				_, tr := tracium.StartTrace(ctx, "bot", tracium.WithTraceID("has.dot"))
				tr.End()
			},
			wantErr: `invalid trace id "has.dot"`,
			check: func(t *testing.T, a map[string]string) {
				assert.Regexp(t, "^[0-9a-f]{32}-[0-9a-f]{16}$", a["trace"], "falls back to the derived id (it runs inside the host span)")
			},
		},
		{
			name: "too many tags",
			run: func(ctx context.Context) {
				_, tr := tracium.StartTrace(ctx, "bot", tracium.WithTags(manyTags...))
				tr.End()
			},
			wantErr: "tags: 101 tags, more than 100",
		},
		{
			name: "tag too long",
			run: func(ctx context.Context) {
				_, tr := tracium.StartTrace(ctx, "bot", tracium.WithTags(long(129), "ok"))
				tr.End()
			},
			wantErr: "129 characters, more than 128",
		},
		{
			name: "metadata that does not encode",
			run: func(ctx context.Context) {
				_, tr := tracium.StartTrace(ctx, "bot", tracium.WithMetadata(map[string]any{"f": func() {}}))
				tr.End()
			},
			wantErr: "invalid metadata: json: unsupported type: func()",
		},
		{
			name: "metadata too large",
			run: func(ctx context.Context) {
				_, tr := tracium.StartTrace(ctx, "bot", tracium.WithMetadata(map[string]any{"big": long(1_000_001)}))
				tr.End()
			},
			wantErr: "more than 1000000",
		},
		{
			name: "metadata key too long",
			run: func(ctx context.Context) {
				_, tr := tracium.StartTrace(ctx, "bot", tracium.WithMetadata(map[string]any{long(257): 1}))
				tr.End()
			},
			wantErr: "257 characters, more than 256",
		},
		{
			name: "model id too long",
			run: func(ctx context.Context) {
				_, tr := tracium.StartTrace(ctx, "bot", tracium.WithModel(long(257)))
				tr.End()
			},
			wantErr: "model id",
		},
		{
			name: "version too long",
			run: func(ctx context.Context) {
				_, tr := tracium.StartTrace(ctx, "bot", tracium.WithVersion(long(129)))
				tr.End()
			},
			wantErr: "version",
		},
		{
			name: "invalid workspace",
			run: func(ctx context.Context) {
				_, tr := tracium.StartTrace(ctx, "bot", tracium.WithWorkspace("a\x00b"))
				tr.End()
			},
			wantErr: "workspace: invalid workspace id",
		},
		{
			name:    "summary that is not an object",
			run:     func(ctx context.Context) { _, tr := tracium.StartTrace(ctx, "bot"); tr.SetSummary([]int{1}); tr.End() },
			wantErr: "set summary: invalid summary: [1] is not a JSON object",
		},
		{
			name:    "span type empty",
			run:     inSpan("", "x", nil),
			wantErr: `span type "": empty; sent as "unknown"`,
			check:   func(t *testing.T, a map[string]string) { assert.Equal(t, "unknown", a["type"]) },
		},
		{
			name:    "span name too long",
			run:     inSpan(tracium.Tool, long(600), nil),
			wantErr: "600 characters, more than 512",
		},
		{
			name:    "input that does not encode",
			run:     inSpan(tracium.Tool, "x", func(s tracium.Span) { s.RecordInput(make(chan int)) }),
			wantErr: "record input: invalid value of type chan int",
		},
		{
			name:    "negative token count",
			run:     inSpan(tracium.LLM, "x", func(s tracium.Span) { s.SetTokenUsage(tracium.Usage{InputTokens: -1, OutputTokens: 2}) }),
			wantErr: "gen_ai.usage.input_tokens: negative count -1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := captureErrors(t)
			tp, rec := newRecorded(t)
			ctx, host := tracium.StartTrace(context.Background(), "host", tracium.WithTracerProvider(tp))
			require.NotPanics(t, func() { tt.run(ctx) })
			host.End()
			msgs := errs.Messages()
			require.Len(t, msgs, 1, "exactly one clear error: %q", msgs)
			assert.Contains(t, msgs[0], tt.wantErr)
			assert.True(t, strings.HasPrefix(msgs[0], "tracium: "), msgs[0])
			assert.LessOrEqual(t, len(msgs[0]), 400, "bad input is quoted cut, not whole")
			ended := rec.Ended()
			require.GreaterOrEqual(t, len(ended), 2, "tracing went on")
			if tt.check != nil {
				inner := ended[len(ended)-2] // the trace or span under test
				for _, s := range ended {
					if s.Name() != "host" && attrs(s)[semconv.RootKey].AsBool() {
						inner = s
					}
				}
				a := attrs(inner)
				got := map[string]string{"agent": a[semconv.AgentNameKey].AsString(), "trace": a[semconv.TraceIDKey].AsString(), "type": ""}
				for _, s := range ended {
					if v := attrs(s)[semconv.SpanTypeKey].AsString(); v != "" {
						got["type"] = v
					}
				}
				tt.check(t, got)
			}
		})
	}
}

func TestTenantAndWorkspaceValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		wantErr string
	}{
		{"acme", ""},
		{"tenant with spaces ok", ""},
		{"", "empty"},
		{strings.Repeat("x", 256), "256 characters, more than 255"},
		{"bad\nline", "control character U+000A"},
		{"\xff\xfe", "not valid UTF-8"},
	}
	for _, tt := range tests {
		id, err := tenant.New(tt.in)
		if tt.wantErr == "" {
			require.NoError(t, err, tt.in)
			assert.Equal(t, tt.in, id.String())
			continue
		}
		require.Error(t, err, tt.in)
		assert.Contains(t, err.Error(), tt.wantErr)
		assert.True(t, id.IsZero())
	}
	_, err := workspace.New(strings.Repeat("w", 257))
	assert.ErrorContains(t, err, "257 characters, more than 256")
	_, err = workspace.New(strings.Repeat("w", 256))
	assert.NoError(t, err)
}

// An over-long input is cut, reported once, and the rest of the span kept.
func TestOversizedInputCut(t *testing.T) {
	errs := captureErrors(t)
	tp, rec := newRecorded(t)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	_, s := tracium.StartSpan(ctx, tracium.LLM, "big")
	s.RecordInput(strings.Repeat("é ", 1<<19)) // words: a cut inside one drops it
	s.RecordOutput("small")
	s.SetTokenUsage(tracium.Usage{InputTokens: 1, OutputTokens: 2})
	s.End()
	tr.End()
	msgs := errs.Messages()
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "record input: invalid value: 1572866 bytes of JSON, more than 1048576; sent cut to its first 65536 bytes")
	a := attrs(byName(t, rec, "big"))
	in := a[semconv.InputKey].AsString()
	assert.LessOrEqual(t, len(in), 70000)
	assert.Greater(t, len(in), 65000, "the preview keeps the words before the cut")
	assert.True(t, strings.HasSuffix(in, `... (truncated)"`), "preview ends with the marker")
	assert.Equal(t, `"small"`, a[semconv.OutputKey].AsString())
	assert.Equal(t, int64(2), a[semconv.GenAIUsageOutputTokensKey].AsInt64())
}
