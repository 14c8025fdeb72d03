package exporter

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpoolRecordRoundTrip(t *testing.T) {
	t.Parallel()
	for _, r := range []request{
		{kind: kindStart, trace: "0af7651916cd43dd8448eb211c80319c", pathID: "0af7651916cd43dd8448eb211c80319c", tenant: "tenant-1", body: []byte(`{"agent_name":"bot"}`)},
		{kind: kindSpans, joined: true, spans: 1000, trace: "t1", pathID: "srv-t1", body: []byte(`{"spans":[]}`)},
		{kind: kindComplete, trace: "order-42_a", pathID: "order-42_a", body: []byte(`{}`)},
		{kind: kindFail, trace: "x", pathID: "x", tenant: "ü", body: []byte(`{"error":"boom"}`)},
		{kind: kindComplete, ownRoot: true, trace: "own", pathID: "own", body: []byte(`{}`)},
		{kind: kindFail, ownRoot: true, trace: "own", pathID: "srv-own", body: []byte(`{"error":"boom"}`)},
	} {
		t.Run(fmt.Sprintf("%s/ownRoot=%v", r.kind, r.ownRoot), func(t *testing.T) {
			got, err := decodeRequest(r.encode(nil))
			require.NoError(t, err, "decodeRequest")
			assert.Equal(t, r, got)
		})
	}
}

func TestSpoolRecordRejects(t *testing.T) {
	t.Parallel()
	good := (&request{kind: kindSpans, spans: 2, trace: "t", pathID: "t", body: []byte(`{"spans":[]}`)}).encode(nil)
	tests := []struct {
		name string
		rec  []byte
	}{
		{"empty", nil},
		{"version", append([]byte{9}, good[1:]...)},
		{"kind", append([]byte{1, 7}, good[2:]...)},
		{"flags", append([]byte{1, 2, 4}, good[3:]...)},
		{"own root on spans", withFlags(good, flagOwnRoot)},
		{"own root on a start", withFlags((&request{kind: kindStart, trace: "t", pathID: "t", body: []byte("{}")}).encode(nil), flagOwnRoot)},
		{"too many spans", (&request{kind: kindSpans, spans: MaxSpansPerRequest + 1, trace: "t", pathID: "t", body: []byte("{}")}).encode(nil)},
		{"spans on a start", (&request{kind: kindStart, spans: 1, trace: "t", pathID: "t", body: []byte("{}")}).encode(nil)},
		{"path escape", (&request{kind: kindSpans, trace: "t", pathID: "../../auth/me", body: []byte("{}")}).encode(nil)},
		{"bad tenant", (&request{kind: kindSpans, trace: "t", pathID: "t", tenant: "a\nb", body: []byte("{}")}).encode(nil)},
		{"no body", (&request{kind: kindFail, trace: "t", pathID: "t"}).encode(nil)},
		{"cut short", good[:6]},
		{"over-long span count", append([]byte{1, 2, 0, 0x82, 0x00}, good[4:]...)},
		{"over-long field length", append([]byte{1, 2, 0, 2, 0x81, 0x00}, good[5:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeRequest(tt.rec)
			assert.ErrorIs(t, err, errBadRecord)
		})
	}
}

// withFlags returns a copy of rec with its flags byte set to f.
func withFlags(rec []byte, f byte) []byte {
	out := bytes.Clone(rec)
	out[2] = f
	return out
}

// FuzzDecodeSpoolRecord feeds arbitrary bytes to the decoder of spooled
// requests: it never panics, and what it accepts encodes back to the same
// bytes and names one of our endpoints.
func FuzzDecodeSpoolRecord(f *testing.F) {
	f.Add((&request{kind: kindStart, trace: "abc", pathID: "abc", tenant: "t", body: []byte(`{"agent_name":"bot"}`)}).encode(nil))
	f.Add((&request{kind: kindSpans, joined: true, spans: 3, trace: "abc", pathID: "srv-abc", body: []byte(`{"spans":[]}`)}).encode(nil))
	f.Add((&request{kind: kindComplete, ownRoot: true, trace: "abc", pathID: "abc", body: []byte(`{}`)}).encode(nil))
	f.Add([]byte{1, 2, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := decodeRequest(p)
		if err != nil {
			return
		}
		if !bytes.Equal(r.encode(nil), p) {
			t.Fatalf("decoded %+v does not encode back to its record", r)
		}
		path := r.path(r.pathID)
		if path != "/agents/traces" && path != "/agents/traces/"+r.pathID+"/"+r.kind.String() {
			t.Fatalf("unexpected path %q", path)
		}
		if bytes.ContainsAny([]byte(r.pathID), "/?#%. ") {
			t.Fatalf("path id %q escapes its segment", r.pathID)
		}
	})
}
