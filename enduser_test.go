package tracium_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/enduser"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func mustUser(t testing.TB, s string) enduser.User { return testutil.Valid(t, enduser.NewUser, s) }
func mustSession(t testing.TB, s string) enduser.Session {
	return testutil.Valid(t, enduser.NewSession, s)
}

// endUserOf returns the user.id, session.id and gen_ai.conversation.id of a
// span ("" for an absent one).
func endUserOf(s sdktrace.ReadOnlySpan) [3]string {
	a := attrs(s)
	return [3]string{a[semconv.UserIDKey].AsString(), a[semconv.SessionIDKey].AsString(), a[semconv.GenAIConversationIDKey].AsString()}
}

// The user and session of the context are stamped on the agent root, its
// spans, spans of other instrumentation inside it and an agent trace nested
// in it; the options override the context for one trace.
func TestEndUserStamped(t *testing.T) {
	t.Parallel()
	tp, rec := newRecorded(t)
	ctx := enduser.ContextWithUser(context.Background(), mustUser(t, "u-ctx"))
	ctx = enduser.ContextWithSession(ctx, mustSession(t, "chat-ctx"))

	octx, outer := tracium.StartTrace(ctx, "outer", tracium.WithTracerProvider(tp))
	testutil.ToolWithForeign(octx, tp, "tool", "other", "foreign")
	_, inner := tracium.StartTrace(octx, "inner", tracium.WithUser(" u-opt "))
	inner.End()
	outer.End()
	_, plain := tracium.StartTrace(context.Background(), "plain", tracium.WithTracerProvider(tp))
	plain.End()
	_, only := tracium.StartTrace(ctx, "only-session", tracium.WithTracerProvider(tp), tracium.WithSession("chat-opt"))
	only.End()

	for _, tc := range []struct {
		span string
		want [3]string
	}{
		{"outer", [3]string{"u-ctx", "chat-ctx", "chat-ctx"}},
		{"tool", [3]string{"u-ctx", "chat-ctx", "chat-ctx"}},
		{"foreign", [3]string{"u-ctx", "chat-ctx", "chat-ctx"}},
		{"inner", [3]string{"u-opt", "chat-ctx", "chat-ctx"}}, // trimmed option; the session of the enclosing trace
		{"plain", [3]string{}},
		{"only-session", [3]string{"u-ctx", "chat-opt", "chat-opt"}},
	} {
		assert.Equal(t, tc.want, endUserOf(byName(t, rec, tc.span)), "span %s", tc.span)
	}
	a := attrs(byName(t, rec, "plain"))
	for _, k := range []attribute.Key{semconv.UserIDKey, semconv.SessionIDKey, semconv.GenAIConversationIDKey} {
		_, ok := a[k]
		assert.False(t, ok, "no %s without a user or session", k)
	}
}

// A bad option is reported to the OTel error handler and ignored: the trace
// keeps the context's user, and nothing else of it is lost.
func TestEndUserBadOption(t *testing.T) {
	errs := captureErrors(t)
	tp, rec := newRecorded(t)
	ctx := enduser.ContextWithUser(context.Background(), mustUser(t, "u-ctx"))
	_, tr := tracium.StartTrace(ctx, "bot", tracium.WithTracerProvider(tp),
		tracium.WithUser("u\x00evil"), tracium.WithSession(strings.Repeat("s", 256)), tracium.WithTags("kept"))
	tr.End()

	root := byName(t, rec, "bot")
	assert.Equal(t, [3]string{"u-ctx", "", ""}, endUserOf(root))
	assert.Equal(t, []string{"kept"}, attrs(root)[semconv.TraceTagsKey].AsStringSlice())
	msgs := strings.Join(errs.Messages(), "\n")
	assert.Contains(t, msgs, `tracium: start trace: enduser: invalid user id "u\x00evil": control character U+0000`)
	assert.Contains(t, msgs, "session id")
	assert.Contains(t, msgs, "256 characters, more than 255")
	assert.Len(t, errs.Messages(), 2)
}

// startRecorded returns a provider whose Tracium processor exports to srv.
func startRecorded(t *testing.T, srv *traciumtest.Server) *sdktrace.TracerProvider {
	t.Helper()
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
}

// tracesByAgent returns the traces srv received, by agent name.
func tracesByAgent(t *testing.T, srv *traciumtest.Server) map[string]traciumtest.Trace {
	t.Helper()
	m := make(map[string]traciumtest.Trace)
	for _, tr := range srv.Traces() {
		require.NotContains(t, m, tr.AgentName, "two traces of agent %s", tr.AgentName)
		m[tr.AgentName] = tr
	}
	return m
}

// On the wire: the user and session go in the metadata of the trace's start
// as user_id and conversation_id, next to the application's own metadata;
// an application key of the same name wins; a trace without them sends no
// metadata of ours.
func TestEndUserWire(t *testing.T) {
	errs := captureErrors(t)
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := startRecorded(t, srv)
	ctx := enduser.ContextWithUser(context.Background(), mustUser(t, "u-42"))
	ctx = enduser.ContextWithSession(ctx, mustSession(t, "chat-7"))

	run := func(ctx context.Context, agent string, opts ...tracium.TraceOption) {
		ctx, tr := tracium.StartTrace(ctx, agent, append(opts, tracium.WithTracerProvider(tp))...)
		_, s := tracium.StartSpan(ctx, tracium.LLM, "answer")
		s.End()
		tr.End()
	}
	run(ctx, "both", tracium.WithMetadata(map[string]any{"plan": "pro"}))
	run(ctx, "mine-wins", tracium.WithMetadata(map[string]any{"user_id": "my-own", "n": 1}))
	run(ctx, "no-metadata")
	run(context.Background(), "anonymous")
	run(context.Background(), "option-only", tracium.WithSession("chat-9"))
	run(ctx, "bad-metadata", tracium.WithMetadata(map[string]any{"f": func() {}}))
	require.NoError(t, tp.Shutdown(context.Background()))

	got := tracesByAgent(t, srv)
	require.Len(t, got, 6)
	for agent, want := range map[string]map[string]any{
		"both":         {"plan": "pro", "user_id": "u-42", "conversation_id": "chat-7"},
		"mine-wins":    {"user_id": "my-own", "n": float64(1), "conversation_id": "chat-7"},
		"no-metadata":  {"user_id": "u-42", "conversation_id": "chat-7"},
		"anonymous":    nil,
		"option-only":  {"conversation_id": "chat-9"},
		"bad-metadata": {"user_id": "u-42", "conversation_id": "chat-7"},
	} {
		tr := got[agent]
		assert.Equal(t, want, tr.Metadata, "metadata of %s", agent)
		for k := range want {
			// A key given twice would decode as one: count them as sent.
			assert.Equal(t, 1, strings.Count(string(tr.StartRaw), fmt.Sprintf("%q:", k)), "key %s in the start of %s: %s", k, agent, tr.StartRaw)
		}
		assert.Equal(t, "completed", tr.Status, agent)
		assert.Len(t, tr.Spans, 1, agent)
	}
	assert.NotContains(t, string(got["anonymous"].StartRaw), "metadata", "no metadata key at all without a user")
	msgs := errs.Messages()
	require.Len(t, msgs, 1, "only the bad metadata is reported: %v", msgs)
	assert.Contains(t, msgs[0], "metadata")
}

// With tracium.Init's default redaction, a user id that is an e-mail
// address is masked in the attribute and in the metadata: putting it in the
// metadata does not get it past the redactor.
func TestEndUserRedacted(t *testing.T) {
	t.Parallel()
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	p, err := tracium.Init(ctx, tracium.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())))
	require.NoError(t, err)
	ctx = enduser.ContextWithUser(ctx, mustUser(t, "ada@example.com"))
	_, tr := p.StartTrace(ctx, "bot", tracium.WithSession("chat-7"))
	tr.End()
	require.NoError(t, p.Shutdown(context.Background()))

	got := tracesByAgent(t, srv)
	require.Contains(t, got, "bot")
	md := got["bot"].Metadata
	assert.Equal(t, "chat-7", md["conversation_id"])
	assert.NotContains(t, fmt.Sprint(md), "ada@example.com")
	assert.Contains(t, md["user_id"], "REDACTED")
}

// The metadata of ours fits with the application's within the API's limit,
// or the application's is sent alone and that is reported.
func TestEndUserMetadataLimit(t *testing.T) {
	errs := captureErrors(t)
	tp, rec := newRecorded(t)
	ctx := enduser.ContextWithUser(context.Background(), mustUser(t, "u-42"))
	// {"k":"xxx…"} of exactly 1 000 000 bytes: valid alone, no room for ours.
	big := map[string]any{"k": strings.Repeat("x", 1_000_000-len(`{"k":""}`))}
	_, tr := tracium.StartTrace(ctx, "full", tracium.WithTracerProvider(tp), tracium.WithMetadata(big))
	tr.End()
	md := attrs(byName(t, rec, "full"))[semconv.TraceMetadataKey].AsString()
	assert.Len(t, md, 1_000_000)
	assert.NotContains(t, md, "user_id")
	msgs := errs.Messages()
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "no room for user_id")
	assert.Equal(t, [3]string{"u-42", "", ""}, endUserOf(byName(t, rec, "full")), "the attribute still says the user")
}

// ExampleWithUser shows a trace's end user and session: from the context
// (here set by hand; in a server, by the code that authenticated the
// request), or per trace with WithUser and WithSession.
func ExampleWithUser() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	user, _ := enduser.NewUser("u-42")
	ctx := enduser.ContextWithUser(context.Background(), user)
	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(tp),
		tracium.WithSession("chat-7"), tracium.WithMetadata(map[string]any{"plan": "pro"}))
	_, s := tracium.StartSpan(ctx, tracium.LLM, "answer")
	s.End()
	tr.End()
	_ = tp.Shutdown(ctx)

	for _, t := range srv.Traces() {
		keys := make([]string, 0, len(t.Metadata))
		for k := range t.Metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("%s=%v\n", k, t.Metadata[k])
		}
	}
	// Output:
	// conversation_id=chat-7
	// plan=pro
	// user_id=u-42
}
