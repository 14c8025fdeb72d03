package semconv

import "go.opentelemetry.io/otel/attribute"

// Span accounting: the OTel metrics of the Tracium span processor and the
// router (tracium.WithMeterProvider, routing.WithMeterProvider). They are
// observable counters, in spans, read from the same counters as their
// Stats; each series carries ComponentTypeKey and ComponentNameKey, and
// SpanDroppedInstrument carries ErrorTypeKey, the cause.
//
// They are named tracium.* rather than after the OTel SDK's own
// otel.sdk.processor.span.processed and otel.sdk.exporter.span.exported:
// those count a span processed when it is handed to the exporter and an
// export by its call's outcome, while these follow each span to its end
// (accepted by the Tracium API, or dropped for one cause) through the
// queue, the exporter's retries, per-span refusals and the spool. Using the
// SDK's names with that different meaning would mislead dashboards built
// for them, and would collide with the SDK's own instruments when its
// self-observability is switched on.
const (
	// SpanEndedInstrument counts the sampled spans that ended: the spans
	// produced.
	SpanEndedInstrument = "tracium.span.ended"
	// SpanDeliveredInstrument counts the spans the Tracium API accepted
	// (2xx).
	SpanDeliveredInstrument = "tracium.span.delivered"
	// SpanOutsideInstrument counts the spans that belong to no agent trace
	// and are not sent, by design.
	SpanOutsideInstrument = "tracium.span.outside"
	// SpanDroppedInstrument counts the spans dropped, by cause
	// (ErrorTypeKey).
	SpanDroppedInstrument = "tracium.span.dropped"

	// ErrorTypeKey is the cause of a drop: one of the Drop* values.
	ErrorTypeKey = attribute.Key("error.type")
	// ComponentTypeKey and ComponentNameKey name the processor or router
	// a series comes from, as the OTel SDK's own metrics do.
	ComponentTypeKey = attribute.Key("otel.component.type")
	ComponentNameKey = attribute.Key("otel.component.name")
)

// Causes of a dropped span, the values of ErrorTypeKey. They are stable.
const (
	// DropQueueFull: the batch queue was full when the span ended.
	DropQueueFull = "queue_full"
	// DropRejected: the API refused the span, or its trace's start, for
	// good (a 4xx other than 408 and 429).
	DropRejected = "rejected"
	// DropUndeliverable: still failing when the export deadline came (5xx,
	// 429, timeouts, no answer), or the spool had no room for it.
	DropUndeliverable = "undeliverable"
	// DropShutdown: ended or exported after shutdown began, or still
	// queued or under way when the shutdown deadline came.
	DropShutdown = "shutdown"
	// DropInvalid: its trace id or tenant id is malformed.
	DropInvalid = "invalid"
	// DropNoTenant: no tenant and no default destination (router).
	DropNoTenant = "no_tenant"
	// DropUnresolved: its tenant has no destination (router).
	DropUnresolved = "unresolved"
	// DropNoRoom: its destination could not be opened for want of room
	// (router: as many destinations open, and being closed, as allowed).
	DropNoRoom = "no_room"
)
