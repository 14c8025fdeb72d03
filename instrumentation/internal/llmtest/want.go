package llmtest

import (
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
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
