package llmhttp

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

type event struct{ Name, Data string }

// parse feeds s to a parser in pieces of size n (all at once when n <= 0)
// and returns the events, stopping at the one named "stop".
func parse(s string, n, max int) (events []event, stopped bool) {
	p := sseParser{max: max}
	emit := func(name string, data []byte) bool {
		d := string(data)
		if data == nil {
			d = "<nil>"
		}
		events = append(events, event{name, d})
		return name == "stop"
	}
	b := []byte(s)
	if n <= 0 {
		n = len(b) + 1
	}
	for len(b) > 0 {
		k := min(n, len(b))
		if p.feed(b[:k], emit) {
			return events, true
		}
		b = b[k:]
	}
	return events, p.end(emit)
}

func TestSSEParser(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		in      string
		max     int
		want    []event
		stopped bool
	}{
		{name: "unnamed", in: "data: {\"a\":1}\n\n", want: []event{{"", `{"a":1}`}}},
		{name: "named", in: "event: message_start\ndata: {}\n\n", want: []event{{"message_start", "{}"}}},
		{name: "CRLF", in: "event: x\r\ndata: 1\r\n\r\n", want: []event{{"x", "1"}}},
		{name: "CR", in: "event: x\rdata: 1\r\r", want: []event{{"x", "1"}}},
		{name: "multi-line data", in: "data: a\ndata: b\n\n", want: []event{{"", "a\nb"}}},
		{name: "empty first data line", in: "data\ndata: b\n\n", want: []event{{"", "\nb"}}},
		{name: "no space after colon", in: "data:x\n\n", want: []event{{"", "x"}}},
		{name: "two spaces keep one", in: "data:  x\n\n", want: []event{{"", " x"}}},
		{name: "comments and other fields", in: ": ping\nid: 7\nretry: 10\ndata: x\n\n", want: []event{{"", "x"}}},
		{name: "event without data is dropped", in: "event: x\n\ndata: y\n\n", want: []event{{"", "y"}}},
		{name: "name does not carry over", in: "event: x\ndata: 1\n\ndata: 2\n\n", want: []event{{"x", "1"}, {"", "2"}}},
		{name: "last event without blank line", in: "data: 1\n\ndata: 2", want: []event{{"", "1"}, {"", "2"}}},
		{name: "terminal event stops", in: "data: 1\n\nevent: stop\ndata: {}\n\ndata: 3\n\n", want: []event{{"", "1"}, {"stop", "{}"}}, stopped: true},
		{name: "too large", in: "event: big\ndata: 0123456789\n\ndata: ok\n\n", max: 8, want: []event{{"big", "<nil>"}, {"", "ok"}}},
		{name: "too large over lines", in: "data: 01234\ndata: 56789\n\ndata: ok\n\n", max: 8, want: []event{{"", "<nil>"}, {"", "ok"}}},
		{name: "too large terminal still stops", in: "event: stop\ndata: 0123456789\n\ndata: 1\n\n", max: 8, want: []event{{"stop", "<nil>"}}, stopped: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, n := range []int{0, 1, 2, 3, 7} {
				got, stopped := parse(tc.in, n, tc.max)
				assert.Equal(t, tc.want, got, "in pieces of %d", n)
				assert.Equal(t, tc.stopped, stopped, "in pieces of %d", n)
			}
		})
	}
}

// However a stream is cut into reads, the parser sees the same events, and
// no event data is longer than the limit.
func FuzzSSEParser(f *testing.F) {
	for _, s := range []string{
		"data: {\"a\":1}\n\n",
		"event: message_start\r\ndata: {}\r\n\r\ndata: [DONE]\n\n",
		"data: a\rdata: b\r\r: c\n\n",
		"event: stop\ndata: 1\n\n",
		"data: " + strings.Repeat("x", 40) + "\n\n",
	} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		const max = 32
		whole, wholeStopped := parse(s, 0, max)
		cut, cutStopped := parse(s, 1+(n&15), max)
		if len(whole) != len(cut) || wholeStopped != cutStopped {
			t.Fatalf("%d events (stopped %v) whole, %d (stopped %v) cut", len(whole), wholeStopped, len(cut), cutStopped)
		}
		for i := range whole {
			if whole[i] != cut[i] {
				t.Fatalf("event %d: %q whole, %q cut", i, whole[i], cut[i])
			}
			if len(whole[i].Data) > max && whole[i].Data != "<nil>" {
				t.Fatalf("event %d: %d bytes of data, over the limit", i, len(whole[i].Data))
			}
		}
	})
}
