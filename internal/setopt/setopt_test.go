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
	tests := []struct {
		name string
		v    time.Duration
		want time.Duration
	}{
		{"positive replaces", time.Second, time.Second},
		{"zero keeps", 0, time.Minute},
		{"negative keeps", -time.Second, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := time.Minute
			setopt.Positive(&got, tt.v)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSet(t *testing.T) {
	t.Parallel()
	s := "default"
	setopt.Set(&s, "")
	assert.Equal(t, "default", s, "empty string keeps the default")
	setopt.Set(&s, "given")
	assert.Equal(t, "given", s)

	def := metric.MeterProvider(noop.NewMeterProvider())
	mp := def
	setopt.Set(&mp, nil)
	assert.Equal(t, def, mp, "nil interface keeps the default")
	other := metric.MeterProvider(&noop.MeterProvider{})
	setopt.Set(&mp, other)
	assert.Same(t, other, mp)
}
