// Package batch is the bounded batching queue in front of an exporter that
// the Tracium span processor and the router share. It batches the way
// sdktrace's batch span processor does (same options, same environment
// variables), and in addition counts every span it is handed, exactly:
// each ends up dropped because the queue was full, dropped because of
// shutdown, or handed to the exporter.
package batch

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Counters count what one or more queues did with the spans they were
// handed. A router shares one set among its destinations, so that the
// counts outlive any queue.
type Counters struct {
	// Ended counts sampled spans handed to OnEnd.
	Ended atomic.Uint64
	// QueueFull counts spans dropped because the queue was full.
	QueueFull atomic.Uint64
	// Shutdown counts spans ended after Shutdown began, and spans still
	// queued when Shutdown's ctx ended.
	Shutdown atomic.Uint64
	// Exported and Failed count spans handed to the exporter, by whether
	// its ExportSpans returned nil; Cut those of an export that failed
	// after Shutdown's deadline cancelled it (not in Failed).
	Exported, Failed, Cut atomic.Uint64
}

// Environment variables of sdktrace's batch span processor, read the same
// way: a value that is not an integer is ignored.
const (
	envScheduleDelay  = "OTEL_BSP_SCHEDULE_DELAY"
	envExportTimeout  = "OTEL_BSP_EXPORT_TIMEOUT"
	envMaxQueueSize   = "OTEL_BSP_MAX_QUEUE_SIZE"
	envMaxExportBatch = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"
)

// Options returns the options sdktrace.NewBatchSpanProcessor would use
// for opts: its defaults, then the OTEL_BSP_* variables, then opts.
func Options(getenv func(string) string, opts []sdktrace.BatchSpanProcessorOption) sdktrace.BatchSpanProcessorOptions {
	envInt := func(name string, def int) int {
		if n, err := strconv.Atoi(getenv(name)); err == nil && n > 0 {
			return n
		}
		return def
	}
	o := sdktrace.BatchSpanProcessorOptions{
		BatchTimeout:       time.Duration(envInt(envScheduleDelay, sdktrace.DefaultScheduleDelay)) * time.Millisecond,
		ExportTimeout:      time.Duration(envInt(envExportTimeout, sdktrace.DefaultExportTimeout)) * time.Millisecond,
		MaxQueueSize:       envInt(envMaxQueueSize, sdktrace.DefaultMaxQueueSize),
		MaxExportBatchSize: envInt(envMaxExportBatch, sdktrace.DefaultMaxExportBatchSize),
	}
	if o.MaxExportBatchSize > o.MaxQueueSize {
		o.MaxExportBatchSize = min(sdktrace.DefaultMaxExportBatchSize, o.MaxQueueSize)
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.MaxQueueSize <= 0 {
		o.MaxQueueSize = sdktrace.DefaultMaxQueueSize
	}
	if o.MaxExportBatchSize <= 0 || o.MaxExportBatchSize > o.MaxQueueSize {
		o.MaxExportBatchSize = min(sdktrace.DefaultMaxExportBatchSize, o.MaxQueueSize)
	}
	if o.BatchTimeout <= 0 {
		o.BatchTimeout = sdktrace.DefaultScheduleDelay * time.Millisecond
	}
	return o
}

type flushReq struct {
	ctx  context.Context
	done chan struct{}
}

// Processor is a batch span processor that counts what it drops. It owns
// its exporter: Shutdown shuts it down. It is safe for concurrent use.
type Processor struct {
	exp sdktrace.SpanExporter
	o   sdktrace.BatchSpanProcessorOptions
	c   *Counters

	queue chan sdktrace.ReadOnlySpan
	flush chan flushReq

	// mu is held for reading while a span is put in the queue and for
	// writing to set stopped: once stopped is set, nothing enters the
	// queue, so the final drain sees every span that did.
	mu      sync.RWMutex
	stopped bool

	stopOnce sync.Once
	stopping chan struct{} // closed first by Shutdown: wakes blocked senders
	sealed   chan struct{} // closed once stopped is set: the worker drains
	done     chan struct{} // closed when the worker has returned
	final    chan struct{} // closed when the worker and the exporter's Shutdown have returned

	// abandon is set when Shutdown's ctx ends: the worker then counts
	// what is left as dropped instead of exporting it.
	abandon      atomic.Bool
	exportCtx    context.Context
	cancelExport context.CancelCauseFunc
}

// ErrShutdown is the cause with which an export under way is cancelled
// when Shutdown's ctx ends: the exporter counts what it had not delivered
// as dropped because of shutdown (see exporter.Drops).
var ErrShutdown = errors.New("shutdown deadline passed")

// shutdownGrace bounds how long Shutdown, once its ctx ended, waits for the
// export it cancelled to return. An exporter that honours ctx returns at
// once; one that does not is not waited for longer.
const shutdownGrace = time.Second

var _ sdktrace.SpanProcessor = (*Processor)(nil)

// New returns a processor that batches spans to exp with o (see
// [Options]) and counts into c. It starts the processor's goroutine.
func New(exp sdktrace.SpanExporter, o sdktrace.BatchSpanProcessorOptions, c *Counters) *Processor {
	p := &Processor{
		exp:      exp,
		o:        o,
		c:        c,
		queue:    make(chan sdktrace.ReadOnlySpan, o.MaxQueueSize),
		flush:    make(chan flushReq),
		stopping: make(chan struct{}),
		sealed:   make(chan struct{}),
		done:     make(chan struct{}),
		final:    make(chan struct{}),
	}
	p.exportCtx, p.cancelExport = context.WithCancelCause(context.Background())
	go p.run()
	return p
}

// OnStart does nothing.
func (*Processor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues s, or counts it dropped: when the queue is full (unless the
// options ask to block), or after Shutdown began. Unsampled spans are
// ignored.
func (p *Processor) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	p.c.Ended.Add(1)
	p.mu.RLock()
	defer p.mu.RUnlock()
	switch {
	case p.stopped:
		p.c.Shutdown.Add(1)
	case p.o.BlockOnQueueFull:
		select {
		case p.queue <- s:
		case <-p.stopping:
			p.c.Shutdown.Add(1)
		}
	default:
		select {
		case p.queue <- s:
		default:
			p.c.QueueFull.Add(1)
		}
	}
}

// Len is the number of spans in the queue now.
func (p *Processor) Len() int { return len(p.queue) }

// Done is closed once Shutdown has shut the exporter down and the
// processor's goroutine has returned: its counts, and its exporter's, are
// final (nothing hands the exporter a span, and its Shutdown settled what
// it held).
func (p *Processor) Done() <-chan struct{} { return p.final }

func (p *Processor) run() {
	defer close(p.done)
	timer := time.NewTimer(p.o.BatchTimeout)
	defer timer.Stop()
	batch := make([]sdktrace.ReadOnlySpan, 0, p.o.MaxExportBatchSize)
	for {
		select {
		case <-p.sealed:
			batch = p.take(p.exportCtx, batch, -1)
			p.export(p.exportCtx, batch)
			return
		case <-timer.C:
			batch = p.export(p.exportCtx, batch)
			timer.Reset(p.o.BatchTimeout)
		case s := <-p.queue:
			batch = append(batch, s)
			if len(batch) >= p.o.MaxExportBatchSize {
				batch = p.export(p.exportCtx, batch)
				timer.Reset(p.o.BatchTimeout)
			}
		case r := <-p.flush:
			ctx, stop := mergeCancel(r.ctx, p.exportCtx)
			batch = p.take(ctx, batch, len(p.queue))
			batch = p.export(ctx, batch)
			stop()
			close(r.done)
			timer.Reset(p.o.BatchTimeout)
		}
	}
}

// take moves n queued spans (all of them when n < 0) into batch, exporting
// each full batch on the way.
func (p *Processor) take(ctx context.Context, batch []sdktrace.ReadOnlySpan, n int) []sdktrace.ReadOnlySpan {
	for ; n != 0; n-- {
		select {
		case s := <-p.queue:
			batch = append(batch, s)
			if len(batch) >= p.o.MaxExportBatchSize {
				batch = p.export(ctx, batch)
			}
		default:
			return batch
		}
	}
	return batch
}

// export hands batch to the exporter (or counts it dropped once Shutdown
// gave up on it) and returns it emptied.
func (p *Processor) export(ctx context.Context, batch []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	n := uint64(len(batch))
	if n == 0 {
		return batch
	}
	if p.abandon.Load() {
		p.c.Shutdown.Add(n)
	} else {
		if p.o.ExportTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeoutCause(ctx, p.o.ExportTimeout, errors.New("batch export timeout"))
			defer cancel()
		}
		if err := p.exp.ExportSpans(ctx, batch); err != nil {
			if errors.Is(context.Cause(ctx), ErrShutdown) {
				p.c.Cut.Add(n)
			} else {
				p.c.Failed.Add(n)
			}
			otel.Handle(err)
		} else {
			p.c.Exported.Add(n)
		}
	}
	clear(batch)
	return batch[:0]
}

// mergeCancel returns ctx, also cancelled when other is.
func mergeCancel(ctx, other context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(other, func() { cancel(context.Cause(other)) })
	return ctx, func() { stop(); cancel(nil) }
}

// ForceFlush exports the spans queued when it is called and waits for that
// export. It honours ctx, which also bounds the export. After Shutdown it
// does nothing.
func (p *Processor) ForceFlush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := flushReq{ctx: ctx, done: make(chan struct{})}
	select {
	case p.flush <- r:
	case <-p.sealed:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Shutdown stops taking spans, exports what is queued and shuts the
// exporter down. When ctx ends first, the export under way is cancelled
// with cause [ErrShutdown] and waited for (at most a second more: an
// exporter that honours ctx returns at once), what is still queued is
// counted dropped (shutdown), and the exporter is shut down with ctx; so
// when Shutdown returns, every span it was handed is settled. It then
// returns ctx's error. Calls after the first do nothing and return nil.
func (p *Processor) Shutdown(ctx context.Context) error {
	first := false
	p.stopOnce.Do(func() { first = true })
	if !first {
		return nil
	}
	close(p.stopping)
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	close(p.sealed)

	giveUp := func() {
		p.abandon.Store(true)
		p.cancelExport(ErrShutdown)
	}
	var err error
	select {
	case <-p.done:
	case <-ctx.Done():
		err = context.Cause(ctx)
		giveUp()
		grace := time.NewTimer(shutdownGrace)
		select {
		case <-p.done:
		case <-grace.C:
		}
		grace.Stop()
	}
	if serr := p.exp.Shutdown(ctx); serr != nil && !errors.Is(serr, err) {
		err = errors.Join(err, serr)
	}
	select {
	case <-p.done:
		close(p.final)
	default: // an export that ignores ctx: final once it returns
		go func() {
			<-p.done
			close(p.final)
		}()
	}
	return err
}
