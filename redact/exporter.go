package redact

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/semconv"
)

// jsonKeys are the content attributes that DropContent removes.
var jsonKeys = map[attribute.Key]bool{
	semconv.InputKey: true, semconv.OutputKey: true,
	semconv.GenAIInputMessagesKey: true, semconv.GenAIOutputMessagesKey: true,
	semconv.SpanMetadataKey: true, semconv.TraceMetadataKey: true, semconv.TraceSummaryKey: true,
}

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
// with nothing to mask are passed as they are; the slice given is not
// modified. A span whose redaction fails (a bug: it panicked) is dropped,
// never sent unmasked, and the failure goes to otel.Handle.
func (e *Exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.r == nil {
		return e.next.ExportSpans(ctx, spans)
	}
	var out []sdktrace.ReadOnlySpan
	for i, s := range spans {
		rs, changed, ok := e.r.safeSpan(s)
		if !changed {
			if out != nil {
				out = append(out, s)
			}
			continue
		}
		if out == nil {
			out = make([]sdktrace.ReadOnlySpan, i, len(spans))
			copy(out, spans[:i])
		}
		if ok {
			out = append(out, rs)
		}
	}
	if out == nil {
		out = spans
	}
	if len(out) == 0 {
		return nil
	}
	return e.next.ExportSpans(ctx, out)
}

// safeSpan is [Redactor.Span] that turns a panic into ok == false.
func (r *Redactor) safeSpan(s sdktrace.ReadOnlySpan) (_ sdktrace.ReadOnlySpan, changed, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			// The panic value is a runtime error, not span content.
			otel.Handle(fmt.Errorf("redact: a span was dropped, its redaction failed: %v", p))
			changed, ok = true, false
		}
	}()
	rs, changed := r.Span(s)
	return rs, changed, true
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
		rs, _, ok := e.r.safeSpan(root)
		if !ok {
			return // the start goes out with the trace's first spans
		}
		root = rs
	}
	b.BeginTrace(root)
}

// keep are the attributes never changed: the ids that route and group a
// span. Masking them would merge one tenant's or trace's data into
// another's; they are validated ids, not content.
var keep = map[attribute.Key]bool{
	semconv.TraceIDKey: true, semconv.ParentTraceIDKey: true,
	semconv.TenantIDKey: true, semconv.WorkspaceIDKey: true,
}

// Span returns s redacted, and whether anything changed; a span with
// nothing to mask is returned as it is. It masks the name, every
// attribute (keys, and values of string and string-slice type; values
// under a Config key whole), the status description, event names and
// attributes, link attributes and the resource's attributes. Trace, tenant
// and workspace ids are kept.
func (r *Redactor) Span(s sdktrace.ReadOnlySpan) (sdktrace.ReadOnlySpan, bool) {
	name, nameChanged := r.text(s.Name())
	attrs, attrsChanged := r.attrs(s.Attributes(), r.drop)
	status := s.Status()
	desc, descChanged := r.value(status.Description, 0, false)
	events, eventsChanged := r.events(s.Events())
	links, linksChanged := r.links(s.Links())
	res, resChanged := r.resource(s.Resource())
	if !nameChanged && !attrsChanged && !descChanged && !eventsChanged && !linksChanged && !resChanged {
		return s, false
	}
	status.Description = desc
	return &span{ReadOnlySpan: s, name: name, attrs: attrs, status: status, events: events, links: links, res: res}, true
}

// attrs masks a list of attributes; drop removes the content ones. The list
// given is not modified.
func (r *Redactor) attrs(in []attribute.KeyValue, drop bool) ([]attribute.KeyValue, bool) {
	var out []attribute.KeyValue
	for i, kv := range in {
		nkv, changed, dropped := r.attr(kv, drop)
		if changed && out == nil {
			out = make([]attribute.KeyValue, i, len(in))
			copy(out, in[:i])
		}
		if out != nil && !dropped {
			out = append(out, nkv)
		}
	}
	if out == nil {
		return in, false
	}
	return out, true
}

func (r *Redactor) attr(kv attribute.KeyValue, drop bool) (_ attribute.KeyValue, changed, dropped bool) {
	if keep[kv.Key] {
		return kv, false, false
	}
	if drop && jsonKeys[kv.Key] {
		return kv, true, true
	}
	key, keyChanged := r.text(string(kv.Key))
	k := attribute.Key(key)
	if r.secretName(key) {
		if kv.Value.Type() == attribute.STRING && kv.Value.AsString() == r.mask {
			return kv, keyChanged, false
		}
		return k.String(r.mask), true, false
	}
	switch kv.Value.Type() {
	case attribute.STRING:
		if v, c := r.value(kv.Value.AsString(), 0, jsonKeys[kv.Key]); c {
			return k.String(v), true, false
		}
	case attribute.STRINGSLICE:
		vs := kv.Value.AsStringSlice() // a copy
		c := false
		for i, v := range vs {
			if nv, ch := r.value(v, 0, jsonKeys[kv.Key]); ch {
				vs[i], c = nv, true
			}
		}
		if c {
			return k.StringSlice(vs), true, false
		}
	}
	if keyChanged {
		return attribute.KeyValue{Key: k, Value: kv.Value}, true, false
	}
	return kv, false, false
}

// secretName reports whether an attribute key names a secret: whole, or
// after its last dot (http.request.header.authorization).
func (r *Redactor) secretName(key string) bool {
	if len(r.keys) == 0 {
		return false
	}
	if r.isKey(key) {
		return true
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return r.isKey(key[i+1:])
	}
	return false
}

func (r *Redactor) events(evs []sdktrace.Event) ([]sdktrace.Event, bool) {
	var out []sdktrace.Event
	for i, ev := range evs {
		name, nc := r.text(ev.Name)
		attrs, ac := r.attrs(ev.Attributes, false)
		if !nc && !ac {
			continue
		}
		if out == nil {
			out = append([]sdktrace.Event(nil), evs...)
		}
		out[i].Name, out[i].Attributes = name, attrs
	}
	if out == nil {
		return evs, false
	}
	return out, true
}

func (r *Redactor) links(ls []sdktrace.Link) ([]sdktrace.Link, bool) {
	var out []sdktrace.Link
	for i, l := range ls {
		attrs, c := r.attrs(l.Attributes, false)
		if !c {
			continue
		}
		if out == nil {
			out = append([]sdktrace.Link(nil), ls...)
		}
		out[i].Attributes = attrs
	}
	if out == nil {
		return ls, false
	}
	return out, true
}

type resourcePair struct{ in, out *resource.Resource }

// resource masks the resource's attributes. A provider has one resource,
// so the last answer is kept and reused.
func (r *Redactor) resource(res *resource.Resource) (*resource.Resource, bool) {
	if res == nil {
		return nil, false
	}
	if p := r.res.Load(); p != nil && p.in == res {
		return p.out, p.out != res
	}
	out := res
	if attrs, changed := r.attrs(res.Attributes(), false); changed {
		out = resource.NewWithAttributes(res.SchemaURL(), attrs...)
	}
	r.res.Store(&resourcePair{in: res, out: out})
	return out, out != res
}

// span is a ReadOnlySpan with redacted parts. Embedding the original keeps
// the SDK's private method.
type span struct {
	sdktrace.ReadOnlySpan
	name   string
	attrs  []attribute.KeyValue
	status sdktrace.Status
	events []sdktrace.Event
	links  []sdktrace.Link
	res    *resource.Resource
}

func (s *span) Name() string                     { return s.name }
func (s *span) Attributes() []attribute.KeyValue { return s.attrs }
func (s *span) Status() sdktrace.Status          { return s.status }
func (s *span) Events() []sdktrace.Event         { return s.events }
func (s *span) Links() []sdktrace.Link           { return s.links }
func (s *span) Resource() *resource.Resource     { return s.res }
