package tracium_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// TestAutomaticTrace: the scope opens one lazy trace at its first span,
// from whichever goroutine, with the opener's tenant and the name asked
// then; End ends it once; spans after End open nothing; nothing is sent for
// a scope with no span; a StartTrace inside is a trace of its own.
func TestAutomaticTrace(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	flush := func() { require.NoError(t, tp.ForceFlush(context.Background())) }

	// No span: nothing, even after TraceFromContext of a nil-safe kind.
	ctx, at := tracium.WithAutomaticTrace(context.Background(), func() string { return "quiet" }, tracium.WithTracerProvider(tp))
	require.Nil(t, at.Trace())
	at.End(nil)
	_, s := tracium.StartSpan(ctx, tracium.Tool, "late")
	s.End()
	flush()
	assert.Empty(t, srv.Requests(), "a scope with no span before End sends nothing")

	named := "unset"
	ctx, at = tracium.WithAutomaticTrace(context.Background(), func() string { return named }, tracium.WithTracerProvider(tp))
	named = "opened-late"
	ctx = tenant.With(ctx, testutil.Valid(t, tenant.New, "acme"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, s := tracium.StartSpan(ctx, tracium.Tool, "step")
			s.End()
		}()
	}
	wg.Wait()
	require.NotNil(t, at.Trace())
	assert.Same(t, at.Trace(), tracium.TraceFromContext(ctx), "TraceFromContext finds the opened trace")
	mctx, manual := tracium.StartTrace(ctx, "manual", tracium.WithTracerProvider(tp))
	_, s = tracium.StartSpan(mctx, tracium.Tool, "own")
	s.End()
	manual.End()
	at.End(errors.New("went wrong"))
	at.End(nil) // idempotent: stays failed
	flush()

	byName := map[string]traciumtest.Trace{}
	for _, tr := range srv.Traces() {
		byName[tr.AgentName] = tr
	}
	require.Len(t, byName, 2)
	auto := byName["opened-late"]
	assert.Equal(t, "acme", auto.TenantID)
	assert.Len(t, auto.Spans, 8, "eight steps; the manual trace is its own and does not open the scope")
	assert.Equal(t, traciumtest.StatusFailed, auto.Status)
	assert.Equal(t, 1, auto.Starts)
	assert.Equal(t, 1, auto.Failures+auto.Completions)
	assert.Len(t, byName["manual"].Spans, 1)
}

// TestAutomaticTraceTraceFromContextOpens: TraceFromContext inside a scope
// opens the trace (lazily: nothing is sent without a span), so that a
// summary set before the first span is kept.
func TestAutomaticTraceTraceFromContextOpens(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	ctx, at := tracium.WithAutomaticTrace(context.Background(), func() string { return "sum" }, tracium.WithTracerProvider(tp))
	tracium.TraceFromContext(ctx).SetSummary(map[string]any{"ok": true})
	_, s := tracium.StartSpan(ctx, tracium.LLM, "call")
	s.End()
	at.End(nil)
	require.NoError(t, tp.ForceFlush(context.Background()))
	require.Len(t, srv.Traces(), 1)
	assert.Equal(t, map[string]any{"ok": true}, srv.Traces()[0].Summary)

	var nilScope *tracium.AutomaticTrace
	nilScope.End(nil)
	nilScope.EndPanic("x")
	assert.Nil(t, nilScope.Trace())
}

// TestAutomaticTracePanic: EndPanic fails the trace with the panic's value.
func TestAutomaticTracePanic(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	ctx, at := tracium.WithAutomaticTrace(context.Background(), func() string { return "boom" }, tracium.WithTracerProvider(tp))
	require.PanicsWithValue(t, "kaboom", func() {
		defer func() {
			if p := recover(); p != nil {
				at.EndPanic(p)
				panic(p)
			}
		}()
		_, s := tracium.StartSpan(ctx, tracium.Tool, "fuse")
		s.End()
		panic("kaboom")
	})
	require.NoError(t, tp.ForceFlush(context.Background()))
	require.Len(t, srv.Traces(), 1)
	assert.Equal(t, traciumtest.StatusFailed, srv.Traces()[0].Status)
	assert.Contains(t, srv.Traces()[0].Error, "kaboom")
}

// TestAutomaticTraceNamePanics: a name function that panics does not
// reach the code that starts the span: the trace is named "app", and the
// panic is reported.
func TestAutomaticTraceNamePanics(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	ctx, at := tracium.WithAutomaticTrace(context.Background(), func() string { panic("bad router") }, tracium.WithTracerProvider(tp))
	require.NotPanics(t, func() {
		_, s := tracium.StartSpan(ctx, tracium.Tool, "x")
		s.End()
	})
	at.End(nil)
	require.NoError(t, tp.ForceFlush(context.Background()))
	require.Len(t, srv.Traces(), 1)
	assert.Equal(t, "app", srv.Traces()[0].AgentName)
	assert.True(t, errs.Reported("the name function panicked: bad router"), "%q", errs.Messages())
}
