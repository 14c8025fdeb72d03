package llmhttp_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
	"github.com/tracium-ai/tracium-go/internal/validate"
)

func TestScrubHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   http.Header
		want http.Header
	}{
		{name: "nothing to do", in: http.Header{"Baggage": {"app.user=u-7"}, "Traceparent": {"00-1-2-01"}},
			want: http.Header{"Baggage": {"app.user=u-7"}, "Traceparent": {"00-1-2-01"}}},
		{name: "tenant header", in: http.Header{"X-Tenant-Id": {"acme"}, "Accept": {"*/*"}},
			want: http.Header{"Accept": {"*/*"}}},
		{name: "tenant header, odd case", in: http.Header{"x-tenant-id": {"acme"}}, want: http.Header{}},
		{name: "tenant header with underscores", in: http.Header{"X_Tenant_ID": {"acme"}, "x_tenant-id": {"acme"}, "X_Other": {"1"}},
			want: http.Header{"X_Other": {"1"}}},
		{name: "members kept in order", in: http.Header{"Baggage": {"a=1, tracium.tenant=acme;p=1 ,b=2", "TRACIUM.trace=x,c=3"}},
			want: http.Header{"Baggage": {"a=1,b=2,c=3"}}},
		{name: "only Tracium members", in: http.Header{"Baggage": {"tracium.tenant=acme,tracium.workspace=ws"}},
			want: http.Header{}},
		{name: "lower-case baggage key", in: http.Header{"baggage": {"tracium.tenant=acme,a=1"}},
			want: http.Header{"Baggage": {"a=1"}}},
		{name: "prefix only as a key", in: http.Header{"Baggage": {"a=tracium.tenant"}},
			want: http.Header{"Baggage": {"a=tracium.tenant"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			orig := tc.in.Clone()
			assert.Equal(t, tc.want, llmhttp.ScrubHeader(tc.in))
			assert.Equal(t, orig, tc.in, "ScrubHeader leaves its argument alone")
		})
	}
}

func TestScrubContext(t *testing.T) {
	t.Parallel()
	bg, err := baggage.Parse("tracium.tenant=acme,app.user=u-7,Tracium.Workspace=ws")
	require.NoError(t, err)
	ctx := llmhttp.ScrubContext(baggage.ContextWithBaggage(context.Background(), bg))
	got := baggage.FromContext(ctx)
	assert.Equal(t, 1, got.Len())
	assert.Equal(t, "u-7", got.Member("app.user").Value())

	plain := context.Background()
	assert.Equal(t, plain, llmhttp.ScrubContext(plain), "a context without baggage is returned as is")
	clean, _ := baggage.Parse("app.user=u-7")
	cctx := baggage.ContextWithBaggage(plain, clean)
	assert.Equal(t, cctx, llmhttp.ScrubContext(cctx), "a context without Tracium members is returned as is")
}

func TestCut(t *testing.T) {
	t.Parallel()
	s, cut := llmhttp.Cut("a héllo", 4) // é is two bytes: no half characters
	assert.Equal(t, "a "+llmhttp.TruncatedMarker, s, "a word the cut lands in is dropped whole")
	assert.True(t, cut)
	s, cut = llmhttp.Cut("key sk-proj-QwErTyUiOpAsDfGh", 20)
	assert.Equal(t, "key ***REDACTED***", s, "a secret is masked before the cut, which then needs no cut")
	assert.False(t, cut)
	s, _ = llmhttp.Cut("key sk-proj-QwErTyUiOpAsDfGh and more", 20)
	assert.Equal(t, "key ***REDACTED*** "+llmhttp.TruncatedMarker, s, "no piece of the key survives the cut")
	s, _ = llmhttp.Cut("pay 4539 1488 0343 6467 now please", 22)
	assert.NotContains(t, s, "4539 1488", "a grouped card straddling the cut keeps no digits (they were left, unmasked, before)")
	s, _ = llmhttp.Cut("a é", 3)
	assert.Equal(t, "a "+llmhttp.TruncatedMarker, s, "a cut at whitespace keeps everything before it")
	s, cut = llmhttp.Cut("hello", 5)
	assert.Equal(t, "hello", s)
	assert.False(t, cut)
}

func TestBudget(t *testing.T) {
	t.Parallel()
	t.Run("cut between words", func(t *testing.T) {
		b := llmhttp.NewBudget(8)
		assert.Equal(t, "abc ", b.Take("abc "))
		assert.False(t, b.Cut())
		assert.Equal(t, "defg"+llmhttp.TruncatedMarker, b.Take("defg hij"), "the piece that overflows carries the marker")
		assert.True(t, b.Cut())
		assert.Equal(t, "", b.Take("k"), "nothing after the cut")
	})
	t.Run("the word the budget ends in is finished across pieces", func(t *testing.T) {
		b := llmhttp.NewBudget(3)
		assert.Equal(t, "ab", b.Take("ab"))
		assert.Equal(t, "cdef", b.Take("cdef"), "past the budget: the rest of the word, no marker yet")
		assert.True(t, b.Cut())
		assert.Equal(t, "gh"+llmhttp.TruncatedMarker, b.Take("gh ij"), "the word ends: the marker")
		assert.Equal(t, "", b.Take("k"))
	})
	t.Run("budget ends exactly at a piece inside a word", func(t *testing.T) {
		b := llmhttp.NewBudget(8)
		assert.Equal(t, "abcdefgh", b.Take("abcdefgh"))
		assert.Equal(t, "i"+llmhttp.TruncatedMarker, b.Take("i j"))
	})
	t.Run("a word longer than LongRun past the budget", func(t *testing.T) {
		b := llmhttp.NewBudget(4)
		assert.Equal(t, "abcd", b.Take("abcd"))
		got := b.Take(strings.Repeat("x", 100)) + b.Take(strings.Repeat("x", 100))
		assert.Equal(t, strings.Repeat("x", validate.LongRun)+llmhttp.TruncatedMarker, got, "at most LongRun bytes past the budget")
		assert.Equal(t, "", b.Take("y"))
	})
}

func TestLimit(t *testing.T) {
	t.Parallel()
	assert.JSONEq(t, `{"a":[1,2]}`, string(llmhttp.Limit([]byte(`{ "a" : [1, 2] }`), 100)))
	assert.Equal(t, `"{\"a\":[1... (truncated)"`, string(llmhttp.Limit([]byte(`{"a":[1,2]}`), 7)),
		"too long: the start of the JSON text, as a string")
	assert.Nil(t, llmhttp.Limit([]byte(`{"a":`), 100), "invalid JSON")
}

func TestProgramAgentName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/usr/local/bin/support_bot":      "support-bot",
		"triage.exe":                      "triage",
		"/tmp/go-build1/b001/openai.test": "openai",
		"./main":                          "app",
		"":                                "app",
		"/bin/ü-bot!":                     "bot",
	} {
		assert.Equal(t, want, llmhttp.ProgramAgentName(in), in)
	}
}

// A malformed TRACIUM_CAPTURE_CONTENT is reported and ignored.
//
// Not parallel: it sets the global error handler.
func TestNewConfigEnv(t *testing.T) {
	var mu sync.Mutex
	var reported []error
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })

	env := func(v string) func(string) string {
		return func(k string) string {
			if k == llmhttp.EnvCaptureContent {
				return v
			}
			return ""
		}
	}
	assert.True(t, llmhttp.NewConfig(env(""), "openai", "bot").Capture.On)
	assert.False(t, llmhttp.NewConfig(env(" false "), "openai", "bot").Capture.On)
	assert.True(t, llmhttp.NewConfig(env("TRUE"), "openai", "bot").Capture.On)
	mu.Lock()
	assert.Empty(t, reported)
	mu.Unlock()
	assert.True(t, llmhttp.NewConfig(env("nope"), "openai", "bot").Capture.On)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, reported, 1)
	assert.Contains(t, reported[0].Error(), `TRACIUM_CAPTURE_CONTENT="nope"`)
}

// An event's index picks an element, made on first use; one outside
// [0, MaxIndexes) picks none, so that ever new indexes cannot grow a
// stream's state without bound.
func TestAt(t *testing.T) {
	t.Parallel()
	var s []*int
	a := llmhttp.At(&s, 2)
	require.NotNil(t, a)
	assert.Len(t, s, 3)
	assert.Nil(t, s[0], "only the element used is made")
	assert.Same(t, a, llmhttp.At(&s, 2), "the same element again")
	assert.Nil(t, llmhttp.At(&s, -1))
	assert.Nil(t, llmhttp.At(&s, llmhttp.MaxIndexes))
	assert.NotNil(t, llmhttp.At(&s, llmhttp.MaxIndexes-1))
	assert.Len(t, s, llmhttp.MaxIndexes)
}

// Event data decodes into the event type; data too large to read (nil)
// decodes to the zero event, data that is not JSON of its shape to none.
func TestDecodeEvent(t *testing.T) {
	t.Parallel()
	type event struct {
		Type string `json:"type"`
	}
	ev, ok := llmhttp.DecodeEvent[event]([]byte(`{"type":"message_stop"}`))
	assert.True(t, ok)
	assert.Equal(t, "message_stop", ev.Type)
	ev, ok = llmhttp.DecodeEvent[event](nil)
	assert.True(t, ok)
	assert.Empty(t, ev.Type)
	_, ok = llmhttp.DecodeEvent[event]([]byte(`{"type":1}`))
	assert.False(t, ok)
}
