package traciumgrpc

import (
	"net/http"
	"net/textproto"
	"strings"

	otelpropagation "go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc/metadata"
)

// MetadataCarrier is a TextMapCarrier over gRPC metadata, for propagators
// used by hand (the interceptors use it themselves). Keys are lower case,
// as gRPC keeps them; Get returns the first value, Values all of them, and
// Set replaces every value of the key.
type MetadataCarrier metadata.MD

var (
	_ otelpropagation.TextMapCarrier = MetadataCarrier(nil)
	_ otelpropagation.ValuesGetter   = MetadataCarrier(nil)
)

// Get returns the first value of key, or "".
func (c MetadataCarrier) Get(key string) string {
	if v := metadata.MD(c).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns every value of key.
func (c MetadataCarrier) Values(key string) []string { return metadata.MD(c).Get(key) }

// Set replaces the values of key with value.
func (c MetadataCarrier) Set(key, value string) { metadata.MD(c).Set(key, value) }

// Keys returns the keys present.
func (c MetadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// toHeader returns md as the HTTP/2 header block gRPC sends it in, with
// canonical keys so that http.Header's accessors find them. The value
// slices are shared with md: neither side may modify them in place.
func toHeader(md metadata.MD) http.Header {
	h := make(http.Header, len(md))
	for k, v := range md {
		h[textproto.CanonicalMIMEHeaderKey(k)] = v
	}
	return h
}

// toMD is the inverse of toHeader.
func toMD(h http.Header) metadata.MD {
	md := make(metadata.MD, len(h))
	for k, v := range h {
		md[strings.ToLower(k)] = v
	}
	return md
}
