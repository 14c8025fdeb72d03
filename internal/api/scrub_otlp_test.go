package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tracium-ai/tracium-go/internal/api"
)

// TestScrubTransportPartialSuccess: ScrubTransport removes the key from the
// partial_success error_message of a 2xx OTLP answer, in protobuf and JSON,
// keeps the rest of it, and leaves other 2xx bodies as they were.
func TestScrubTransportPartialSuccess(t *testing.T) {
	t.Parallel()
	partial := &coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{
		RejectedSpans: 3, ErrorMessage: "bad key " + testKey,
	}}
	pb, err := proto.Marshal(partial)
	require.NoError(t, err, "proto.Marshal")
	js, err := protojson.Marshal(partial)
	require.NoError(t, err, "protojson.Marshal")
	tests := []struct {
		name, contentType string
		body              []byte
		unmarshal         func([]byte, proto.Message) error // nil: the body must come back unchanged
	}{
		{name: "protobuf", contentType: "application/x-protobuf", body: pb, unmarshal: proto.Unmarshal},
		{name: "json", contentType: "application/json; charset=utf-8", body: js, unmarshal: protojson.Unmarshal},
		{name: "other content type", contentType: "text/plain", body: []byte("ok " + testKey)},
		{name: "no partial success", contentType: "application/json", body: []byte(`{}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				_, _ = w.Write(tc.body)
			}))
			t.Cleanup(srv.Close)
			hc := &http.Client{Transport: api.ScrubTransport(api.NewTransport(), testKey)}
			resp, err := hc.Get(srv.URL)
			require.NoError(t, err, "GET")
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err, "read body")
			_ = resp.Body.Close()
			if tc.unmarshal == nil {
				assert.Equal(t, string(tc.body), string(got), "body passed on untouched")
				return
			}
			var m coltracepb.ExportTraceServiceResponse
			require.NoError(t, tc.unmarshal(got, &m), "the scrubbed body decodes")
			assert.Equal(t, int64(3), m.GetPartialSuccess().GetRejectedSpans(), "rejected spans kept")
			assert.Equal(t, "bad key [REDACTED]", m.GetPartialSuccess().GetErrorMessage(), "error_message scrubbed")
		})
	}
}

// TestScrubErrorURL: ScrubError prints a *url.Error's URL as SafeURL and
// scrubs the rest, while errors.Is still sees the original error.
func TestScrubErrorURL(t *testing.T) {
	t.Parallel()
	orig := &url.Error{Op: "Post", URL: "http://u:" + url.QueryEscape(testKey) + "@127.0.0.1:1/p?k=v#f", Err: context.Canceled}
	err := api.ScrubError(errors.Join(errors.New("upload"), orig), testKey)
	assert.Equal(t, "upload\nPost \"http://127.0.0.1:1/p\": context canceled", err.Error(), "ScrubError text")
	assert.ErrorIs(t, err, context.Canceled, "ScrubError keeps errors.Is")
	assert.NoError(t, api.ScrubError(nil, testKey), "ScrubError(nil)")
}

// TestErrorPathHidesKey: a request path holding an id the server chose,
// which may be the key echoed back, is quoted scrubbed in the error of a
// failed request.
func TestErrorPathHidesKey(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, nil, nil)
	_, err := c.Do(context.Background(), api.Request{Method: http.MethodPost, Path: "/agents/traces/" + testKey + "/spans"})
	require.Error(t, err, "Do")
	assert.Equal(t, "tracium api: POST /agents/traces/[REDACTED]/spans: 400 Bad Request", err.Error(), "Do error")
}
