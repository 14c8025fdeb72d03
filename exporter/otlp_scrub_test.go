package exporter_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
)

// keyForms are the ways edgeKey may be written into a URL or a message.
var keyForms = formsOf(edgeKey)

func formsOf(key string) map[string]string {
	return map[string]string{
		"raw":        key,
		"pathescape": url.PathEscape(key),
		"query":      url.QueryEscape(key),
		"b64url":     base64.RawURLEncoding.EncodeToString([]byte(key)),
		"hex":        hex.EncodeToString([]byte(key)),
	}
}

// assertNoKey fails when text holds edgeKey in any of keyForms, or a run of
// half of its characters (what [api.Scrub] removes).
func assertNoKey(t *testing.T, text, what string) { t.Helper(); assertNoKeyOf(t, edgeKey, text, what) }

func assertNoKeyOf(t *testing.T, key, text, what string) {
	t.Helper()
	low := strings.ToLower(text)
	for name, f := range formsOf(key) {
		assert.NotContains(t, low, strings.ToLower(f), "%s holds the key (%s)", what, name)
	}
	k := strings.ToLower(key)
	run := min(max(len(k)/2, 8), 16)
	for i := 0; i+run <= len(k); i++ {
		if !assert.NotContains(t, low, k[i:i+run], "%s holds a run of the key", what) {
			return
		}
	}
}

// otlpExportAll exports one agent trace through exp (as the batch span
// processor would, with the error it returns) and returns that error's text
// and what reached the OTel error handler.
func otlpExportAll(t *testing.T, exp sdktrace.SpanExporter, errs *testutil.Errors) string {
	t.Helper()
	tp, rec := testutil.NewRecorded(t)
	ctx, tr := tracium.StartTrace(context.Background(), "edge-bot", tracium.WithTracerProvider(tp))
	_, s := tracium.StartSpan(ctx, tracium.Tool, "lookup")
	s.End()
	tr.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	all := ""
	if err := exp.ExportSpans(ctx, rec.Ended()); err != nil {
		all += err.Error() + fmt.Sprintf(" %+v\n", err)
	}
	_ = exp.Shutdown(ctx)
	return all + strings.Join(errs.Messages(), "\n")
}

// TestOTLPTransportErrorsHideKey: http.Client quotes the full request URL
// in a failed request's error and the Location of a refused redirect; in
// OTLP mode neither may carry the key, wherever the URL holds it. Not
// parallel: it captures the OTel error handler.
func TestOTLPTransportErrorsHideKey(t *testing.T) {
	noRetry := exporter.WithOTLPOptions(otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	tests := []struct {
		name     string
		base     string // the base URL; "" means a server redirecting to location
		location string
	}{
		{name: "base path, escaped", base: "http://127.0.0.1:1/" + keyForms["pathescape"] + "/"},
		{name: "base path, base64", base: "http://127.0.0.1:1/" + keyForms["b64url"] + "/"},
		{name: "base path, hex", base: "http://127.0.0.1:1/" + keyForms["hex"] + "/"},
		{name: "redirect query", location: "http://127.0.0.2:1/x?k=" + keyForms["query"]},
		{name: "redirect userinfo", location: "http://u:" + keyForms["query"] + "@127.0.0.2:1/x"},
		{name: "redirect fragment", location: "http://127.0.0.2:1/x#" + keyForms["query"]},
		{name: "redirect path", location: "http://127.0.0.2:1/" + keyForms["pathescape"]},
		{name: "redirect path base64", location: "http://127.0.0.2:1/" + keyForms["b64url"]},
		{name: "same-origin redirect path", location: "/" + keyForms["pathescape"]},
		{name: "unparsable location", location: "http://127.0.0.2:1/%zz" + keyForms["query"]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := testutil.CaptureErrors(t)
			base := tc.base
			if base == "" {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body)
					if r.URL.Path != "/v1/traces" {
						w.WriteHeader(http.StatusServiceUnavailable) // the followed same-origin redirect fails
						return
					}
					w.Header().Set("Location", tc.location)
					w.WriteHeader(http.StatusTemporaryRedirect)
				}))
				t.Cleanup(srv.Close)
				base = srv.URL
			}
			exp, err := exporter.NewOTLP(context.Background(), exporter.WithAPIKey(edgeKey), exporter.WithBaseURL(base), noRetry)
			require.NoError(t, err, "NewOTLP")
			all := otlpExportAll(t, exp, errs)
			assert.NotEmpty(t, all, "ExportSpans reports the failure")
			assertNoKey(t, all, "ExportSpans error or OTel error handler")
		})
	}
}

// TestOTLPPartialSuccessHidesKey: a 200 answer whose partial_success
// error_message echoes the key, in protobuf or JSON, reaches the caller as
// an error without the key, still naming the rejected spans. Not parallel:
// it captures the OTel error handler.
func TestOTLPPartialSuccessHidesKey(t *testing.T) {
	for _, ct := range []string{"application/x-protobuf", "application/json"} {
		for name, form := range keyForms {
			t.Run(ct+"/"+name, func(t *testing.T) {
				errs := testutil.CaptureErrors(t)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body)
					m := &coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{
						RejectedSpans: 1, ErrorMessage: "rejected for key " + form,
					}}
					var b []byte
					if ct == "application/json" {
						b, _ = protojson.Marshal(m)
					} else {
						b, _ = proto.Marshal(m)
					}
					w.Header().Set("Content-Type", ct)
					_, _ = w.Write(b)
				}))
				t.Cleanup(srv.Close)
				exp, err := exporter.NewOTLP(context.Background(), exporter.WithAPIKey(edgeKey), exporter.WithBaseURL(srv.URL))
				require.NoError(t, err, "NewOTLP")
				all := otlpExportAll(t, exp, errs)
				assert.Contains(t, all, "1 spans rejected", "the partial success is still reported")
				assertNoKey(t, all, "ExportSpans error or OTel error handler")
			})
		}
	}
}
