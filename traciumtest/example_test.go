package traciumtest_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/tracium-ai/tracium-go/traciumtest"
)

// post sends a JSON body the way a Tracium client does and returns the
// status code.
func post(srv *traciumtest.Server, path, body string) int {
	r, err := http.NewRequest(http.MethodPost, srv.URL()+path, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	r.Header.Set("X-API-Key", srv.APIKey())
	r.Header.Set("User-Agent", "example/1.0")
	r.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(r)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func ExampleServer() {
	srv := traciumtest.NewServer()
	defer srv.Close()

	fmt.Println(post(srv, "/agents/traces",
		`{"agent_name":"support-bot","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","model_id":"gpt-4o-mini","tags":["prod"]}`))
	fmt.Println(post(srv, "/agents/traces/4bf92f3577b34da6a3ce929d0e0e4736/spans", `{"spans":[
		{"id":"00f067aa0ba902b7","span_type":"llm","name":"plan-step","status":"completed",
		 "started_at":"2026-01-27T10:15:30.364950+00:00","completed_at":"2026-01-27T10:15:30.366340+00:00",
		 "depth_level":0,"latency_ms":1,"input_tokens":12,"output_tokens":34,
		 "input":{"question":"Where is my order?"},"output":"Let me check the CRM."},
		{"id":"b7ad6b7169203331","parent_span_id":"00f067aa0ba902b7","span_type":"tool","name":"crm",
		 "status":"completed","started_at":"2026-01-27T10:15:30.365000+00:00","depth_level":1,"latency_ms":0}]}`))
	fmt.Println(post(srv, "/agents/traces/4bf92f3577b34da6a3ce929d0e0e4736/complete", `{"summary":{"answer":"shipped"}}`))
	// A strict server: depth_level must be a JSON integer.
	fmt.Println(post(srv, "/agents/traces/4bf92f3577b34da6a3ce929d0e0e4736/spans",
		`{"spans":[{"id":"x","span_type":"llm","status":"completed","started_at":"2026-01-27T10:15:30+00:00","depth_level":1.5}]}`))

	_ = srv.WriteTree(os.Stdout)
	// Output:
	// 201
	// 200
	// 200
	// 400
	// trace "support-bot"  id=4bf92f3577b34da6a3ce929d0e0e4736  status=completed  model=gpt-4o-mini  tags=[prod]
	//   summary: {"answer":"shipped"}
	//   └─ llm "plan-step" [completed] 1ms tokens(in=12 out=34) in={"question":"Where is my order?"} out="Let me check the CRM."
	//      └─ tool "crm" [completed] 0ms
}

func ExampleServer_InjectFault() {
	srv := traciumtest.NewServer()
	defer srv.Close()

	// The next two starts are rate limited; the third goes through.
	srv.InjectFault(traciumtest.Fault{
		Method:     http.MethodPost,
		PathPrefix: "/agents/traces",
		Status:     http.StatusTooManyRequests,
		RetryAfter: "1",
		Times:      2,
	})
	for range 3 {
		fmt.Println(post(srv, "/agents/traces", `{"agent_name":"bot","trace_id":"t1"}`))
	}
	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Status, r.Faulted)
	}
	fmt.Println(len(srv.Traces()), "trace stored")
	// Output:
	// 429
	// 429
	// 201
	// POST /agents/traces 429 true
	// POST /agents/traces 429 true
	// POST /agents/traces 201 false
	// 1 trace stored
}

func ExampleWithTraceIDAssigner() {
	srv := traciumtest.NewServer(traciumtest.WithTraceIDAssigner(func(clientID string) string {
		return "srv-" + clientID
	}))
	defer srv.Close()

	fmt.Println(post(srv, "/agents/traces", `{"agent_name":"bot","trace_id":"abc"}`))
	tr, _ := srv.Trace("srv-abc")
	fmt.Println(tr.ID, tr.ClientTraceID)
	// The client must now use the server's id.
	fmt.Println(post(srv, "/agents/traces/abc/complete", `{}`))
	fmt.Println(post(srv, "/agents/traces/srv-abc/complete", `{}`))
	// Output:
	// 201
	// srv-abc abc
	// 404
	// 200
}
