package spool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// On-disk format. A segment file starts with segMagic, then holds frames
// back to back. A frame is a 16-byte header followed by its payload:
//
//	offset size
//	0      4    frameMagic, the bytes fa ce b0 0c
//	4      4    payload length n, little endian
//	8      4    CRC-32C of the payload
//	12     4    CRC-32C of bytes 0..11
//	16     n    payload
//
// The header has its own checksum so that a flipped length is caught before
// a payload of that length is read, and so that resynchronising after a
// damaged frame (scanning for the next frameMagic) rejects a false match
// without reading the bogus payload it would announce.
const (
	segMagic   = "TRSPOOL1"
	headerLen  = int64(len(segMagic))
	frameHdr   = 16
	frameMagic = "\xfa\xce\xb0\x0c"
	// MaxRecord is the largest payload a frame may carry. The reader
	// treats a longer length as damage rather than allocating it.
	MaxRecord = 1<<30 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks a frame that failed a check: it is skipped, not retried.
var errCorrupt = errors.New("corrupt")

// appendFrame appends the frame of payload p to b.
func appendFrame(b, p []byte) []byte {
	var h [frameHdr]byte
	copy(h[:4], frameMagic)
	binary.LittleEndian.PutUint32(h[4:8], uint32(len(p)))
	binary.LittleEndian.PutUint32(h[8:12], crc32.Checksum(p, castagnoli))
	binary.LittleEndian.PutUint32(h[12:16], crc32.Checksum(h[:12], castagnoli))
	b = append(b, h[:]...)
	return append(b, p...)
}

// readFrame reads the frame at off of a file whose valid bytes end at
// limit. It returns the payload and the offset just past the frame. A frame
// that fails a check gives an error wrapping errCorrupt; a failed read gives
// the read error (a file shorter than limit counts as corrupt: something cut
// it).
func readFrame(r io.ReaderAt, off, limit int64) ([]byte, int64, error) {
	if limit-off < frameHdr {
		return nil, 0, fmt.Errorf("%w: %d bytes left, too few for a frame header (torn tail?)", errCorrupt, limit-off)
	}
	var h [frameHdr]byte
	if err := readFull(r, h[:], off); err != nil {
		return nil, 0, err
	}
	if string(h[:4]) != frameMagic {
		return nil, 0, fmt.Errorf("%w: no frame marker", errCorrupt)
	}
	if crc32.Checksum(h[:12], castagnoli) != binary.LittleEndian.Uint32(h[12:16]) {
		return nil, 0, fmt.Errorf("%w: frame header checksum mismatch", errCorrupt)
	}
	n := int64(binary.LittleEndian.Uint32(h[4:8]))
	if n > MaxRecord || n > limit-off-frameHdr {
		return nil, 0, fmt.Errorf("%w: length %d runs past the end of the file (torn tail?)", errCorrupt, n)
	}
	p := make([]byte, n)
	if err := readFull(r, p, off+frameHdr); err != nil {
		return nil, 0, err
	}
	if crc32.Checksum(p, castagnoli) != binary.LittleEndian.Uint32(h[8:12]) {
		return nil, 0, fmt.Errorf("%w: payload checksum mismatch", errCorrupt)
	}
	return p, off + frameHdr + n, nil
}

func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: file shorter than expected", errCorrupt)
	}
	return err
}

// resync returns the offset of the first valid frame at or after from, or
// limit when there is none. It scans for frameMagic in chunks, so its
// memory use is bounded whatever the file holds.
func resync(r io.ReaderAt, from, limit int64) (int64, error) {
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	for off := from; off+frameHdr <= limit; {
		n := int64(min(chunk, limit-off))
		got, err := r.ReadAt(buf[:n], off)
		if int64(got) < n && err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		b := buf[:got]
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte(frameMagic))
			if j < 0 {
				break
			}
			at := off + int64(i+j)
			if _, _, err := readFrame(r, at, limit); err == nil {
				return at, nil
			} else if !errors.Is(err, errCorrupt) {
				return 0, err
			}
			i += j + 1
		}
		if got == 0 {
			break
		}
		// Step back so that a marker split across two chunks is seen.
		off += int64(max(got-len(frameMagic)+1, 1))
	}
	return limit, nil
}
