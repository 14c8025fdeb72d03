package exporter

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tracium-ai/tracium-go/internal/api"
	"github.com/tracium-ai/tracium-go/internal/batch"
)

// TestFailureDecisions pins how the exporter applies api.Classify (see its
// table test, TestClassify): whether a failed request is spooled, parked
// (only while its export still runs; a joined trace's 404 too), and the
// cause its spans are dropped under, which a shutdown ending the export
// decides unless the API refused them for good.
func TestFailureDecisions(t *testing.T) {
	t.Parallel()
	status := func(code int) error { return fmt.Errorf("post: %w", &api.StatusError{Status: code}) }
	live := context.Background()
	ended := func(cause error) context.Context {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(cause)
		return ctx
	}
	tests := []struct {
		name   string
		err    error
		ctx    context.Context
		joined bool
		spool  bool
		park   bool
		cause  dropCause
	}{
		{name: "400", err: status(400), ctx: live, cause: dropRejected},
		{name: "400 at shutdown", err: status(400), ctx: ended(errShutdown), cause: dropRejected},
		{name: "404", err: status(404), ctx: live, cause: dropRejected},
		{name: "404 joined", err: status(404), ctx: live, joined: true, spool: false, park: true, cause: dropRejected},
		{name: "408", err: status(408), ctx: live, spool: true, park: true, cause: dropUndeliverable},
		{name: "409", err: status(409), ctx: live, cause: dropRejected},
		{name: "429", err: status(429), ctx: live, spool: true, park: true, cause: dropUndeliverable},
		{name: "503", err: status(503), ctx: live, spool: true, park: true, cause: dropUndeliverable},
		{name: "503 at shutdown", err: status(503), ctx: ended(errShutdown), spool: true, cause: dropShutdown},
		{name: "503 at the batch shutdown deadline", err: status(503), ctx: ended(batch.ErrShutdown), spool: true, cause: dropShutdown},
		{name: "foreground budget used up", err: context.DeadlineExceeded, ctx: live, spool: true, park: true, cause: dropUndeliverable},
		{name: "export deadline", err: context.DeadlineExceeded, ctx: ended(context.DeadlineExceeded), spool: true, cause: dropUndeliverable},
		{name: "cancelled by shutdown", err: errors.Join(errShutdown, context.Canceled), ctx: ended(errShutdown), spool: true, cause: dropShutdown},
		{name: "not from the API client", err: errors.New("boom"), ctx: live, cause: dropUndeliverable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.spool, spoolable(tt.err), "spoolable(%v)", tt.err)
			assert.Equal(t, tt.park, parkable(tt.ctx, tt.err, &request{kind: kindSpans, joined: tt.joined}), "parkable(%v)", tt.err)
			assert.Equal(t, tt.cause, failCause(tt.ctx, tt.err), "failCause(%v)", tt.err)
		})
	}
}
