package api

import (
	"bytes"
	"io"
	"mime"
	"net/http"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// scrubOTLPSuccess scrubs key from the partial_success.error_message of a
// 2xx OTLP/HTTP answer, which otlptracehttp turns into an error for the
// OTel error handler. The body is decoded as an ExportTraceServiceResponse
// (protobuf or JSON, by Content-Type) and encoded again only when the
// message held the key; a body that is neither, or holds no key, is left
// as it was. A body that does not decode, or is over 64 KiB, is scrubbed
// as text, since a decoding error may quote it.
func scrubOTLPSuccess(resp *http.Response, key string) {
	if key == "" || resp.Body == nil || resp.Body == http.NoBody {
		return
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var marshal func(proto.Message) ([]byte, error)
	var unmarshal func([]byte, proto.Message) error
	switch mt {
	case "application/x-protobuf":
		marshal, unmarshal = proto.Marshal, proto.Unmarshal
	case "application/json":
		marshal = protojson.Marshal
		unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal
	default:
		return
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxScrubbedBody+1))
	_ = resp.Body.Close()
	out := b
	var msg coltracepb.ExportTraceServiceResponse
	switch {
	case err != nil || len(b) > maxScrubbedBody:
		out = nil // a success answer this large is no OTLP answer
	case unmarshal(b, &msg) != nil:
		out = []byte(Scrub(string(b), key))
	case msg.GetPartialSuccess().GetErrorMessage() != "":
		ps := msg.GetPartialSuccess()
		if clean := Scrub(ps.GetErrorMessage(), key); clean != ps.GetErrorMessage() {
			ps.ErrorMessage = clean
			if re, err := marshal(&msg); err == nil {
				out = re
			} else {
				out = nil
			}
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Del("Content-Length")
	resp.Header.Del("Content-Encoding")
}
