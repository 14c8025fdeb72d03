package setopt_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/tracium-ai/tracium-go/internal/setopt"
)

func TestPositive(t *testing.T) {
	t.Parallel()
	d := time.Minute
	setopt.Positive(&d, 0)
	assert.Equal(t, time.Minute, d, "zero keeps the default")
	setopt.Positive(&d, -time.Second)
	assert.Equal(t, time.Minute, d, "a negative value keeps the default")
	setopt.Positive(&d, time.Second)
	assert.Equal(t, time.Second, d, "a positive value replaces it")
}

func TestSet(t *testing.T) {
	t.Parallel()
	s := "default"
	setopt.Set(&s, "")
	assert.Equal(t, "default", s, "an empty string keeps the default")
	setopt.Set(&s, "given")
	assert.Equal(t, "given", s)

	def := metric.MeterProvider(noop.NewMeterProvider())
	mp := def
	setopt.Set(&mp, nil)
	assert.Equal(t, def, mp, "a nil interface keeps the default")
	other := metric.MeterProvider(&noop.MeterProvider{})
	setopt.Set(&mp, other)
	assert.Same(t, other, mp)
}

type testConfig struct{ applied []string }

type testOption interface{ apply(*testConfig) }

type testOptionFunc func(*testConfig)

func (f testOptionFunc) apply(c *testConfig) { f(c) }

func named(s string) testOption {
	return testOptionFunc(func(c *testConfig) { c.applied = append(c.applied, s) })
}

func TestApply(t *testing.T) {
	t.Parallel()
	var c testConfig
	setopt.Apply(&c, []testOption{named("a"), nil, named("b")}, testOption.apply)
	assert.Equal(t, []string{"a", "b"}, c.applied, "options apply in order, nil ones are skipped")
}

type valueOption interface{ apply(string) string }

type suffix string

func (s suffix) apply(c string) string { return c + string(s) }

func TestFold(t *testing.T) {
	t.Parallel()
	got := setopt.Fold("x", []valueOption{suffix("a"), nil, suffix("b")}, valueOption.apply)
	assert.Equal(t, "xab", got, "options apply in order, nil ones are skipped")
}
