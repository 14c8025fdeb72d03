package tracium_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Claim 5 (issue 16): the API key never appears in an error, also when a
// value the caller passes holds it by mistake and is reported as invalid:
// an agent name, a custom trace id, a tag, a span type, a model id.
func TestAttack16ValidationReportsNeverQuoteTheKey(t *testing.T) {
	const key = "trc_live_7Qp2Xv9LmN4sT8wK1bY6zR3d"
	errs := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t, traciumtest.WithAPIKey(key))
	p, err := tracium.Init(context.Background(), tracium.WithExporterOptions(
		exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())))
	require.NoError(t, err)
	long := strings.Repeat("z", 300)
	cases := map[string]func(){
		"agent name": func() {
			_, tr := p.StartTrace(context.Background(), "bot:"+key)
			tr.End()
		},
		"trace id": func() {
			_, tr := p.StartTrace(context.Background(), "bot", tracium.WithTraceID(" "+key+"\n"))
			tr.End()
		},
		"tag": func() {
			_, tr := p.StartTrace(context.Background(), "bot", tracium.WithTags(key+long))
			tr.End()
		},
		"span type": func() {
			ctx, tr := p.StartTrace(context.Background(), "bot")
			_, s := tracium.StartSpan(ctx, tracium.SpanType(key+long), "s")
			s.End()
			tr.End()
		},
		"model": func() {
			ctx, tr := p.StartTrace(context.Background(), "bot")
			_, s := tracium.StartSpan(ctx, tracium.LLM, "s", tracium.WithModel(key+"\x00"+long))
			s.End()
			tr.End()
		},
	}
	leaked := []string{}
	for name, f := range cases {
		before := len(errs.Messages())
		f()
		for _, m := range errs.Messages()[before:] {
			if strings.Contains(strings.ToLower(m), strings.ToLower(key[:len(key)/2+1])) {
				leaked = append(leaked, name+": "+m)
			}
		}
	}
	require.NoError(t, p.Shutdown(context.Background()))
	require.NotEmpty(t, errs.Messages(), "invalid values are reported")
	require.Empty(t, leaked, "reports that quote the API key")
}
