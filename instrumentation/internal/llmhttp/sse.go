package llmhttp

import "bytes"

// MaxEventBytes is the largest server-sent event whose data is parsed. The
// data of a larger event is dropped (the event still arrives, by name, with
// nil data), so that a stream never holds more than this much of one event.
const MaxEventBytes = 8 << 20

// sseParser splits a text/event-stream into events as its bytes pass by
// (https://html.spec.whatwg.org/multipage/server-sent-events.html): lines end
// with LF, CRLF or CR; "event:" names the event, "data:" lines are joined by
// LF, a blank line dispatches an event that has data, and other fields and
// comments are ignored.
type sseParser struct {
	max int // MaxEventBytes when 0

	line     []byte // the line being read, when it spans reads
	lineOver bool   // the current line is too long: its content is dropped
	skipLF   bool   // the last byte was a CR: an LF right after it ends nothing

	event []byte
	data  []byte
	nData int  // data lines in the current event
	over  bool // the current event's data is too large: it is dropped
}

// emitFunc receives an event: its name ("" when unnamed) and its data (nil
// when the event was too large). It returns true for the stream's terminal
// event, which stops the parsing.
type emitFunc func(name string, data []byte) bool

// feed parses b, calling emit for each complete event. It returns true when
// emit did.
func (p *sseParser) feed(b []byte, emit emitFunc) bool {
	for len(b) > 0 {
		if p.skipLF {
			p.skipLF = false
			if b[0] == '\n' {
				b = b[1:]
				continue
			}
		}
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			p.appendLine(b)
			return false
		}
		p.skipLF = b[i] == '\r'
		line := b[:i]
		switch {
		case len(p.line) > 0 || p.lineOver:
			p.appendLine(line)
			line = p.line
		case len(line) > p.lineLimit():
			p.lineOver = true
		}
		b = b[i+1:]
		done := p.endLine(line, emit)
		if done {
			return true
		}
	}
	return false
}

// end handles the end of the stream: a last line without its end, and an
// event without its blank line, are dispatched as a tolerant reader does.
func (p *sseParser) end(emit emitFunc) bool {
	if len(p.line) > 0 || p.lineOver {
		if p.endLine(p.line, emit) {
			return true
		}
	}
	return p.dispatch(emit)
}

func (p *sseParser) limit() int {
	if p.max > 0 {
		return p.max
	}
	return MaxEventBytes
}

// lineLimit is the longest line kept: room for the field name and an
// event's data. Longer lines are dropped whole, however the stream is cut
// into reads.
func (p *sseParser) lineLimit() int { return p.limit() + 64 }

func (p *sseParser) appendLine(b []byte) {
	if p.lineOver {
		return
	}
	if len(p.line)+len(b) > p.lineLimit() {
		p.lineOver, p.line = true, p.line[:0]
		return
	}
	p.line = append(p.line, b...)
}

// endLine processes a complete line and resets the line buffer.
func (p *sseParser) endLine(line []byte, emit emitFunc) bool {
	defer func() { p.line, p.lineOver = p.line[:0], false }()
	if p.lineOver {
		// A line too long to keep is a data line as far as limits go.
		p.over, p.data = true, p.data[:0]
		p.nData++
		return false
	}
	if len(line) == 0 {
		return p.dispatch(emit)
	}
	if line[0] == ':' {
		return false
	}
	field, value, found := bytes.Cut(line, []byte(":"))
	if found && len(value) > 0 && value[0] == ' ' {
		value = value[1:]
	}
	switch string(field) {
	case "event":
		p.event = append(p.event[:0], value...)
	case "data":
		switch {
		case p.over:
		case len(p.data)+len(value)+1 > p.limit():
			p.over, p.data = true, p.data[:0]
		default:
			if p.nData > 0 {
				p.data = append(p.data, '\n')
			}
			p.data = append(p.data, value...)
		}
		p.nData++
	}
	return false
}

func (p *sseParser) dispatch(emit emitFunc) bool {
	if p.nData == 0 {
		p.event = p.event[:0]
		return false
	}
	var data []byte
	if !p.over {
		data = p.data
	}
	done := emit(string(p.event), data)
	p.event, p.data, p.nData, p.over = p.event[:0], p.data[:0], 0, false
	return done
}
