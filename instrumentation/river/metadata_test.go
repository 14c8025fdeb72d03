package traciumriver_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	traciumriver "github.com/tracium-ai/tracium-go/instrumentation/river"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
)

// TestInsertMergesMetadata: the carrier is merged into each job's JSON
// object (a stale "tracium" key replaced, the user's keys and their bytes
// kept), metadata that is no object is left as it is and reported, and the
// enqueue spans end with the insert's error.
func TestInsertMergesMetadata(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t)
	api := testutil.NewService(t, srv)
	mw := traciumriver.New(traciumriver.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust()))))
	params := []*rivertype.JobInsertParams{
		{Kind: "a", Queue: "default", Metadata: []byte(`{"user":"<b>&","tracium":{"baggage":"old"}}`)},
		{Kind: "b", Queue: "default", Metadata: nil},
		{Kind: "c", Queue: "default", Metadata: []byte(`[1,2]`)},
		{Kind: "d", Queue: "default", Metadata: []byte(`null`)},
		{Kind: "e", Queue: "default", Metadata: []byte(`{"broken`)},
	}
	ctx, tr := inTrace(t, api, "acme")
	_, err := mw.InsertMany(ctx, params, func(context.Context) ([]*rivertype.JobInsertResult, error) {
		return nil, errors.New("database is locked")
	})
	tr.End()
	require.EqualError(t, err, "database is locked")

	var a map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(params[0].Metadata, &a))
	assert.Equal(t, `"<b>&"`, string(a["user"]), "the user's value is kept byte for byte")
	var c map[string]string
	require.NoError(t, json.Unmarshal(a[traciumriver.MetadataKey], &c))
	assert.Contains(t, c["baggage"], "tracium.tenant=acme", "the stale carrier is replaced")
	assert.NotContains(t, c["baggage"], "old")
	assert.Contains(t, string(params[1].Metadata), "tracium.tenant=acme")
	assert.Equal(t, `[1,2]`, string(params[2].Metadata))
	assert.Equal(t, `null`, string(params[3].Metadata))
	assert.Equal(t, `{"broken`, string(params[4].Metadata))
	assert.True(t, errs.Reported("is not a JSON object"), "%q", errs.Messages())

	flush(t, api)
	traces := srv.Traces()
	require.Len(t, traces, 1)
	by := spansByName(traces[0])
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		require.Len(t, by["enqueue "+k], 1, k)
		assert.Equal(t, "failed", by["enqueue "+k][0].Status, k)
	}
}

// TestWorkUnreadableMetadata: Work runs the job, without context, when the
// row's metadata is not JSON or too large to read.
func TestWorkUnreadableMetadata(t *testing.T) {
	testutil.CaptureErrors(t)
	mw := traciumriver.New(traciumriver.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust()))))
	good := `{"tracium":{"baggage":"tracium.tenant=acme"}}`
	huge := good[:len(good)-1] + `,"pad":"` + strings.Repeat("a", 2<<20) + `"}`
	tenantIn := func(md string) string {
		var got string
		require.NoError(t, mw.Work(context.Background(), &rivertype.JobRow{ID: 1, Kind: "k", Attempt: 1, Metadata: []byte(md)},
			func(ctx context.Context) error {
				got = tenantOf(ctx)
				return nil
			}))
		return got
	}
	assert.Equal(t, "acme", tenantIn(good), "a readable carrier is restored")
	for _, md := range []string{`{"tracium":`, `"tracium.tenant=acme"`, huge, ""} {
		assert.Equal(t, "", tenantIn(md), "%.40s", md)
	}
}
