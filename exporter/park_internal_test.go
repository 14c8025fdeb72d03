package exporter

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/exporter/internal/wire"
	"github.com/tracium-ai/tracium-go/internal/api"
)

// parkHarness runs a parking on its own, without an Exporter: its deps'
// callbacks are fakes that answer only once open is closed (or the
// parking is stopped), so that a test can park several requests of a
// trace before the first is answered, and record what was sent.
type parkHarness struct {
	pk    *parking
	stats *counters
	stop  context.CancelFunc
	open  chan struct{}

	mu     sync.Mutex
	events []string // "start <trace>" or "<path> <body>", as answered
}

// newParkHarness returns a parking whose API answers a request of trace
// with answer(trace, body), and whose ensureStarted answers with start.
func newParkHarness(t *testing.T, sp spooling, answer func(trace, body string) error, start func(en *entry) error) *parkHarness {
	stopCtx, stop := context.WithCancel(context.Background())
	h := &parkHarness{stats: new(counters), stop: stop, open: make(chan struct{})}
	h.pk = newParking(parkDeps{
		stats: h.stats, spool: sp, stopCtx: stopCtx, maxElapsed: 30 * time.Second,
		do: func(ctx context.Context, r api.Request) (*api.Response, error) {
			if err := h.wait(ctx); err != nil {
				return nil, err
			}
			body := string(r.Body)
			if len(body) > 64 {
				body = fmt.Sprintf("<%d bytes>", len(body))
			}
			h.record(r.Path + " " + body)
			return &api.Response{}, answer(strings.Split(r.Path, "/")[3], string(r.Body))
		},
		ensureStarted: func(ctx context.Context, en *entry) error {
			if err := h.wait(ctx); err != nil {
				return err
			}
			h.record("start " + en.id)
			return start(en)
		},
	}, false)
	t.Cleanup(func() { stop(); h.pk.close() })
	return h
}

func (h *parkHarness) wait(ctx context.Context) error {
	select {
	case <-h.open:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (h *parkHarness) record(ev string) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *parkHarness) sent() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.events...)
}

// settle opens the fake API and waits until nothing is parked.
func (h *parkHarness) settle(t *testing.T) {
	close(h.open)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, h.pk.wait(ctx), "wait for the parcels")
}

func spansReq(trace string, n int, body string) *request {
	return &request{kind: kindSpans, spans: n, trace: trace, pathID: trace, body: []byte(body)}
}

func endReq(trace string, kind reqKind) *request {
	return &request{kind: kind, trace: trace, pathID: trace, body: []byte(`{}`), ownRoot: true}
}

func answerOK(string, string) error { return nil }

func startAccepted(*entry) error { return nil }

func statusErr(code int) error { return &api.StatusError{Status: code} }

// Parking is tested on its own, without an Exporter, its deps faked: a
// trace's parked requests go out in order, after its start, from a copy of
// their bodies; it holds at most maxParked traces and maxParkedBytes of
// bodies; a parcel given up drops (and counts) the rest of its trace, while
// one refused request drops only itself; what Shutdown cuts short goes to
// the spool; and a closed parking parks nothing.
func TestParkingOnItsOwn(t *testing.T) {
	t.Parallel()

	t.Run("order kept per trace", func(t *testing.T) {
		t.Parallel()
		h := newParkHarness(t, noSpool{}, answerOK, startAccepted)
		en := newEntry(wire.Start{TraceID: "t1", Body: []byte(`{"agent_name":"bot"}`)})
		key := en.key
		require.True(t, h.pk.addStart(key, en), "park the start")
		first := spansReq("t1", 2, `{"spans":[1]}`)
		require.True(t, h.pk.add(key, en, first), "park spans")
		copy(first.body, `{"spans":[9]}`) // the caller reuses its buffer
		require.True(t, h.pk.add(key, en, spansReq("t1", 3, `{"spans":[2]}`)), "park more spans")
		require.True(t, h.pk.add(key, en, endReq("t1", kindComplete)), "park the end")
		assert.True(t, h.pk.holds(key), "holds the trace while parked")
		assert.False(t, h.pk.holds(traceKey("", "t2")), "holds no other trace")

		h.settle(t)
		assert.False(t, h.pk.holds(key), "holds the trace after it settled")
		var posts []string
		for _, ev := range h.sent() {
			if !strings.HasPrefix(ev, "start ") {
				posts = append(posts, ev)
			}
		}
		assert.Equal(t, "start t1", h.sent()[0], "the start is made sure of first")
		assert.Equal(t, []string{
			`/agents/traces/t1/spans {"spans":[1]}`,
			`/agents/traces/t1/spans {"spans":[2]}`,
			`/agents/traces/t1/complete {}`,
		}, posts, "sent in order, each body as it was parked")
		assert.EqualValues(t, 5, h.stats.spansExported.Load(), "spans exported")
		assert.EqualValues(t, 1, h.stats.tracesCompleted.Load(), "traces completed")
		assert.EqualValues(t, 1, h.stats.rootsExported.Load(), "roots exported with the end")
		assert.Zero(t, h.stats.tracesUndeliverable.Load(), "traces undeliverable")
	})

	t.Run("bounded in traces and bytes", func(t *testing.T) {
		t.Parallel()
		h := newParkHarness(t, noSpool{}, answerOK, startAccepted)
		key := func(i int) string { return traceKey("", "held-"+strconv.Itoa(i)) }
		for i := range maxParked {
			require.True(t, h.pk.add(key(i), nil, spansReq("held", 1, `{}`)), "park trace %d of %d", i+1, maxParked)
		}
		assert.False(t, h.pk.add(key(maxParked), nil, spansReq("held", 1, `{}`)), "no room for one trace more")
		// A trace already parked takes more, up to the byte bound.
		rest := maxParkedBytes - 2*maxParked
		require.True(t, h.pk.add(key(0), nil, spansReq("held", 0, strings.Repeat(" ", rest))), "park up to the byte bound")
		assert.False(t, h.pk.add(key(1), nil, spansReq("held", 0, `{`)), "no room for one byte more")

		h.settle(t)
		h.pk.mu.Lock()
		parcels, bytes := len(h.pk.m), h.pk.bytes
		h.pk.mu.Unlock()
		assert.Zero(t, parcels, "no parcel left")
		assert.Zero(t, bytes, "no byte held")
		assert.Len(t, h.sent(), maxParked+1, "every parked request sent")
		assert.EqualValues(t, maxParked, h.stats.spansExported.Load(), "spans exported")
	})

	t.Run("give-up accounting", func(t *testing.T) {
		t.Parallel()
		h := newParkHarness(t, noSpool{}, func(trace, body string) error {
			switch {
			case trace == "down":
				return statusErr(503)
			case body == `{"spans":["bad"]}`:
				return statusErr(400)
			}
			return nil
		}, func(en *entry) error {
			if en.id == "refused-start" {
				return statusErr(400)
			}
			return nil
		})
		// Still failing when its budget ends: it, and its trace's later
		// requests, are given up, and the trace is undeliverable.
		down := traceKey("", "down")
		require.True(t, h.pk.add(down, nil, spansReq("down", 3, `{"spans":[]}`)), "park")
		require.True(t, h.pk.add(down, nil, spansReq("down", 2, `{"spans":[]}`)), "park")
		require.True(t, h.pk.add(down, nil, endReq("down", kindFail)), "park")
		// One request refused for good: only it is dropped.
		mixed := traceKey("", "mixed")
		require.True(t, h.pk.add(mixed, nil, spansReq("mixed", 4, `{"spans":["bad"]}`)), "park")
		require.True(t, h.pk.add(mixed, nil, spansReq("mixed", 1, `{"spans":[]}`)), "park")
		// A start refused: the requests behind it are given up.
		en := newEntry(wire.Start{TraceID: "refused-start", Body: []byte(`{}`)})
		require.True(t, h.pk.addStart(en.key, en), "park the start")
		require.True(t, h.pk.add(en.key, en, spansReq("refused-start", 6, `{"spans":[]}`)), "park")

		h.settle(t)
		var downPosts int
		for _, ev := range h.sent() {
			if strings.HasPrefix(ev, "/agents/traces/down/") {
				downPosts++
			}
		}
		assert.Equal(t, 1, downPosts, "a given-up trace's later requests are not sent")
		st := h.stats.snapshot()
		assert.EqualValues(t, 3+2+6+1, st.Dropped.Undeliverable, "spans given up, and the failed trace's root")
		assert.EqualValues(t, 4, st.Dropped.Rejected, "spans refused")
		assert.EqualValues(t, 3+2+6+4, st.SpansDropped, "spans dropped")
		assert.EqualValues(t, 1, st.SpansExported, "the request after the refused one is sent")
		assert.EqualValues(t, 2, st.TracesUndeliverable, "traces given up")
		assert.Zero(t, st.TracesFailed, "no end delivered")
	})

	t.Run("sent in place", func(t *testing.T) {
		t.Parallel()
		h := newParkHarness(t, noSpool{}, func(trace, _ string) error {
			if trace == "down" {
				return statusErr(503)
			}
			return statusErr(409)
		}, startAccepted)
		close(h.open)
		ctx := context.Background()
		en := newEntry(wire.Start{TraceID: "t1", Body: []byte(`{}`)})
		o, err := h.pk.inPlace(ctx, en, endReq("t1", kindComplete))
		assert.NoError(t, err, "an end answered 409 was accepted before")
		assert.Equal(t, sent, o, "outcome of an end answered 409")
		o, err = h.pk.inPlace(ctx, nil, spansReq("down", 1, `{"spans":[]}`))
		assert.Equal(t, 503, api.StatusCode(err), "the failure is returned")
		assert.Equal(t, failed, o, "outcome of spans answered 503")
		assert.Equal(t, []string{"start t1", "/agents/traces/t1/complete {}", `/agents/traces/down/spans {"spans":[]}`}, h.sent(), "sent")
	})

	t.Run("shutdown spools what is left", func(t *testing.T) {
		t.Parallel()
		sp := &keepAll{}
		h := newParkHarness(t, sp, answerOK, startAccepted) // never opened: the API hangs
		key := traceKey("", "late")
		require.True(t, h.pk.add(key, nil, spansReq("late", 2, `{"spans":[]}`)), "park")
		require.True(t, h.pk.add(key, nil, endReq("late", kindComplete)), "park")
		h.stop()
		h.pk.close()
		assert.False(t, h.pk.add(key, nil, spansReq("late", 1, `{}`)), "a closed parking parks nothing")
		sp.mu.Lock()
		defer sp.mu.Unlock()
		assert.Equal(t, []string{"spans", "complete"}, sp.kept, "kept in the spool, in order")
		assert.Equal(t, 1, sp.syncs, "synced once")
		assert.Zero(t, h.stats.spansDropped.Load(), "nothing dropped")
		assert.Zero(t, h.stats.tracesUndeliverable.Load(), "nothing undeliverable")
	})

	t.Run("closed parks nothing", func(t *testing.T) {
		t.Parallel()
		pk := newParking(parkDeps{stats: new(counters), spool: noSpool{}, stopCtx: context.Background()}, true)
		en := newEntry(wire.Start{TraceID: "t1", Body: []byte(`{}`)})
		assert.False(t, pk.addStart(en.key, en), "addStart")
		assert.False(t, pk.add(en.key, en, spansReq("t1", 1, `{}`)), "add")
		assert.NoError(t, pk.wait(context.Background()), "wait with nothing parked")
	})
}

// keepAll is a spool that keeps every request, and records what it kept.
type keepAll struct {
	noSpool
	mu    sync.Mutex
	kept  []string
	syncs int
}

func (s *keepAll) keep(r request, _ error) outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kept = append(s.kept, r.kind.String())
	return spooled
}

func (s *keepAll) sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncs++
	return nil
}
