package spool_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/exporter/internal/spool"
)

// reports collects what a Spool reports.
type reports struct {
	mu   sync.Mutex
	errs []error
}

func (r *reports) add(err error) { r.mu.Lock(); r.errs = append(r.errs, err); r.mu.Unlock() }

func (r *reports) corrupt() []*spool.CorruptError {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*spool.CorruptError
	for _, err := range r.errs {
		if ce, ok := errors.AsType[*spool.CorruptError](err); ok {
			out = append(out, ce)
		}
	}
	return out
}

func (r *reports) all() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errs)
}

func open(t *testing.T, dir string, max, seg int64) (*spool.Spool, *reports) {
	t.Helper()
	rep := &reports{}
	s, err := spool.Open(dir, spool.Options{MaxBytes: max, SegmentBytes: seg, Report: rep.add})
	require.NoError(t, err, "Open")
	t.Cleanup(func() { _ = s.Close() })
	return s, rep
}

func payload(i int) []byte {
	return []byte(fmt.Sprintf("record-%04d-%s", i, strings.Repeat("x", i%37)))
}

func appendN(t *testing.T, s *spool.Spool, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		require.NoError(t, s.Append(payload(i)), "Append %d", i)
	}
	require.NoError(t, s.Sync(), "Sync")
}

// ackN reads and acknowledges the next n records.
func ackN(t *testing.T, s *spool.Spool, n int) {
	t.Helper()
	for i := range n {
		rec, err := s.Head()
		require.NoError(t, err, "Head %d", i)
		require.NoError(t, s.Ack(rec), "Ack %d", i)
	}
}

// openAcked opens a spool of 1 MiB with segments of seg bytes in dir,
// appends records 0 to n-1 and acknowledges the first acked of them.
func openAcked(t *testing.T, dir string, seg int64, n, acked int) *spool.Spool {
	t.Helper()
	s, _ := open(t, dir, 1<<20, seg)
	appendN(t, s, 0, n)
	ackN(t, s, acked)
	return s
}

// drain reads and acknowledges every record, bounded by max.
func drain(t *testing.T, s *spool.Spool, max int) []string {
	t.Helper()
	var got []string
	for range max + 1 {
		rec, err := s.Head()
		if errors.Is(err, io.EOF) {
			return got
		}
		require.NoError(t, err, "Head")
		got = append(got, string(rec.Payload))
		require.NoError(t, s.Ack(rec), "Ack")
	}
	t.Fatalf("more than %d records", max)
	return nil
}

func want(idx ...int) []string {
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = string(payload(n))
	}
	return out
}

func span(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func segments(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	require.NoError(t, err)
	slices.Sort(m)
	return m
}

func TestAppendReadAckAcrossSegments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, rep := open(t, dir, 1<<20, 256)
	appendN(t, s, 0, 60)
	require.Greater(t, len(segments(t, dir)), 5, "small segments rotate")
	assert.False(t, s.Empty())

	// Half, checking that fully acknowledged segments are deleted.
	before := len(segments(t, dir))
	for i := range 30 {
		rec, err := s.Head()
		require.NoError(t, err)
		again, err := s.Head()
		require.NoError(t, err)
		assert.Equal(t, rec.Payload, again.Payload, "Head without Ack returns the same record")
		assert.Equal(t, string(payload(i)), string(rec.Payload))
		require.NoError(t, s.Ack(rec))
	}
	assert.Less(t, len(segments(t, dir)), before, "acknowledged segments are deleted")

	appendN(t, s, 60, 70) // appends while reading
	assert.Equal(t, want(span(30, 70)...), drain(t, s, 100))
	assert.True(t, s.Empty())
	assert.Empty(t, segments(t, dir), "an idle spool holds no segment")
	assert.Zero(t, s.Size())
	assert.Empty(t, rep.all())

	rec, err := s.Head()
	assert.ErrorIs(t, err, io.EOF)
	assert.Error(t, s.Ack(rec), "ack of a record that is not the head")
}

func TestMaxBytesBound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const max = 2000
	s, _ := open(t, dir, max, 500)
	n := 0
	for ; n < 1000; n++ {
		err := s.Append(payload(n))
		if errors.Is(err, spool.ErrFull) {
			break
		}
		require.NoError(t, err)
	}
	require.Less(t, n, 1000, "the spool fills up")
	assert.LessOrEqual(t, s.Size(), int64(max))
	var disk int64
	for _, p := range segments(t, dir) {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		disk += fi.Size()
	}
	assert.Equal(t, s.Size(), disk, "Size is what the segment files hold")
	assert.ErrorIs(t, s.Append(make([]byte, max)), spool.ErrFull, "a record larger than the bound")

	// Reading frees whole segments, and then there is room again.
	got := drain(t, s, n)
	assert.Equal(t, want(span(0, n)...), got)
	require.NoError(t, s.Append(payload(n)))
}

func TestReopenAfterClose(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openAcked(t, dir, 4096, 100, 41) // not a multiple of the cursor interval, mid-segment
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	assert.ErrorIs(t, s.Append(nil), spool.ErrClosed)

	s2, rep := open(t, dir, 1<<20, 4096)
	appendN(t, s2, 100, 110) // goes to a new segment, after the old ones
	assert.Equal(t, want(span(41, 110)...), drain(t, s2, 200), "exactly the records not acknowledged, in order")
	assert.Empty(t, rep.all())
}

// A killed process leaves the files as they are: the copy of a live spool's
// directory is that state. Reading resumes at the last saved cursor: no
// acknowledged record comes again, none is lost.
func TestReopenAfterKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	openAcked(t, dir, 1<<20, 100, 50)
	snap := t.TempDir()
	copyDir(t, dir, snap)

	s2, _ := open(t, snap, 1<<20, 1<<20)
	got := drain(t, s2, 200)
	require.NotEmpty(t, got)
	assert.Equal(t, want(span(100-len(got), 100)...), got, "a tail of the records, in order, none lost")
	assert.Len(t, got, 50, "the cursor is saved at every acknowledgement")
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	require.NoError(t, err)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(to, e.Name()), b, 0o600))
	}
}

func TestTornTail(t *testing.T) {
	t.Parallel()
	for _, cut := range []int64{1, 5, 16, 17} {
		t.Run(fmt.Sprint("cut ", cut), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s, _ := open(t, dir, 1<<20, 1<<20)
			appendN(t, s, 0, 10)
			require.NoError(t, s.Close())
			segs := segments(t, dir)
			require.Len(t, segs, 1)
			last := int64(16 + len(payload(9)))
			fi, err := os.Stat(segs[0])
			require.NoError(t, err)
			require.NoError(t, os.Truncate(segs[0], fi.Size()-last+cut), "tear the last frame")

			s2, rep := open(t, dir, 1<<20, 1<<20)
			appendN(t, s2, 10, 12)
			assert.Equal(t, want(0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11), drain(t, s2, 20))
			ce := rep.corrupt()
			require.Len(t, ce, 1, "one report: %v", rep.all())
			assert.Equal(t, cut, ce[0].Length)
			assert.Contains(t, ce[0].Error(), "torn tail")
		})
	}
}

func TestFlippedByte(t *testing.T) {
	t.Parallel()
	// Offsets are within the frame of record 3 (of records 0..6).
	tests := []struct {
		name string
		at   int
	}{
		{"frame marker", 0},
		{"length", 4},
		{"payload checksum", 9},
		{"header checksum", 14},
		{"payload", 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s, _ := open(t, dir, 1<<20, 1<<20)
			appendN(t, s, 0, 7)
			require.NoError(t, s.Close())
			seg := segments(t, dir)[0]
			b, err := os.ReadFile(seg)
			require.NoError(t, err)
			off := 8
			for i := range 3 {
				off += 16 + len(payload(i))
			}
			b[off+tt.at] ^= 0x40
			require.NoError(t, os.WriteFile(seg, b, 0o600))

			s2, rep := open(t, dir, 1<<20, 1<<20)
			assert.Equal(t, want(0, 1, 2, 4, 5, 6), drain(t, s2, 20), "only the damaged record is lost")
			ce := rep.corrupt()
			require.Len(t, ce, 1, "%v", rep.all())
			assert.Equal(t, int64(off), ce[0].Offset)
			assert.Equal(t, int64(16+len(payload(3))), ce[0].Length)
		})
	}
}

func TestGarbageFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, _ := open(t, dir, 1<<20, 100)
	appendN(t, s, 0, 6)
	require.NoError(t, s.Close())
	segs := segments(t, dir)
	require.GreaterOrEqual(t, len(segs), 3)

	// A foreign file, a segment name with garbage inside, and a valid
	// header followed by garbage in the middle of the queue.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0000000000000000.seg"), []byte("seq 0 is not valid"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0000000000000001.seg~"), []byte("backup"), 0o600))
	mid := filepath.Base(segs[1])
	require.NoError(t, os.WriteFile(filepath.Join(dir, mid), []byte("TRSPOOL1 garbage garbage garbage garbage"), 0o600))
	bad := filepath.Join(dir, "00000000000000ff.seg")
	require.NoError(t, os.WriteFile(bad, []byte("not a spool at all"), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o700))

	s2, rep := open(t, dir, 1<<20, 100)
	got := drain(t, s2, 20)
	assert.Subset(t, want(0, 1, 2, 3, 4, 5), got)
	assert.Less(t, len(got), 6, "the overwritten segment's records are gone")
	assert.Len(t, rep.corrupt(), 2, "%v", rep.all())
	assert.Len(t, rep.all(), 6, "4 foreign files and 2 damaged segments: %v", rep.all())
	assert.NoFileExists(t, bad, "a damaged segment is removed once skipped")
	assert.FileExists(t, filepath.Join(dir, "notes.txt"), "foreign files are left alone")

	appendN(t, s2, 10, 12)
	assert.Equal(t, want(10, 11), drain(t, s2, 20), "new segments are numbered after the garbage")
}

func TestCursorDamaged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openAcked(t, dir, 1<<20, 10, 4)
	require.NoError(t, s.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cursor"), []byte("scribbled over the cursor"), 0o600))

	s2, rep := open(t, dir, 1<<20, 1<<20)
	assert.Equal(t, want(span(0, 10)...), drain(t, s2, 20), "everything is read again, nothing lost")
	require.Len(t, rep.all(), 1)
	assert.Contains(t, rep.all()[0].Error(), "cursor")
}

func TestLocked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, _ := open(t, dir, 1<<20, 1<<20)
	_, err := spool.Open(dir, spool.Options{MaxBytes: 1 << 20, SegmentBytes: 1 << 20})
	assert.ErrorIs(t, err, spool.ErrLocked)
	require.NoError(t, s.Close())
	s2, err := spool.Open(dir, spool.Options{MaxBytes: 1 << 20, SegmentBytes: 1 << 20})
	require.NoError(t, err, "the lock is released by Close")
	require.NoError(t, s2.Close())

	_, err = spool.Open(dir, spool.Options{})
	assert.Error(t, err, "bounds are required")
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = spool.Open(file, spool.Options{MaxBytes: 1, SegmentBytes: 1})
	assert.Error(t, err, "a file is not a directory")
}

// Producers append concurrently while the consumer reads: every record
// arrives once, each producer's records in order.
func TestConcurrentAppendAndReadConcurrentSafe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, _ := open(t, dir, 64<<20, 4096)
	const producers, each = 4, 300
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				assert.NoError(t, s.Append([]byte(fmt.Sprintf("%d:%d", p, i))))
				if i%50 == 0 {
					assert.NoError(t, s.Sync())
				}
			}
		})
	}
	next := make([]int, producers)
	seen := 0
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for spins := 0; seen < producers*each; spins++ {
		require.Less(t, spins, 10_000_000, "bounded")
		rec, err := s.Head()
		if errors.Is(err, io.EOF) {
			select {
			case <-done:
				require.Equal(t, producers*each, seen, "all appended, all read")
			default:
				runtime.Gosched() // let the producers run
			}
			continue
		}
		require.NoError(t, err)
		var p, i int
		_, err = fmt.Sscanf(string(rec.Payload), "%d:%d", &p, &i)
		require.NoError(t, err)
		require.Equal(t, next[p], i, "producer %d in order", p)
		next[p]++
		seen++
		require.NoError(t, s.Ack(rec))
	}
	<-done
	assert.True(t, s.Empty())
}

// A cursor that cannot be saved (a link to /dev/full: every write fails
// with ENOSPC, as on a full disk) fails every acknowledgement's save. The
// records are still read and acknowledged, and the failures come as one
// report with their count, at Close; Close itself succeeds.
func TestCursorSaveFailuresReportedOnce(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	dir := t.TempDir()
	require.NoError(t, os.Symlink("/dev/full", filepath.Join(dir, "cursor")))
	s, rep := open(t, dir, 1<<20, 1<<10)
	opened := len(rep.all()) // the unreadable cursor is reported at Open
	appendN(t, s, 0, 50)
	for i := range 50 {
		rec, err := s.Head()
		require.NoError(t, err, "Head %d", i)
		assert.Equal(t, payload(i), rec.Payload)
		require.NoError(t, s.Ack(rec), "Ack %d", i)
	}
	assert.Len(t, rep.all(), opened, "nothing reported while the saves keep failing")
	require.NoError(t, s.Close(), "Close")
	got := rep.all()[opened:]
	require.Len(t, got, 1, "one report: %v", got)
	assert.Regexp(t, `save cursor: failed \d+ times .*no space left on device`, got[0].Error())
}

// A streak of failed cursor saves that goes on is reported once a minute
// at most, each report with the failures since the last. Run in a
// synctest bubble: the minute passes without waiting for it.
func TestCursorSaveFailuresReportedEveryMinute(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	dir := t.TempDir()
	require.NoError(t, os.Symlink("/dev/full", filepath.Join(dir, "cursor")))
	synctest.Test(t, func(t *testing.T) {
		s, rep := open(t, dir, 1<<20, 1<<10)
		opened := len(rep.all())
		appendN(t, s, 0, 4)
		ack := func() {
			rec, err := s.Head()
			require.NoError(t, err, "Head")
			require.NoError(t, s.Ack(rec), "Ack")
		}
		ack()
		assert.Len(t, rep.all(), opened, "the first failure waits for more")
		time.Sleep(time.Minute)
		ack()
		got := rep.all()[opened:]
		require.Len(t, got, 1, "a minute into the streak: %v", got)
		assert.Contains(t, got[0].Error(), "failed 2 times")
		ack()
		ack()
		require.NoError(t, s.Close(), "Close")
		got = rep.all()[opened:]
		require.Len(t, got, 2, "and the rest at Close: %v", got)
		assert.Contains(t, got[1].Error(), "failed 3 times", "the last two acks and Close")
	})
}
