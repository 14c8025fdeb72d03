package llmhttp

import (
	"encoding/json"
	"errors"
	"io"
	"sync"
)

// StatusCancelled is the Tracium status of a streamed call whose body the
// caller closed before the stream was complete.
const StatusCancelled = "cancelled"

type endReason int

const (
	endTerminal endReason = iota // the stream's terminal event
	endEOF                       // the body's end
	endError                     // a read error
	endClosed                    // the caller closed the body first
)

// streamBody hands a streamed response to the client unchanged, parsing its
// events as they pass, and ends the call's span once: at the terminal event,
// at the end of the body, at a read error or when the body is closed.
//
// Read and Close may be called from different goroutines (closing a body
// unblocks a pending read); mu guards the parser, and the span is ended
// outside it, since ending a span runs the provider's span processors.
type streamBody struct {
	rc io.ReadCloser
	c  *call

	mu     sync.Mutex
	parser sseParser
	stream Stream
	done   bool
}

func newStreamBody(rc io.ReadCloser, s Stream, c *call) *streamBody {
	return &streamBody{rc: rc, c: c, stream: s}
}

// Read reads from the response body, parsing what it reads.
func (b *streamBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	var f *finish
	b.mu.Lock()
	if !b.done {
		switch {
		case n > 0 && b.parser.feed(p[:n], b.stream.Event):
			f = b.finishLocked(endTerminal, nil)
		case errors.Is(err, io.EOF):
			b.parser.end(b.stream.Event)
			f = b.finishLocked(endEOF, nil)
		case err != nil:
			f = b.finishLocked(endError, err)
		}
	}
	b.mu.Unlock()
	f.apply()
	return n, err
}

// Close ends the span, if the stream has not, and closes the body.
func (b *streamBody) Close() error {
	b.mu.Lock()
	var f *finish
	if !b.done {
		f = b.finishLocked(endClosed, nil)
	}
	b.mu.Unlock()
	f.apply()
	return b.rc.Close()
}

type finish struct {
	c      *call
	r      Result
	reason endReason
	err    error
}

func (b *streamBody) finishLocked(reason endReason, err error) *finish {
	b.done = true
	return &finish{c: b.c, r: b.stream.Result(), reason: reason, err: err}
}

func (f *finish) apply() {
	if f == nil {
		return
	}
	f.c.apply(f.r)
	switch {
	case f.reason == endError:
		f.c.failErr(f.err)
	case f.reason == endClosed && !f.r.Finished && f.r.ErrMessage == "":
		f.c.span.SetStatus(StatusCancelled)
	}
	f.c.end()
}

// MaxIndexes bounds the indexes a stream's events may give (choices, tool
// calls, content blocks), so that a stream of empty events with ever new
// indexes cannot grow without bound.
const MaxIndexes = 128

// At returns the element at index i of *s, growing *s and allocating the
// element as needed, or nil when i is outside [0, MaxIndexes).
func At[T any](s *[]*T, i int) *T {
	if i < 0 || i >= MaxIndexes {
		return nil
	}
	for len(*s) <= i {
		*s = append(*s, nil)
	}
	if (*s)[i] == nil {
		(*s)[i] = new(T)
	}
	return (*s)[i]
}

// StreamState is what every provider's [Stream] keeps: what content to
// capture, the budget of the output text, and the response's id and model.
type StreamState struct {
	Capture   Capture
	Budget    *Budget
	ID, Model string
}

// NewStreamState returns the state of a stream that captures c.
func NewStreamState(c Capture) StreamState {
	return StreamState{Capture: c, Budget: NewBudget(c.MaxOutput)}
}

// DecodeEvent decodes an event's data into a new E (nil data, an event too
// large to read, into E's zero value); ok is false when the data is not JSON
// of E's shape.
func DecodeEvent[E any](data []byte) (ev E, ok bool) {
	return ev, data == nil || json.Unmarshal(data, &ev) == nil
}
