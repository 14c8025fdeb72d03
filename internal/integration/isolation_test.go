package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// service is one process of the test: a provider with the Tracium processor
// and exporter, sending to the shared receiver.
// frontAndBack returns a receiver and two services sending to it.
func frontAndBack(t *testing.T) (srv *traciumtest.Server, front, back *sdktrace.TracerProvider) {
	srv = testutil.NewServer(t)
	return srv, service(t, srv), service(t, srv)
}

func service(t *testing.T, srv *traciumtest.Server) *sdktrace.TracerProvider {
	// No export timeout: the test checks where spans go, not how fast;
	// on a loaded machine a batch can take longer than the default 30 s
	// (the 404s of spans that overtook their start are retried in it).
	return testutil.NewService(t, srv, tracium.WithBatchOptions(sdktrace.WithBlocking(),
		sdktrace.WithMaxExportBatchSize(1000), sdktrace.WithExportTimeout(0)))
}

// 3,000 concurrent requests across 100 tenants go through the tenant
// middleware of a front service, which runs an agent that calls a back
// service through the Tracium propagator; both export to one receiver.
// Every span records, as its input, the tenant its request claimed outside
// of any context: at the receiver, every span, trace and request must carry
// exactly that tenant.
func TestTenantIsolationConcurrentSafe(t *testing.T) {
	if testing.Short() {
		t.Skip("3,000 requests; scripts/test.sh runs it (no -short)")
	}
	srv, frontTP, backTP := frontAndBack(t)

	backProp, err := propagation.New(propagation.WithPolicy(propagation.Trust()), propagation.WithTracerProvider(backTP))
	require.NoError(t, err)
	back := httptest.NewServer(backProp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, s := tracium.StartSpan(r.Context(), tracium.Tool, "lookup", tracium.WithInput(r.Header.Get("X-Expect")))
		s.End()
		_, _ = io.WriteString(w, "ok")
	})))
	t.Cleanup(back.Close)

	frontProp, err := propagation.New()
	require.NoError(t, err)
	client := &http.Client{Transport: frontProp.Transport(back.Client().Transport,
		propagation.WithAllowedHosts(back.Listener.Addr().String()),
		propagation.WithPropagators(otelpropagation.TraceContext{}))}
	front := httptest.NewServer(tenant.Middleware(tenant.WithMissing(tenant.Reject))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := r.Header.Get(tenant.Header)
		ctx, tr := tracium.StartTrace(r.Context(), "front-agent", tracium.WithTracerProvider(frontTP))
		defer tr.End()
		cctx, call := tracium.StartSpan(ctx, tracium.Chain, "call-back", tracium.WithInput(want))
		defer call.End()
		req, _ := http.NewRequestWithContext(cctx, "GET", back.URL, nil)
		req.Header.Set("X-Expect", want)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		_, _ = io.WriteString(w, tr.ID())
	})))
	t.Cleanup(front.Close)

	// 3,000 requests: 30 per tenant, 32 in flight at once. Ten thousand
	// found nothing more and took four minutes of the test run's two cores.
	const requests, tenants, workers = 3_000, 100, 32
	var failed atomic.Int64
	var mu sync.Mutex
	expect := make(map[string]string, requests) // trace id -> tenant
	start := time.Now()
	rng := rand.New(rand.NewPCG(3, 5))
	testutil.Concurrently(requests, workers, func() string { return fmt.Sprintf("tenant-%03d", rng.IntN(tenants)) }, func(ten string) {
		status, id, err := testutil.GetAsTenant(front.Client(), front.URL, ten)
		if err != nil || status != 200 {
			failed.Add(1)
			return
		}
		mu.Lock()
		expect[string(id)] = ten
		mu.Unlock()
	})
	served := time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, backTP.Shutdown(ctx))
	require.NoError(t, frontTP.Shutdown(ctx))
	require.Zero(t, failed.Load())
	require.Len(t, expect, requests)

	wrongSpans, wrongTraces, spans := 0, 0, 0
	for id, want := range expect {
		got, ok := srv.Trace(id)
		if !assert.True(t, ok, "trace %s missing", id) {
			continue
		}
		if got.TenantID != want || len(got.HeaderTenants) != 1 || got.HeaderTenants[0] != want {
			wrongTraces++
		}
		for _, sp := range got.Spans {
			spans++
			var claimed string
			_ = json.Unmarshal(sp.Input, &claimed)
			if sp.TenantID != want || claimed != want {
				wrongSpans++
			}
		}
	}
	// The back service's spans may arrive before the front's start: the
	// receiver answers 404 and the exporter retries them (DESIGN decision
	// 6). Any other refusal would be a payload or header fault.
	wrongRequests := 0
	answers := map[string]int{}
	for _, r := range srv.Requests() {
		kind := "start"
		if r.Path != "/agents/traces" {
			kind = r.Path[strings.LastIndex(r.Path, "/")+1:]
		}
		answers[fmt.Sprintf("%s %d", kind, r.Status)]++
		if r.Status >= 300 && !(kind == "spans" && r.Status == http.StatusNotFound) {
			wrongRequests++
		}
	}
	t.Logf("receiver answers: %v", answers)
	t.Logf("%d requests across %d tenants served in %v; receiver: %d traces, %d spans, %d API requests; wrong: %d spans, %d traces, %d refused requests",
		requests, tenants, served, len(expect), spans, len(srv.Requests()), wrongSpans, wrongTraces, wrongRequests)
	assert.Equal(t, 2*requests, spans, "two spans per request: the front's call and the back's lookup")
	assert.Zero(t, wrongSpans, "spans attributed to the wrong tenant")
	assert.Zero(t, wrongTraces, "traces or requests with the wrong tenant")
	assert.Zero(t, wrongRequests, "requests the receiver refused (it checks header against body tenant)")
	assert.Equal(t, requests, answers["start 201"], "one start per trace")
	assert.Equal(t, requests, answers["complete 200"], "one completion per trace")
}
