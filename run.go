package tracium

import (
	"context"
	"fmt"
	"runtime/debug"
)

// RunTrace runs fn inside a new agent trace (see [StartTrace]) and ends the
// trace when fn returns: completed, or failed when fn returns an error or
// panics. A panic is recorded (value and stack) and then re-panicked with the
// same value. It is the Go form of the Python SDK's agent_trace decorator.
func RunTrace[R any](ctx context.Context, agentName string, fn func(context.Context, *Trace) (R, error), opts ...TraceOption) (res R, err error) {
	ctx, t := StartTrace(ctx, agentName, opts...)
	defer func() {
		if p := recover(); p != nil {
			t.failPanic(p)
			panic(p)
		}
		if err != nil {
			t.MarkFailed(err)
		}
		t.End()
	}()
	return fn(ctx, t)
}

// RunSpan runs fn inside a new span (see [StartSpan]) and ends the span when
// fn returns: failed when fn returns an error or panics (recorded, then
// re-panicked). With [WithCapture] the result is recorded as the span's
// output.
func RunSpan[R any](ctx context.Context, spanType SpanType, name string, fn func(context.Context, Span) (R, error), opts ...SpanOption) (res R, err error) {
	c := newSpanConfig(opts)
	ctx, s := startSpan(ctx, spanType, name, c)
	defer func() {
		if p := recover(); p != nil {
			full, e := panicError(p)
			markFailed(s.s, e, full)
			s.End()
			panic(p)
		}
		if err != nil {
			s.MarkFailed(err)
		} else if c.capture {
			s.RecordOutput(res)
		}
		s.End()
	}()
	return fn(ctx, s)
}

// TraceFunc wraps fn so that each call runs inside a new agent trace named
// agentName, as [RunTrace] does: the decorator form.
func TraceFunc[A, R any](agentName string, fn func(context.Context, A) (R, error), opts ...TraceOption) func(context.Context, A) (R, error) {
	return func(ctx context.Context, arg A) (R, error) {
		return RunTrace(ctx, agentName, func(ctx context.Context, _ *Trace) (R, error) {
			return fn(ctx, arg)
		}, opts...)
	}
}

// SpanFunc wraps fn so that each call runs inside a new span, as [RunSpan]
// does. With [WithCapture] the argument is recorded as the input and the
// result as the output.
func SpanFunc[A, R any](spanType SpanType, name string, fn func(context.Context, A) (R, error), opts ...SpanOption) func(context.Context, A) (R, error) {
	c := newSpanConfig(opts)
	capture := c.capture
	return func(ctx context.Context, arg A) (R, error) {
		if capture {
			opts = appendCopy(opts, WithInput(arg))
		}
		return RunSpan(ctx, spanType, name, func(ctx context.Context, _ Span) (R, error) {
			return fn(ctx, arg)
		}, opts...)
	}
}

// PanicError is the error a trace or span is marked failed with when the
// function run by [RunTrace], [RunSpan], [TraceFunc] or [SpanFunc] panics.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the stack of the panicking goroutine
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// panicError turns a recovered value into an error and its full text, the
// message followed by the stack.
// failPanic marks t failed with the panic p (value and stack) and ends it.
func (t *Trace) failPanic(p any) {
	full, e := panicError(p)
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	markFailed(t.span, e, full)
	t.End()
}

func panicError(p any) (string, error) {
	e := &PanicError{Value: p, Stack: debug.Stack()}
	return e.Error() + "\n\n" + string(e.Stack), e
}
