package spool

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzReadFrames reads arbitrary bytes as the body of a segment, the way
// Head does: frame by frame, resynchronising after damage. It must never
// panic, always make progress, and only return payloads whose frames are
// really in the input.
func FuzzReadFrames(f *testing.F) {
	var valid []byte
	for _, p := range []string{"", "a", `{"kind":"spans"}`, string(bytes.Repeat([]byte{0xfa, 0xce, 0xb0, 0x0c}, 8))} {
		valid = appendFrame(valid, []byte(p))
	}
	f.Add(valid)
	f.Add(valid[:len(valid)-3])                        // torn tail
	f.Add(append([]byte("garbage"), valid...))         // leading garbage
	f.Add([]byte(frameMagic + "\xff\xff\xff\x7f\x00")) // a huge length
	flipped := bytes.Clone(valid)
	flipped[5] ^= 1
	f.Add(flipped)
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		limit := int64(len(data))
		for off, steps := int64(0), 0; off < limit; steps++ {
			if steps > len(data)+1 {
				t.Fatalf("no progress at offset %d", off)
			}
			p, end, err := readFrame(r, off, limit)
			if err == nil {
				if end <= off || end > limit {
					t.Fatalf("frame at %d ends at %d (limit %d)", off, end, limit)
				}
				if !bytes.Equal(appendFrame(nil, p), data[off:end]) {
					t.Fatalf("payload at %d does not re-encode to its frame", off)
				}
				off = end
				continue
			}
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("reading bytes in memory: %v", err)
			}
			next, err := resync(r, off+1, limit)
			if err != nil {
				t.Fatalf("resync: %v", err)
			}
			if next <= off || next > limit {
				t.Fatalf("resync from %d went to %d", off, next)
			}
			off = next
		}
	})
}
