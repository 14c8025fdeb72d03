package redact

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/semconv"
)

// jsonKeys hold JSON content; textKeys hold free text.
var jsonKeys = map[attribute.Key]bool{
	semconv.InputKey: true, semconv.OutputKey: true,
	semconv.GenAIInputMessagesKey: true, semconv.GenAIOutputMessagesKey: true,
	semconv.SpanMetadataKey: true, semconv.TraceMetadataKey: true, semconv.TraceSummaryKey: true,
}

var textKeys = map[attribute.Key]bool{semconv.ErrorKey: true}

// Exporter is a SpanExporter that redacts spans and hands them to the next
// exporter. Build it with [NewExporter].
type Exporter struct {
	next sdktrace.SpanExporter
	r    *Redactor
}

var _ sdktrace.SpanExporter = (*Exporter)(nil)

// NewExporter returns an exporter that redacts each span with r before
// next exports it. next must not be nil; a nil r passes spans through.
func NewExporter(next sdktrace.SpanExporter, r *Redactor) (*Exporter, error) {
	if next == nil {
		return nil, errNilNext
	}
	return &Exporter{next: next, r: r}, nil
}

// Unwrap returns the exporter spans are handed to.
func (e *Exporter) Unwrap() sdktrace.SpanExporter { return e.next }

// ExportSpans redacts spans and exports them with the next exporter. Spans
// without content are passed as they are; the slice given is not modified.
func (e *Exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.r == nil {
		return e.next.ExportSpans(ctx, spans)
	}
	var out []sdktrace.ReadOnlySpan
	for i, s := range spans {
		if rs, ok := e.r.Span(s); ok {
			if out == nil {
				out = make([]sdktrace.ReadOnlySpan, len(spans))
				copy(out, spans)
			}
			out[i] = rs
		}
	}
	if out == nil {
		out = spans
	}
	return e.next.ExportSpans(ctx, out)
}

// Shutdown shuts the next exporter down.
func (e *Exporter) Shutdown(ctx context.Context) error { return e.next.Shutdown(ctx) }

// ForceFlush flushes the next exporter when it can be flushed.
func (e *Exporter) ForceFlush(ctx context.Context) error {
	if f, ok := e.next.(interface{ ForceFlush(context.Context) error }); ok {
		return f.ForceFlush(ctx)
	}
	return nil
}

// BeginTrace hands the start of an agent trace on to the next exporter when
// it wants it (the Tracium exporter does), redacting the root first.
func (e *Exporter) BeginTrace(root sdktrace.ReadOnlySpan) {
	b, ok := e.next.(interface{ BeginTrace(sdktrace.ReadOnlySpan) })
	if !ok {
		return
	}
	if e.r != nil {
		if rs, changed := e.r.Span(root); changed {
			root = rs
		}
	}
	b.BeginTrace(root)
}

// Span returns s redacted, and whether anything changed; an unchanged span
// is returned as is.
func (r *Redactor) Span(s sdktrace.ReadOnlySpan) (sdktrace.ReadOnlySpan, bool) {
	attrs := s.Attributes()
	var out []attribute.KeyValue
	set := func(i int, kv attribute.KeyValue, drop bool) {
		if out == nil {
			out = make([]attribute.KeyValue, i, len(attrs))
			copy(out, attrs[:i])
		}
		if !drop {
			out = append(out, kv)
		}
	}
	for i, kv := range attrs {
		switch {
		case jsonKeys[kv.Key] && r.drop:
			set(i, kv, true)
			continue
		case jsonKeys[kv.Key] && kv.Value.Type() == attribute.STRING:
			if v, changed := r.JSON(kv.Value.AsString()); changed {
				set(i, kv.Key.String(v), false)
				continue
			}
		case textKeys[kv.Key] && kv.Value.Type() == attribute.STRING:
			if v := r.Text(kv.Value.AsString()); v != kv.Value.AsString() {
				set(i, kv.Key.String(v), false)
				continue
			}
		}
		if out != nil {
			out = append(out, kv)
		}
	}
	status := s.Status()
	desc := r.Text(status.Description)
	events, eventsChanged := r.events(s.Events())
	if out == nil && desc == status.Description && !eventsChanged {
		return s, false
	}
	if out == nil {
		out = attrs
	}
	status.Description = desc
	return &span{ReadOnlySpan: s, attrs: out, status: status, events: events}, true
}

func (r *Redactor) events(evs []sdktrace.Event) ([]sdktrace.Event, bool) {
	var out []sdktrace.Event
	for i, ev := range evs {
		for j, kv := range ev.Attributes {
			if kv.Key != "exception.message" && kv.Key != "exception.stacktrace" || kv.Value.Type() != attribute.STRING {
				continue
			}
			v := r.Text(kv.Value.AsString())
			if v == kv.Value.AsString() {
				continue
			}
			if out == nil {
				out = append([]sdktrace.Event(nil), evs...)
			}
			if &out[i].Attributes[0] == &evs[i].Attributes[0] {
				out[i].Attributes = append([]attribute.KeyValue(nil), ev.Attributes...)
			}
			out[i].Attributes[j] = kv.Key.String(v)
		}
	}
	if out == nil {
		return evs, false
	}
	return out, true
}

// span is a ReadOnlySpan with redacted attributes, status and events.
// Embedding the original keeps the SDK's private method.
type span struct {
	sdktrace.ReadOnlySpan
	attrs  []attribute.KeyValue
	status sdktrace.Status
	events []sdktrace.Event
}

func (s *span) Attributes() []attribute.KeyValue { return s.attrs }
func (s *span) Status() sdktrace.Status          { return s.status }
func (s *span) Events() []sdktrace.Event         { return s.events }
