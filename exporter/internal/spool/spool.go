// Package spool is a bounded on-disk FIFO queue of opaque records: an
// append-only log split into segment files, each record framed with its
// length and CRC-32C checksums.
//
// Producers [Spool.Append] records and [Spool.Sync] them to disk; one
// consumer reads the oldest record with [Spool.Head] and removes it with
// [Spool.Ack]. A segment is deleted as soon as every record in it has been
// acknowledged. The read position is kept in a small cursor file, written
// at every acknowledgement, so that a restarted process resumes where the
// last one stopped. The cursor is not synced (losing it costs re-reads, not
// records): after a crash of the machine, records after the last cursor
// that reached the disk are read again (at-least-once delivery).
//
// Damage is expected, not fatal: a torn tail left by a killed process, a
// flipped byte, a truncated or foreign file. Every damaged stretch is
// reported once through [Options.Report] as a [*CorruptError] and skipped;
// reading goes on with the next valid frame. Nothing here panics on what it
// reads from disk.
//
// A directory is used by one Spool at a time: [Open] takes an exclusive
// lock on it (an advisory flock on Unix-like systems, released by the
// kernel when the process dies, so a killed process never leaves it
// locked).
package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors of [Spool.Append] and friends.
var (
	// ErrFull means the record would take the spool past Options.MaxBytes.
	ErrFull = errors.New("spool full")
	// ErrClosed means the spool was closed.
	ErrClosed = errors.New("spool closed")
	// ErrLocked means another Spool, in this process or another, has the
	// directory open.
	ErrLocked = errors.New("spool directory is in use by another process or exporter")
)

// cursorEvery is how many acknowledgements may pass before the cursor is
// saved. Saving costs one 20-byte write without sync, nothing next to the
// network round trip that precedes an acknowledgement, so it is saved every
// time: a killed process then re-reads at most the record it was sending.
const cursorEvery = 1

// cursorReportEvery bounds how long failed saves of the cursor go
// unreported while they keep failing; see [Spool.saveCursor].
const cursorReportEvery = time.Minute

const (
	segSuffix  = ".seg"
	cursorName = "cursor"
	lockName   = "lock"
	cursorLen  = 20
)

// Options configure [Open].
type Options struct {
	// MaxBytes bounds the size of all segment files together, headers and
	// acknowledged records not yet deleted included. Required, > 0.
	MaxBytes int64
	// SegmentBytes is the size at which a new segment is started. A
	// record larger than it gets a segment of its own. Required, > 0.
	SegmentBytes int64
	// Report receives damage found while reading (a [*CorruptError]) and
	// other trouble that does not stop the spool (a foreign file in the
	// directory, a cursor that cannot be saved). Failed saves of the
	// cursor (a full disk fails every acknowledgement's) come as one
	// report per streak, with their count: when a save succeeds again, at
	// Close, or after a minute of failures at the latest. It is called
	// without any lock held. nil drops the reports.
	Report func(error)
}

// CorruptError describes a damaged stretch of a spool file that was
// skipped.
type CorruptError struct {
	File   string // the file's base name
	Offset int64  // where the damage starts
	Length int64  // how many bytes were skipped
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("spool: %s: skipped %d damaged bytes at offset %d: %s", e.File, e.Length, e.Offset, e.Reason)
}

// Record is a record read by [Spool.Head].
type Record struct {
	Payload  []byte
	seq      uint64
	off, end int64
}

type segment struct {
	seq  uint64
	size int64  // bytes in the file that belong to the spool
	bad  string // why the file cannot be read, found at Open
}

func segName(seq uint64) string { return fmt.Sprintf("%016x%s", seq, segSuffix) }

// Spool is an open spool directory. Append and Sync are safe for concurrent
// use; Head and Ack belong to a single consumer goroutine.
type Spool struct {
	dir  string
	opt  Options
	lock *os.File

	mu        sync.Mutex
	closed    bool
	segs      []*segment // oldest first
	active    *segment   // the segment appended to; the last of segs, or nil
	w         *os.File   // write handle of active
	total     int64
	nextSeq   uint64
	dirty     bool // appended since the last Sync
	wbuf      []byte
	headOff   int64    // read position in segs[0]
	r         *os.File // read handle of segs[0], opened on demand
	rSeq      uint64
	cursor    *os.File
	sinceSave int

	// Failed saves of the cursor not reported yet: how many, the last
	// error, and when the first of them failed.
	cursorFails int
	cursorErr   error
	cursorSince time.Time
}

// Open opens or creates the spool in dir. Records left by an earlier
// process are kept and read first; new records go to a new segment, so that
// a torn tail of the last one is never appended to.
func Open(dir string, opt Options) (*Spool, error) {
	if opt.MaxBytes <= 0 || opt.SegmentBytes <= 0 {
		return nil, errors.New("spool: MaxBytes and SegmentBytes must be positive")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := lockFile(lf); err != nil {
		_ = lf.Close()
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("spool: %s: %w", dir, err)
		}
		return nil, fmt.Errorf("spool: lock %s: %w", dir, err)
	}
	s := &Spool{dir: dir, opt: opt, lock: lf, nextSeq: 1}
	var reports []error
	if err := s.load(&reports); err != nil {
		_ = unlockFile(lf)
		_ = lf.Close()
		return nil, err
	}
	s.report(reports)
	return s, nil
}

// load reads the directory: segments, their headers, and the cursor.
func (s *Spool) load(reports *[]error) error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	for _, de := range ents {
		name := de.Name()
		if name == cursorName || name == lockName {
			continue
		}
		seq, ok := parseSegName(name)
		if !ok || !de.Type().IsRegular() {
			*reports = append(*reports, fmt.Errorf("spool: %s: not a spool file; left alone", name))
			continue
		}
		seg := &segment{seq: seq}
		s.inspect(seg)
		s.segs = append(s.segs, seg)
		s.total += seg.size
		s.nextSeq = max(s.nextSeq, seq+1)
	}
	slices.SortFunc(s.segs, func(a, b *segment) int { return cmpUint(a.seq, b.seq) })

	cf, err := os.OpenFile(filepath.Join(s.dir, cursorName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.cursor = cf
	seq, off, ok, err := readCursor(cf)
	switch {
	case err != nil:
		*reports = append(*reports, fmt.Errorf("spool: %s: %w; reading from the oldest segment", cursorName, err))
	case !ok: // a new spool, or one whose cursor was never saved
	default:
		s.nextSeq = max(s.nextSeq, seq)
		// Segments before the cursor's were fully acknowledged; the
		// process stopped before deleting them.
		for len(s.segs) > 0 && s.segs[0].seq < seq {
			s.removeHead(reports)
		}
		if len(s.segs) > 0 && s.segs[0].seq == seq && s.segs[0].bad == "" {
			if off >= headerLen && off <= s.segs[0].size {
				s.headOff = off
			} else {
				*reports = append(*reports, fmt.Errorf("spool: %s: offset %d outside %s; reading it from its start", cursorName, off, segName(seq)))
			}
		}
	}
	s.headOff = max(s.headOff, headerLen)
	return nil
}

// inspect sets the size of seg and checks its header.
func (s *Spool) inspect(seg *segment) {
	f, err := os.Open(filepath.Join(s.dir, segName(seg.seq)))
	if err != nil {
		seg.bad = err.Error()
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		seg.bad = err.Error()
		return
	}
	seg.size = fi.Size()
	var h [headerLen]byte
	if n, _ := f.ReadAt(h[:], 0); n < len(h) || string(h[:]) != segMagic {
		seg.bad = "no spool segment header"
	}
}

func parseSegName(name string) (uint64, bool) {
	hex, ok := strings.CutSuffix(name, segSuffix)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	seq, err := strconv.ParseUint(hex, 16, 64)
	return seq, err == nil && seq > 0
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// readCursor reads the cursor file: ok is false when it is empty.
func readCursor(f *os.File) (seq uint64, off int64, ok bool, err error) {
	var b [cursorLen]byte
	n, rerr := f.ReadAt(b[:], 0)
	if n == 0 && (rerr == nil || errors.Is(rerr, io.EOF)) {
		return 0, 0, false, nil
	}
	if n < cursorLen {
		return 0, 0, false, errors.New("cursor file truncated")
	}
	if crc32.Checksum(b[:16], castagnoli) != binary.LittleEndian.Uint32(b[16:]) {
		return 0, 0, false, errors.New("cursor checksum mismatch")
	}
	return binary.LittleEndian.Uint64(b[:8]), int64(binary.LittleEndian.Uint64(b[8:16])), true, nil
}

// saveCursor writes the read position. Losing it is harmless (records are
// read again), so it is not synced here; Close syncs it.
func (s *Spool) saveCursor(reports *[]error) {
	seq, off := s.nextSeq, headerLen
	if len(s.segs) > 0 {
		seq, off = s.segs[0].seq, s.headOff
	}
	var b [cursorLen]byte
	binary.LittleEndian.PutUint64(b[:8], seq)
	binary.LittleEndian.PutUint64(b[8:16], uint64(off))
	binary.LittleEndian.PutUint32(b[16:], crc32.Checksum(b[:16], castagnoli))
	s.sinceSave = 0
	if _, err := s.cursor.WriteAt(b[:], 0); err != nil {
		// A full disk fails every save, one per acknowledgement: count
		// them, and report the streak once rather than each of them.
		if s.cursorFails == 0 {
			s.cursorSince = time.Now()
		}
		s.cursorFails++
		s.cursorErr = err
		if time.Since(s.cursorSince) >= cursorReportEvery {
			s.reportCursor(reports)
		}
		return
	}
	s.reportCursor(reports) // the streak, if any, is over
}

// reportCursor adds the report of the failed saves of the cursor not
// reported yet, if any.
func (s *Spool) reportCursor(reports *[]error) {
	if s.cursorFails == 0 {
		return
	}
	*reports = append(*reports, fmt.Errorf("spool: save %s: failed %d times since %s (a restarted process re-sends what was delivered since the last save): %w",
		cursorName, s.cursorFails, s.cursorSince.UTC().Format(time.RFC3339), s.cursorErr))
	s.cursorFails, s.cursorErr = 0, nil
}

func (s *Spool) report(errs []error) {
	if s.opt.Report == nil {
		return
	}
	for _, err := range errs {
		s.opt.Report(err)
	}
}

// Append adds a record of payload p. It returns [ErrFull] when the record
// does not fit in MaxBytes (nothing is written then). The record is readable
// at once; it is durable once [Spool.Sync] returns.
func (s *Spool) Append(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if len(p) > MaxRecord {
		return fmt.Errorf("%w: a record of %d bytes is larger than the largest allowed", ErrFull, len(p))
	}
	n := frameHdr + int64(len(p))
	rotate := s.active == nil || (s.active.size > headerLen && s.active.size+n > s.opt.SegmentBytes)
	need := n
	if rotate {
		need += headerLen
	}
	if s.total+need > s.opt.MaxBytes {
		return ErrFull
	}
	if rotate {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	s.wbuf = appendFrame(s.wbuf[:0], p)
	if _, err := s.w.Write(s.wbuf); err != nil {
		// Take the partial frame back, so that the next one starts on a
		// boundary; if that fails too, stop appending to this segment
		// and leave the damage to the reader's checks.
		if terr := s.w.Truncate(s.active.size); terr != nil {
			_ = s.w.Close()
			s.w, s.active = nil, nil
		} else if _, serr := s.w.Seek(s.active.size, io.SeekStart); serr != nil {
			_ = s.w.Close()
			s.w, s.active = nil, nil
		}
		return fmt.Errorf("spool: append: %w", err)
	}
	if cap(s.wbuf) > 1<<20 {
		s.wbuf = nil // do not keep a large record's buffer around
	}
	s.active.size += n
	s.total += n
	s.dirty = true
	return nil
}

// rotate seals the active segment and starts a new one.
func (s *Spool) rotate() error {
	if s.w != nil {
		err := s.w.Sync()
		if cerr := s.w.Close(); err == nil {
			err = cerr
		}
		s.w, s.active, s.dirty = nil, nil, false
		if err != nil {
			return fmt.Errorf("spool: seal segment: %w", err)
		}
	}
	seq := s.nextSeq
	path := filepath.Join(s.dir, segName(seq))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("spool: new segment: %w", err)
	}
	if _, err := f.Write([]byte(segMagic)); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return fmt.Errorf("spool: new segment: %w", err)
	}
	syncDir(s.dir) // make the new file's name durable too
	s.nextSeq++
	seg := &segment{seq: seq, size: headerLen}
	s.segs = append(s.segs, seg)
	s.active, s.w = seg, f
	s.total += headerLen
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not supported everywhere; best effort
		_ = d.Close()
	}
}

// Sync makes every record appended so far durable (fsync). It does nothing
// when nothing was appended since the last call.
func (s *Spool) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if !s.dirty || s.w == nil {
		return nil
	}
	s.dirty = false
	if err := s.w.Sync(); err != nil {
		return fmt.Errorf("spool: sync: %w", err)
	}
	return nil
}

// Head returns the oldest record not yet acknowledged, skipping (and
// reporting) damaged stretches and dropping segments read to their end. It
// returns io.EOF when there is none. Calling it again without [Spool.Ack]
// returns the same record.
func (s *Spool) Head() (Record, error) {
	var reports []error
	s.mu.Lock()
	rec, err := s.head(&reports)
	s.mu.Unlock()
	s.report(reports)
	return rec, err
}

func (s *Spool) head(reports *[]error) (Record, error) {
	if s.closed {
		return Record{}, ErrClosed
	}
	for len(s.segs) > 0 {
		seg := s.segs[0]
		name := segName(seg.seq)
		if seg.bad != "" {
			*reports = append(*reports, &CorruptError{File: name, Length: seg.size, Reason: seg.bad})
			s.removeHead(reports)
			continue
		}
		if s.headOff >= seg.size {
			if seg == s.active {
				return Record{}, io.EOF
			}
			s.removeHead(reports)
			continue
		}
		r, err := s.reader(seg)
		if err != nil {
			*reports = append(*reports, &CorruptError{File: name, Offset: s.headOff, Length: seg.size - s.headOff, Reason: "cannot open: " + err.Error()})
			s.removeHead(reports)
			continue
		}
		p, end, err := readFrame(r, s.headOff, seg.size)
		if err == nil {
			return Record{Payload: p, seq: seg.seq, off: s.headOff, end: end}, nil
		}
		if !errors.Is(err, errCorrupt) {
			return Record{}, fmt.Errorf("spool: read %s: %w", name, err)
		}
		next, rerr := resync(r, s.headOff+1, seg.size)
		if rerr != nil {
			return Record{}, fmt.Errorf("spool: read %s: %w", name, rerr)
		}
		*reports = append(*reports, &CorruptError{File: name, Offset: s.headOff, Length: next - s.headOff,
			Reason: strings.TrimPrefix(err.Error(), errCorrupt.Error()+": ")})
		s.headOff = next
		s.sinceSave = cursorEvery // skipping is progress worth saving
	}
	return Record{}, io.EOF
}

// reader returns a read handle of seg, the head segment.
func (s *Spool) reader(seg *segment) (*os.File, error) {
	if s.r != nil && s.rSeq == seg.seq {
		return s.r, nil
	}
	if s.r != nil {
		_ = s.r.Close()
		s.r = nil
	}
	f, err := os.Open(filepath.Join(s.dir, segName(seg.seq)))
	if err != nil {
		return nil, err
	}
	s.r, s.rSeq = f, seg.seq
	return f, nil
}

// removeHead deletes the head segment and moves the read position to the
// start of the next one.
func (s *Spool) removeHead(reports *[]error) {
	seg := s.segs[0]
	if s.r != nil && s.rSeq == seg.seq {
		_ = s.r.Close()
		s.r = nil
	}
	if seg == s.active {
		_ = s.w.Close()
		s.w, s.active, s.dirty = nil, nil, false
	}
	if err := os.Remove(filepath.Join(s.dir, segName(seg.seq))); err != nil && !errors.Is(err, os.ErrNotExist) {
		*reports = append(*reports, fmt.Errorf("spool: remove %s: %w", segName(seg.seq), err))
	}
	s.total -= seg.size
	s.segs = s.segs[1:]
	s.headOff = headerLen
	if s.cursor != nil {
		s.saveCursor(reports)
	}
}

// Ack removes rec, which must be the record [Spool.Head] returned last. A
// segment is deleted once all its records are acknowledged.
func (s *Spool) Ack(rec Record) error {
	var reports []error
	s.mu.Lock()
	err := s.ack(rec, &reports)
	s.mu.Unlock()
	s.report(reports)
	return err
}

func (s *Spool) ack(rec Record, reports *[]error) error {
	if s.closed {
		return ErrClosed
	}
	if len(s.segs) == 0 || s.segs[0].seq != rec.seq || s.headOff != rec.off {
		return errors.New("spool: ack of a record that is not the head")
	}
	s.headOff = rec.end
	if s.headOff >= s.segs[0].size {
		// The segment is done; an active one too: the next Append
		// starts a new segment, so an idle spool holds no file.
		s.removeHead(reports)
		return nil
	}
	s.sinceSave++
	if s.sinceSave >= cursorEvery {
		s.saveCursor(reports)
	}
	return nil
}

// Empty reports whether every record was acknowledged (damaged stretches
// not yet skipped count as records).
func (s *Spool) Empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, seg := range s.segs {
		off := headerLen
		if i == 0 {
			off = s.headOff
		}
		if seg.bad != "" || off < seg.size {
			return false
		}
	}
	return true
}

// Size returns the bytes of all segment files.
func (s *Spool) Size() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Close saves the cursor, syncs and closes the files and releases the
// directory. Failed saves of the cursor are reported (Options.Report), not
// returned. Calls after the first return nil.
func (s *Spool) Close() error {
	var reports []error
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.saveCursor(&reports)
	saved := s.cursorFails == 0
	s.reportCursor(&reports)
	var errs []error
	if s.w != nil {
		errs = append(errs, s.w.Sync(), s.w.Close())
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if saved {
		// A cursor that could not be written is not worth syncing; its
		// failure was just reported.
		errs = append(errs, s.cursor.Sync())
	}
	errs = append(errs, s.cursor.Close())
	errs = append(errs, unlockFile(s.lock), s.lock.Close())
	s.mu.Unlock()
	s.report(reports)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("spool: close: %w", err)
	}
	return nil
}
