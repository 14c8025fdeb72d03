package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/tracium-ai/tracium-go/internal/api"
)

func ExampleClient_Do() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "example-key-123" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"detail":"Invalid API key"}`)
			return
		}
		_, _ = io.WriteString(w, `{"trace_id":"t1"}`)
	}))
	defer srv.Close()

	c, err := api.New(api.Config{APIKey: "example-key-123", BaseURL: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseIdleConnections()

	resp, err := c.Do(context.Background(), api.Request{
		Method: "POST",
		Path:   "/agents/traces",
		Body:   []byte(`{"agent_name":"support-bot","trace_id":"t1"}`),
		Tenant: "acme",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status, string(resp.Body))
	// Output: 200 {"trace_id":"t1"}
}

func ExampleIsRetryable() {
	for _, err := range []error{
		&api.StatusError{Method: "POST", Path: "/agents/traces", Status: 503},
		&api.StatusError{Method: "POST", Path: "/agents/traces", Status: 401, Body: `{"detail":"Invalid API key"}`},
	} {
		fmt.Println(api.IsRetryable(err), api.StatusCode(err), err)
	}
	// Output:
	// true 503 tracium api: POST /agents/traces: 503 Service Unavailable
	// false 401 tracium api: POST /agents/traces: 401 Unauthorized: {"detail":"Invalid API key"}
}
