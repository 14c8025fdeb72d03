package traciumopenai_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	"github.com/tracium-ai/tracium-go/route"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// TestThreeCallsInOneRequestAreOneTrace: three chat calls of the real
// openai-go client, made while serving one request behind route.Middleware,
// are one agent trace named after the route, with three llm spans, the
// request's tenant, and the middleware's tag and model, not three
// automatic traces of their own. Before the LLM middleware joined the
// request's automatic trace, it opened one per call.
func TestThreeCallsInOneRequestAreOneTrace(t *testing.T) {
	pl, _, client := newClient(t, llmtest.ReplyJSON(200, chatAnswer))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /support/{ticket}", func(w http.ResponseWriter, r *http.Request) {
		for range 3 {
			_, err := client.Chat.Completions.New(r.Context(), openai.ChatCompletionNewParams{
				Model:    "gpt-4o-mini",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
			})
			if !assert.NoError(t, err) {
				return
			}
		}
	})
	h := tenant.Middleware()(route.Middleware(route.WithTraceOptions(tracium.WithTracerProvider(pl.TP)))(mux))
	req := httptest.NewRequest("POST", "/support/7", nil)
	req.Header.Set(tenant.Header, "acme")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, 200, rec.Code)
	pl.Flush(t)

	traces := pl.Srv.Traces()
	require.Len(t, traces, 1, "one trace for the request")
	tr := traces[0]
	assert.Equal(t, "support-ticket", tr.AgentName, "named after the route, not the middleware's agent name")
	assert.Equal(t, "acme", tr.TenantID)
	assert.Equal(t, "gpt-4o-mini", tr.ModelID)
	assert.Contains(t, tr.Tags, "@openai")
	assert.Equal(t, traciumtest.StatusCompleted, tr.Status)
	require.Len(t, tr.Spans, 3)
	for _, s := range tr.Spans {
		assert.Equal(t, "llm", s.Type)
		assert.Equal(t, "acme", s.TenantID)
	}
}
