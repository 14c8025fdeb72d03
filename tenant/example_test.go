package tenant_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/tracium-ai/tracium-go/tenant"
)

func ExampleWith() {
	id, err := tenant.New("acme")
	if err != nil {
		panic(err)
	}
	ctx := tenant.With(context.Background(), id)
	got, ok := tenant.From(ctx)
	fmt.Println(got, ok)
	// Output: acme true
}

func ExampleMiddleware() {
	anonymous, _ := tenant.New("anonymous")
	mux := http.NewServeMux()
	mux.HandleFunc("/chat", func(w http.ResponseWriter, r *http.Request) {
		id, _ := tenant.From(r.Context())
		fmt.Fprintf(w, "serving %s", id)
	})
	handler := tenant.Middleware(tenant.WithDefault(anonymous))(mux)

	for _, header := range []string{"acme", ""} {
		req := httptest.NewRequest("GET", "/chat", nil)
		if header != "" {
			req.Header.Set(tenant.Header, header)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Body.String())
	}
	// Output:
	// serving acme
	// serving anonymous
}
