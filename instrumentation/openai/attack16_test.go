package traciumopenai_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	"github.com/tracium-ai/tracium-go/route"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Claim 1 with the real client: per request, one streamed chat call read
// to its end by a goroutine after the handler returned, and two plain
// calls made concurrently; requests of several tenants at once. Each
// request is one trace with three llm spans, its own tenant.
func TestAttack16OpenAIStreamOutlivesRequest(t *testing.T) {
	pl, _, client := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if llmtest.Streamed(r) {
			llmtest.ReplySSE(textStream...)(w, r)
			return
		}
		llmtest.ReplyJSON(200, chatAnswer)(w, r)
	})
	params := openai.ChatCompletionNewParams{Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}
	var readers sync.WaitGroup
	mux := http.NewServeMux()
	mux.HandleFunc("POST /support/{ticket}", func(w http.ResponseWriter, r *http.Request) {
		st := client.Chat.Completions.NewStreaming(r.Context(), params)
		readers.Go(func() {
			for st.Next() {
			}
			_ = st.Close()
		})
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { _, _ = client.Chat.Completions.New(r.Context(), params) })
		}
		wg.Wait()
	})
	h := tenant.Middleware()(route.Middleware(route.WithTraceOptions(tracium.WithTracerProvider(pl.TP)))(mux))
	const n = 6
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := httptest.NewRequest("POST", fmt.Sprintf("/support/%d", i), nil)
			req.Header.Set(tenant.Header, fmt.Sprintf("t%d", i))
			h.ServeHTTP(httptest.NewRecorder(), req)
		})
	}
	wg.Wait()
	readers.Wait()
	pl.Flush(t)
	trs := pl.Srv.Traces()
	require.Len(t, trs, n)
	for _, tr := range trs {
		require.Equal(t, "support-ticket", tr.AgentName)
		require.Len(t, tr.Spans, 3, tr.Tree())
		for _, s := range tr.Spans {
			require.Equal(t, tr.TenantID, s.TenantID)
			require.Equal(t, traciumtest.StatusCompleted, s.Status, tr.Tree())
		}
	}
	for _, r := range pl.Srv.Requests() {
		require.Less(t, r.Status, 400, "%s %s answered %d: %s", r.Method, r.Path, r.Status, r.Body)
	}
}
