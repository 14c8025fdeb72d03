package exporter_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
)

// encodeKey writes key in the encoding enc selects, varied by bits (which
// characters to escape or upper-case, how many filler bytes before base64)
// and n (the length of a run of the key).
func encodeKey(key string, enc uint8, bits uint64, n uint8) string {
	bit := func(i int) bool { return bits>>(uint(i)%64)&1 == 1 }
	var b strings.Builder
	switch enc % 16 {
	case 0:
		return key
	case 1:
		return strings.ToUpper(key)
	case 2: // mixed case
		for i, r := range key {
			if bit(i) {
				b.WriteString(strings.ToUpper(string(r)))
			} else {
				b.WriteRune(r)
			}
		}
	case 3, 4: // \u escapes, all or some
		for i, r := range key {
			if enc%16 == 3 || bit(i) {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	case 5, 6, 7: // %XX, lower or upper hex, all or some
		for i, r := range key {
			switch {
			case enc%16 == 5:
				fmt.Fprintf(&b, "%%%02x", r)
			case enc%16 == 6:
				fmt.Fprintf(&b, "%%%02X", r)
			case bit(i):
				fmt.Fprintf(&b, "%%%02X", r)
			default:
				b.WriteRune(r)
			}
		}
	case 8:
		return url.QueryEscape(url.QueryEscape(key))
	case 9, 10: // base64 inside a longer text, at any alignment
		fill := strings.Repeat("\x00", int(bits%3))
		if enc%16 == 9 {
			return base64.StdEncoding.EncodeToString([]byte(fill + key))
		}
		return base64.RawURLEncoding.EncodeToString([]byte(fill + key))
	case 11:
		return hex.EncodeToString([]byte(key))
	case 12, 13: // a long prefix or suffix, in any case
		l := 14 + int(n)%(len(key)-13)
		run := key[:l]
		if enc%16 == 13 {
			run = key[len(key)-l:]
		}
		if bit(0) {
			run = strings.ToUpper(run)
		}
		return run
	case 14:
		return strings.ReplaceAll(key, "/", `\/`)
	case 15: // HTML character references
		for i, r := range key {
			if bit(i) {
				fmt.Fprintf(&b, "&#x%x;", r)
			} else {
				fmt.Fprintf(&b, "&#%d;", r)
			}
		}
	}
	return b.String()
}

// FuzzKeyNeverInErrorsOrLogs: whatever error body a server sends, with the
// API key in it in whatever encoding, neither the OTel error handler nor
// otel's logger ever receives the key, in the native and in OTLP mode. Not
// parallel: it owns the OTel error handler and logger.
func FuzzKeyNeverInErrorsOrLogs(f *testing.F) {
	f.Add(`{"detail":"invalid key `, `"}`, uint8(0), uint64(0), uint8(0))
	f.Add(`{"detail":[{"loc":["header","x-api-key"],"input":"`, `"}]}`, uint8(1), uint64(0xaaaa), uint8(3))
	f.Add(`key=`, `&x=1`, uint8(7), uint64(0x5555), uint8(0))
	f.Add(`Basic `, ``, uint8(9), uint64(2), uint8(0))
	f.Add(`"prefix":"`, `..."`, uint8(12), uint64(1), uint8(6))
	f.Add(`\`, `\`, uint8(4), uint64(0xf0f0), uint8(0))
	f.Add(`%`, `%2`, uint8(6), uint64(0), uint8(0))
	f.Add(strings.Repeat("x", 600), "", uint8(3), uint64(0), uint8(0))

	var body atomic.Pointer[string]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(*body.Load()))
	}))
	f.Cleanup(srv.Close)

	errs := &testutil.Errors{}
	prevHandler := otel.GetErrorHandler()
	otel.SetErrorHandler(errs)
	logs := &logRecorder{}
	otel.SetLogger(newRecordingLogger(logs))
	f.Cleanup(func() {
		otel.SetErrorHandler(prevHandler)
		otel.SetLogger(newRecordingLogger(&logRecorder{}))
	})

	native, err := exporter.New(exporter.WithAPIKey(edgeKey), exporter.WithBaseURL(srv.URL),
		exporter.WithRetry(exporter.RetryConfig{Disabled: true}))
	if err != nil {
		f.Fatal(err)
	}
	otlp, err := exporter.NewOTLP(context.Background(), exporter.WithAPIKey(edgeKey), exporter.WithBaseURL(srv.URL))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		_ = native.Shutdown(context.Background())
		_ = otlp.Shutdown(context.Background())
	})

	f.Fuzz(func(t *testing.T, pre, post string, enc uint8, bits uint64, n uint8) {
		form := encodeKey(edgeKey, enc, bits, n)
		b := pre + form + post
		body.Store(&b)
		tp, rec := testutil.NewRecorded(t)
		ctx, tr := tracium.StartTrace(context.Background(), "fuzz-bot", tracium.WithTracerProvider(tp))
		_, s := tracium.StartSpan(ctx, tracium.Tool, "step")
		s.End()
		tr.End()
		spans := rec.Ended()
		before, beforeLogs := len(errs.Messages()), len(logs.all())
		for _, exp := range []sdktrace.SpanExporter{native, otlp} {
			ectx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := exp.ExportSpans(ectx, spans); err != nil {
				otel.Handle(err) // what the batch span processor does
			}
			cancel()
		}
		got := append(errs.Messages()[before:], logs.all()[beforeLogs:]...)
		if len(errs.Messages()) == before {
			t.Fatalf("no error reported for a 400 answer")
		}
		for _, m := range got {
			if strings.Contains(strings.ToLower(m), strings.ToLower(edgeKey)) {
				t.Fatalf("the key reached the error handler or logger: %q", m)
			}
			if strings.Contains(m, form) {
				t.Fatalf("the key, encoded as %q, reached the error handler or logger: %q", form, m)
			}
		}
	})
}
