package llmtest

import (
	"maps"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Call is the attributes a call's span must have: all that [CallAttrs]
// returns, no more and no fewer.
type Call map[string]any

// Chat starts the attributes of a chat call to provider requesting model.
func Chat(provider, model string) Call { return call("llm", "chat", provider, model) }

// Embeddings starts the attributes of an embeddings call to provider
// requesting model.
func Embeddings(provider, model string) Call {
	return call("embedding", "embeddings", provider, model)
}

func call(typ, op, provider, model string) Call {
	return Call{"tracium.span.type": typ, "gen_ai.operation.name": op, "gen_ai.provider.name": provider, "gen_ai.request.model": model}
}

// Answer adds the response's model, and its id and finish reasons when
// given.
func (c Call) Answer(model, id string, finish ...string) Call {
	c["gen_ai.response.model"] = model
	if id != "" {
		c["gen_ai.response.id"] = id
	}
	if finish != nil {
		c["gen_ai.response.finish_reasons"] = finish
	}
	return c
}

// Tokens adds the token counts; a negative cached count leaves it out.
func (c Call) Tokens(in, out, cached int64) Call {
	c["gen_ai.usage.input_tokens"], c["gen_ai.usage.output_tokens"] = in, out
	if cached >= 0 {
		c["gen_ai.usage.cache_read.input_tokens"] = cached
	}
	return c
}

// With adds the attributes of more.
func (c Call) With(more map[string]any) Call {
	maps.Copy(c, more)
	return c
}

// Assert checks that s has exactly these attributes.
func (c Call) Assert(t *testing.T, s sdktrace.ReadOnlySpan, msgAndArgs ...any) {
	t.Helper()
	assert.Equal(t, map[string]any(c), CallAttrs(s), msgAndArgs...)
}

// Attrs returns a span's attributes by key.
func Attrs(s sdktrace.ReadOnlySpan) map[string]any {
	m := map[string]any{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// CallAttrs returns the attributes the middleware sets, but input and
// output (compare them as JSON) and the trace's stamp.
func CallAttrs(s sdktrace.ReadOnlySpan) map[string]any {
	m := Attrs(s)
	for k := range m {
		switch {
		case strings.HasPrefix(k, "gen_ai."), strings.HasPrefix(k, "error."), strings.HasPrefix(k, "http."),
			k == string(semconv.SpanTypeKey), k == string(semconv.SpanStatusKey):
		default:
			delete(m, k)
		}
	}
	return m
}

// Attr returns a string attribute of s.
func Attr(s sdktrace.ReadOnlySpan, k attribute.Key) string {
	v, _ := Attrs(s)[string(k)].(string)
	return v
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// AssertTokens checks the token fields of a span as Tracium received it;
// a negative cached count means the field must be absent.
func AssertTokens(t *testing.T, sp traciumtest.Span, in, out, cached int64) {
	t.Helper()
	assert.Equal(t, Ptr(in), sp.InputTokens, "input_tokens")
	assert.Equal(t, Ptr(out), sp.OutputTokens, "output_tokens")
	if cached < 0 {
		assert.Nil(t, sp.CachedInputTokens, "cached_input_tokens")
	} else {
		assert.Equal(t, Ptr(cached), sp.CachedInputTokens, "cached_input_tokens")
	}
}
