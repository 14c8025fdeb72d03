package traciumtemporal_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	traciumtemporal "github.com/tracium-ai/tracium-go/instrumentation/temporal"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// TestActivityJoinsStartersTrace: a workflow started inside an agent trace
// of tenant A; its activity, and the activity of its child workflow,
// record tracium spans with the context the propagator restored: they land
// in that trace, under the starter's span (or, with the worker
// interceptor, under the job span of their attempt, itself under the
// starter's span), with tenant A; the workflow code reads tenant A too.
// Under Trust, and under Signed with a signing starter (the signed set is
// verified by the workflow, the activity, the interceptor and the child,
// and still believed).
func TestActivityJoinsStartersTrace(t *testing.T) {
	kr := keyring(t)
	for _, tc := range []struct {
		name           string
		client, worker []propagation.Option
		intercept      bool
	}{
		{"trust", nil, []propagation.Option{propagation.WithPolicy(propagation.Trust())}, false},
		{"signed", []propagation.Option{propagation.WithSigning(kr)}, []propagation.Option{propagation.WithPolicy(propagation.Signed(kr))}, false},
		{"trust interceptor", nil, []propagation.Option{propagation.WithPolicy(propagation.Trust())}, true},
		{"signed interceptor", []propagation.Option{propagation.WithSigning(kr)}, []propagation.Option{propagation.WithPolicy(propagation.Signed(kr))}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testutil.NewServer(t)
			api, wtp := testutil.NewService(t, srv), testutil.NewService(t, srv)
			st := starter{tp: api, cp: traciumtemporal.NewContextPropagator(traciumtemporal.WithPropagator(newPropagator(t, tc.client...)))}
			wp := traciumtemporal.NewContextPropagator(traciumtemporal.WithPropagator(newPropagator(t, tc.worker...)),
				traciumtemporal.WithTracerProvider(wtp))
			h, root, end := st.start(t, "tenant-a")
			if strings.HasPrefix(tc.name, "signed") {
				var c map[string]string
				require.NoError(t, converter.GetDefaultDataConverter().FromPayload(h[traciumtemporal.HeaderKey], &c))
				require.Contains(t, c["baggage"], "tracium.sig=")
			}
			r := run(t, wp, tc.intercept, &activities{}, h, "draft", true)
			end()
			flush(t, api, wtp)

			assert.Equal(t, "tenant-a", r.WorkflowTenant, "the workflow code reads the tenant")
			assert.Equal(t, "tenant-a", r.ActivityTenant)
			assert.Equal(t, "tenant-a", r.ChildTenant, "the child workflow's activity too")
			traces := srv.Traces()
			require.Len(t, traces, 1)
			tr := traces[0]
			assert.Equal(t, "tenant-a", tr.TenantID)
			byName, byID := map[string]traciumtest.Span{}, map[string]traciumtest.Span{}
			var jobSpans int
			for _, s := range tr.Spans {
				byName[s.Name], byID[s.ID] = s, s
				assert.Equal(t, "tenant-a", s.TenantID, s.Name)
				if s.Type == "job" {
					jobSpans++
				}
			}
			require.Contains(t, byName, "draft")
			require.Contains(t, byName, "draft-child")
			for _, n := range []string{"draft", "draft-child"} {
				assert.Equal(t, "llm", byName[n].Type)
				parent := byName[n]
				if tc.intercept {
					job := byID[parent.ParentSpanID]
					assert.Equal(t, "job", job.Type, "%s nests under its attempt's job span", n)
					assert.Equal(t, "summarize", job.Name)
					assert.Equal(t, 2, parent.DepthLevel)
					parent = job
				}
				assert.Equal(t, root.SpanID().String(), parent.ParentSpanID, "%s nests under the starter's span", n)
				assert.Equal(t, 1, parent.DepthLevel)
			}
			if tc.intercept {
				assert.Equal(t, 2, jobSpans, "one job span per activity run")
			} else {
				assert.Zero(t, jobSpans, "the propagator alone records no span")
			}
		})
	}
}

// TestRetriesAreVisible: with the worker interceptor, each attempt of an
// activity is a job span of the starter's trace, under its root and linked
// to it, with its attempt number: the first failed, the second completed,
// and the activity's own span nests under the attempt's.
func TestRetriesAreVisible(t *testing.T) {
	srv := testutil.NewServer(t)
	api, wtp := testutil.NewService(t, srv), testutil.NewService(t, srv)
	rec := tracetest.NewSpanRecorder()
	wtp.RegisterSpanProcessor(rec)
	trust := traciumtemporal.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust())))
	st := starter{tp: api, cp: traciumtemporal.NewContextPropagator(trust)}
	wp := traciumtemporal.NewContextPropagator(trust, traciumtemporal.WithTracerProvider(wtp))

	h, root, end := st.start(t, "tenant-a")
	acts := &activities{}
	r := run(t, wp, true, acts, h, "flaky-draft", false)
	end()
	flush(t, api, wtp)
	assert.Equal(t, "tenant-a", r.ActivityTenant)
	assert.Equal(t, 2, acts.attempts["flaky-draft"])

	traces := srv.Traces()
	require.Len(t, traces, 1)
	var jobsSpans, drafts []traciumtest.Span
	for _, s := range traces[0].Spans {
		assert.Equal(t, "tenant-a", s.TenantID, s.Name)
		switch s.Name {
		case "summarize":
			jobsSpans = append(jobsSpans, s)
		case "flaky-draft":
			drafts = append(drafts, s)
		}
	}
	require.Len(t, jobsSpans, 2)
	require.Len(t, drafts, 2)
	statuses := map[float64]string{}
	for _, j := range jobsSpans {
		assert.Equal(t, "job", j.Type)
		assert.Equal(t, root.SpanID().String(), j.ParentSpanID)
		statuses[j.Metadata["attempt"].(float64)] = j.Status
	}
	assert.Equal(t, map[float64]string{1: "failed", 2: "completed"}, statuses)
	for _, d := range drafts {
		assert.Contains(t, []string{jobsSpans[0].ID, jobsSpans[1].ID}, d.ParentSpanID)
	}

	otelJobs := spanNamed(t, rec.Ended(), "summarize")
	require.Len(t, otelJobs, 2)
	for _, s := range otelJobs {
		require.Len(t, s.Links(), 1)
		assert.Equal(t, root.SpanID(), s.Links()[0].SpanContext.SpanID(), "linked to the starter's span")
		assert.Equal(t, root.TraceID(), s.Links()[0].SpanContext.TraceID())
	}
}

// TestTenantsNotMixed: many workflow runs, started alternately by tenants
// A and B on one client propagator and worked concurrently by one worker
// propagator: each activity's span is attributed to the tenant that
// started its workflow, none to the other.
func TestTenantsNotMixed(t *testing.T) {
	const n, workers = 1000, 4
	srv := testutil.NewServer(t)
	api, wtp := testutil.NewService(t, srv), testutil.NewService(t, srv)
	trust := traciumtemporal.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust())))
	st := starter{tp: api, cp: traciumtemporal.NewContextPropagator(trust)}
	wp := traciumtemporal.NewContextPropagator(trust, traciumtemporal.WithTracerProvider(wtp))
	tenantOf := func(i int) string { return [...]string{"tenant-a", "tenant-b"}[i%2] }

	acts := &activities{}
	seen := make([]result, n)
	i := 0
	began := time.Now()
	testutil.Concurrently(n, workers, func() string { i++; return strconv.Itoa(i - 1) }, func(s string) {
		k, _ := strconv.Atoi(s)
		h, _, end := st.start(t, tenantOf(k))
		r := run(t, wp, false, acts, h, workName(k), false)
		end()
		seen[k] = r
	})
	t.Logf("%d workflow runs on %d goroutines in %v", n, workers, time.Since(began))
	flush(t, api, wtp)

	for k, r := range seen {
		require.Equal(t, tenantOf(k), r.WorkflowTenant, "run %d: the workflow's context", k)
		require.Equal(t, tenantOf(k), r.ActivityTenant, "run %d: the activity's context", k)
	}
	attributed, mis := 0, 0
	for _, tr := range srv.Traces() {
		for _, s := range tr.Spans {
			k, ok := strings.CutPrefix(s.Name, "work-")
			if !ok {
				continue
			}
			idx, err := strconv.Atoi(k)
			require.NoError(t, err)
			if s.TenantID == tenantOf(idx) && tr.TenantID == tenantOf(idx) {
				attributed++
			} else {
				mis++
			}
		}
	}
	assert.Equal(t, 0, mis, "misattributed spans")
	assert.Equal(t, n, attributed, "every activity's span arrived, attributed to its tenant")
}

// forgedHeader is a header written by hand, as anything that can start a
// workflow could: it names tenant "victim" and a trace of theirs.
func forgedHeader(t *testing.T) header {
	p, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{
		"baggage":     "tracium.tenant=victim,tracium.trace=t1,tracium.agent=x,tracium.depth=0",
		"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	})
	require.NoError(t, err)
	return header{traciumtemporal.HeaderKey: p}
}

// TestForgedTenantIgnoredByDefault: under the default policy a tenant in
// the header is not believed, by the workflow nor by the activity, it is
// not passed on to the activity, nothing is sent for the named trace, and
// the hint saying how to restore it is reported.
func TestForgedTenantIgnoredByDefault(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t)
	wtp := testutil.NewService(t, srv)
	wp := traciumtemporal.NewContextPropagator(traciumtemporal.WithTracerProvider(wtp))
	acts := &activities{}
	r := run(t, wp, true, acts, forgedHeader(t), "x", false)
	flush(t, wtp)

	assert.Empty(t, r.WorkflowTenant)
	assert.Empty(t, r.ActivityTenant)
	require.Len(t, acts.headers, 1)
	var c map[string]string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(acts.headers[0][traciumtemporal.HeaderKey], &c))
	assert.NotContains(t, c, "baggage", "the workflow does not pass on members it did not believe")
	assert.Equal(t, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", c["traceparent"])
	assert.Empty(t, srv.Requests(), "nothing sent for a trace the worker was not allowed to join")
	assert.True(t, errs.Reported("trust policy ignores them"), "%q", errs.Messages())
}

// TestTamperedSignedSetRejected: under Signed, a signed header whose
// tenant was changed after signing is rejected, in the workflow and in the
// activity, and reported.
func TestTamperedSignedSetRejected(t *testing.T) {
	kr := keyring(t)
	srv := testutil.NewServer(t)
	api, wtp := testutil.NewService(t, srv), testutil.NewService(t, srv)
	st := starter{tp: api, cp: traciumtemporal.NewContextPropagator(traciumtemporal.WithPropagator(newPropagator(t, propagation.WithSigning(kr))))}
	wp := traciumtemporal.NewContextPropagator(traciumtemporal.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Signed(kr)))),
		traciumtemporal.WithTracerProvider(wtp))
	h, _, end := st.start(t, "tenant-a")
	end()
	dc := converter.GetDefaultDataConverter()
	var c map[string]string
	require.NoError(t, dc.FromPayload(h[traciumtemporal.HeaderKey], &c))
	require.Contains(t, c["baggage"], "tracium.tenant=tenant-a")
	c["baggage"] = strings.Replace(c["baggage"], "tracium.tenant=tenant-a", "tracium.tenant=victim", 1)
	p, err := dc.ToPayload(c)
	require.NoError(t, err)
	h[traciumtemporal.HeaderKey] = p

	errs := testutil.CaptureErrors(t)
	acts := &activities{}
	r := run(t, wp, false, acts, h, "x", false)
	flush(t, api, wtp)
	assert.Empty(t, r.WorkflowTenant)
	assert.Empty(t, r.ActivityTenant)
	require.Len(t, acts.headers, 1)
	var fwd map[string]string
	require.NoError(t, dc.FromPayload(acts.headers[0][traciumtemporal.HeaderKey], &fwd))
	assert.NotContains(t, fwd, "baggage", "the rejected set is not passed on")
	assert.Equal(t, c["traceparent"], fwd["traceparent"])
	assert.True(t, errs.Reported("signature does not verify"), "%q", errs.Messages())
	for _, tr := range srv.Traces() {
		assert.NotEqual(t, "victim", tr.TenantID)
		for _, s := range tr.Spans {
			assert.NotEqual(t, "x", s.Name, "the activity's span joined no trace")
		}
	}
}

// TestBadHeaderRunsWithoutContext: a header payload that is not a JSON
// object of strings, or too large, is reported and ignored: the workflow
// and its activity run, without context, and nothing panics.
func TestBadHeaderRunsWithoutContext(t *testing.T) {
	dc := converter.GetDefaultDataConverter()
	mustPayload := func(v any) *commonpb.Payload {
		p, err := dc.ToPayload(v)
		require.NoError(t, err)
		return p
	}
	for name, p := range map[string]*commonpb.Payload{
		"invalid json": {Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"baggage":`)},
		"wrong types":  mustPayload(map[string]any{"baggage": 5, "traceparent": []int{1}}),
		"not object":   mustPayload("tracium.tenant=victim"),
		"unknown enc":  {Metadata: map[string][]byte{"encoding": []byte("binary/x-evil")}, Data: []byte("x")},
		"no metadata":  {Data: []byte(`{"baggage":"tracium.tenant=victim"}`)},
		"null":         mustPayload(nil),
		"oversized":    mustPayload(map[string]string{"baggage": strings.Repeat("a", 40<<10)}),
		"big entry":    mustPayload(map[string]string{"baggage": "tracium.tenant=victim," + strings.Repeat("a", 9<<10)}),
		"nil payload":  nil,
	} {
		t.Run(name, func(t *testing.T) {
			errs := testutil.CaptureErrors(t)
			srv := testutil.NewServer(t)
			wtp := testutil.NewService(t, srv)
			trust := traciumtemporal.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust())))
			wp := traciumtemporal.NewContextPropagator(trust, traciumtemporal.WithTracerProvider(wtp))
			acts := &activities{}
			r := run(t, wp, true, acts, header{traciumtemporal.HeaderKey: p}, "x", false)
			flush(t, wtp)
			assert.Equal(t, 1, acts.attempts["x"], "the activity ran once")
			assert.Empty(t, r.WorkflowTenant)
			assert.Empty(t, r.ActivityTenant)
			assert.Empty(t, srv.Requests())
			if p != nil && name != "null" {
				assert.NotEmpty(t, errs.Messages(), "the bad header is reported")
			}
		})
	}
}

// TestAutoTrace: with WithAutoTrace, an activity of a workflow started
// outside any trace runs in an automatic trace named after the activity
// type, sent only when the activity records a span.
func TestAutoTrace(t *testing.T) {
	srv := testutil.NewServer(t)
	wtp := testutil.NewService(t, srv)
	wp := traciumtemporal.NewContextPropagator(traciumtemporal.WithTracerProvider(wtp), traciumtemporal.WithAutoTrace(true))

	run(t, wp, true, &activities{}, nil, "", false)
	flush(t, wtp)
	assert.Empty(t, srv.Requests(), "an activity with no span sends nothing")

	run(t, wp, true, &activities{}, nil, "draft", false)
	flush(t, wtp)
	traces := srv.Traces()
	require.Len(t, traces, 1)
	assert.Equal(t, "summarize", traces[0].AgentName)
	names := map[string]bool{}
	for _, s := range traces[0].Spans {
		names[s.Name] = true
	}
	assert.True(t, names["draft"], "%v", names)
}

// TestLocalActivityJoins: a local activity, run by the workflow's own
// worker, joins the starter's trace too, through the interceptor's job span.
func TestLocalActivityJoins(t *testing.T) {
	srv := testutil.NewServer(t)
	api, wtp := testutil.NewService(t, srv), testutil.NewService(t, srv)
	trust := traciumtemporal.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust())))
	st := starter{tp: api, cp: traciumtemporal.NewContextPropagator(trust)}
	wp := traciumtemporal.NewContextPropagator(trust, traciumtemporal.WithTracerProvider(wtp))
	h, root, end := st.start(t, "tenant-a")
	r := run(t, wp, true, &activities{}, h, "draft-local", false)
	end()
	flush(t, api, wtp)
	assert.Equal(t, "tenant-a", r.ActivityTenant)
	traces := srv.Traces()
	require.Len(t, traces, 1)
	byName := map[string]traciumtest.Span{}
	for _, s := range traces[0].Spans {
		byName[s.Name] = s
		assert.Equal(t, "tenant-a", s.TenantID, s.Name)
	}
	require.Contains(t, byName, "summarize")
	require.Contains(t, byName, "draft-local")
	assert.Equal(t, root.SpanID().String(), byName["summarize"].ParentSpanID)
	assert.Equal(t, byName["summarize"].ID, byName["draft-local"].ParentSpanID)
}
