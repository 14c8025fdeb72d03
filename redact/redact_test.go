package redact_test

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/redact"
)

func mustNew(t *testing.T, c redact.Config) *redact.Redactor {
	t.Helper()
	r, err := redact.New(c)
	require.NoError(t, err)
	return r
}

func TestText(t *testing.T) {
	t.Parallel()
	r := mustNew(t, redact.Default())
	tests := []struct{ in, want string }{
		{"key sk-proj-abcdefghijklmnopqrstuv used", "key ***REDACTED*** used"},
		{"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "Authorization: ***REDACTED***"},
		{"mail jane.doe+support@example.co.uk now", "mail ***REDACTED*** now"},
		{"card 4111 1111 1111 1111 ok", "card ***REDACTED*** ok"},
		{"card 4111-1111-1111-1111", "card ***REDACTED***"},
		{"order 1234567890123 is not a card", "order 1234567890123 is not a card"},
		{"aws AKIAIOSFODNN7EXAMPLE", "aws ***REDACTED***"},
		{"github ghp_abcdefghijklmnopqrstuvwxyz0123456789", "github ***REDACTED***"},
		{"nothing to see", "nothing to see"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, r.Text(tt.in), tt.in)
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	r := mustNew(t, redact.Default())
	got, changed := r.JSON(`{"user":{"Password":"hunter2","name":"Ann","notes":["mail ann@example.com",{"API_KEY":42}]},"n":1.50}`)
	assert.True(t, changed)
	assert.JSONEq(t, `{"user":{"Password":"***REDACTED***","name":"Ann","notes":["mail ***REDACTED***",{"API_KEY":"***REDACTED***"}]},"n":1.50}`, got)
	assert.Contains(t, got, "1.50", "numbers are kept as written")

	same := `{"a":[1,2,{"b":"plain"}]}`
	got, changed = r.JSON(same)
	assert.False(t, changed)
	assert.Equal(t, same, got)

	got, changed = r.JSON(`not json sk-abcdefghijklmnopqrstu`)
	assert.True(t, changed)
	assert.Equal(t, `not json ***REDACTED***`, got)

	got, changed = r.JSON(`4111111111111111`)
	assert.True(t, changed)
	assert.Equal(t, `"***REDACTED***"`, got, "a masked bare number stays JSON")

	custom := mustNew(t, redact.Config{Keys: []string{"account"}, Patterns: []*regexp.Regexp{regexp.MustCompile(`ACCT-\d+`)}, Mask: "[x]"})
	got, _ = custom.JSON(`{"account":"a","memo":"pay ACCT-991"}`)
	assert.JSONEq(t, `{"account":"[x]","memo":"pay [x]"}`, got)

	_, err := redact.New(redact.Config{Patterns: []*regexp.Regexp{nil}})
	assert.Error(t, err)
}

// Through a real pipeline: what reaches the receiver is masked, and the rest
// of each span is kept.
func TestExporterMasksBeforeSending(t *testing.T) {
	t.Parallel()
	for _, drop := range []bool{false, true} {
		srv := testutil.NewServer(t)
		exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
		require.NoError(t, err)
		cfg := redact.Default()
		cfg.DropContent = drop
		wrapped, err := redact.NewExporter(exp, mustNew(t, cfg))
		require.NoError(t, err)
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(wrapped)))

		ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp),
			tracium.WithMetadata(map[string]any{"token": "t-123", "team": "support"}))
		_, s := tracium.StartSpan(ctx, tracium.LLM, "call",
			tracium.WithInput(map[string]string{"prompt": "my card is 4111 1111 1111 1111", "api_key": "sk-abcdefghijklmnopqrstuv"}),
			tracium.WithMetadata(map[string]any{"password": "x"}))
		s.RecordOutput("write to bob@example.com")
		s.SetTokenUsage(tracium.Usage{InputTokens: 7, OutputTokens: 3})
		s.MarkFailed(errors.New("upstream said: invalid key sk-abcdefghijklmnopqrstuv"))
		s.End()
		tr.SetSummary(map[string]any{"secret": "s", "answer": "ok"})
		tr.End()
		require.NoError(t, tp.Shutdown(context.Background()))

		got, ok := srv.Trace(tr.ID())
		require.True(t, ok)
		require.Len(t, got.Spans, 1)
		sp := got.Spans[0]
		assert.Equal(t, "upstream said: invalid key ***REDACTED***", sp.Error)
		assert.Equal(t, int64(7), *sp.InputTokens, "the rest of the span is kept")
		assert.Equal(t, "call", sp.Name)
		for _, req := range srv.Requests() {
			for _, secret := range []string{"4111 1111", "sk-abcdefghijklmnopqrstuv", "bob@example.com", `"t-123"`, `"x"`} {
				assert.NotContains(t, string(req.Body), secret)
			}
		}
		if drop {
			assert.Nil(t, sp.Input)
			assert.Nil(t, sp.Output)
			assert.Nil(t, got.Metadata)
			continue
		}
		assert.JSONEq(t, `{"prompt":"my card is ***REDACTED***","api_key":"***REDACTED***"}`, string(sp.Input))
		assert.JSONEq(t, `"write to ***REDACTED***"`, string(sp.Output))
		assert.Equal(t, map[string]any{"token": "***REDACTED***", "team": "support"}, got.Metadata)
		assert.Equal(t, map[string]any{"secret": "***REDACTED***", "answer": "ok"}, got.Summary)
	}
}

func TestExporterPassesCleanSpansThrough(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewInMemoryExporter()
	wrapped, err := redact.NewExporter(rec, mustNew(t, redact.Default()))
	require.NoError(t, err)
	stub := tracetest.SpanStub{Name: "clean"}
	spans := tracetest.SpanStubs{stub}.Snapshots()
	require.NoError(t, wrapped.ExportSpans(context.Background(), spans))
	got := rec.GetSpans()
	require.Len(t, got, 1)
	assert.Equal(t, "clean", got[0].Name)
	_, err = redact.NewExporter(nil, nil)
	assert.Error(t, err)
	assert.NoError(t, wrapped.Shutdown(context.Background()))
}

// One Redactor serves the callers' goroutines (BeginTrace, from OnStart) and
// the exporter's at once; its resource cache must hold up.
func TestRedactorConcurrentSafe(t *testing.T) {
	t.Parallel()
	r := mustNew(t, redact.Default())
	spans := make([]sdktrace.ReadOnlySpan, 4)
	for i := range spans {
		stub := tracetest.SpanStub{
			Name:     "call sk-abcdefghijklmnopqrstuv",
			Resource: resource.NewSchemaless(attribute.String("note", "mail bob@example.com"), attribute.Int("n", i)),
		}
		spans[i] = tracetest.SpanStubs{stub}.Snapshots()[0]
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				got, changed := r.Span(spans[(g+i)%len(spans)])
				if !changed || got.Name() != "call ***REDACTED***" || got.Resource().Attributes()[1].Value.AsString() != "mail ***REDACTED***" {
					t.Errorf("Span: changed %t, name %q, resource %v", changed, got.Name(), got.Resource().Attributes())
					return
				}
			}
		}()
	}
	wg.Wait()
}

// brokenSpan panics when read, standing for a bug in redaction.
type brokenSpan struct{ sdktrace.ReadOnlySpan }

func (brokenSpan) Name() string { panic("broken") }

// A span whose redaction panics is dropped, not sent unmasked, and the
// others of its batch go on; the failure reaches otel.Handle once.
func TestExporterDropsSpanWhoseRedactionFails(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	rec := tracetest.NewInMemoryExporter()
	wrapped, err := redact.NewExporter(rec, mustNew(t, redact.Default()))
	require.NoError(t, err)
	spans := tracetest.SpanStubs{{Name: "a"}, {Name: "b sk-abcdefghijklmnopqrstuv"}}.Snapshots()
	spans = []sdktrace.ReadOnlySpan{spans[0], brokenSpan{spans[1]}, spans[1]}
	require.NoError(t, wrapped.ExportSpans(context.Background(), spans))
	got := rec.GetSpans()
	require.Len(t, got, 2, "the broken span is dropped")
	assert.Equal(t, "a", got[0].Name)
	assert.Equal(t, "b ***REDACTED***", got[1].Name)
	msgs := errs.Messages()
	require.Len(t, msgs, 1, "errors handled")
	assert.Contains(t, msgs[0], "redact: a span was dropped")
}
