package propagation

import (
	"fmt"
	"time"

	"go.opentelemetry.io/otel"
)

// DefaultErrorInterval is how often, at most, a propagator reports rejected
// inbound members when [WithErrorInterval] is not given.
const DefaultErrorInterval = time.Minute

// report passes err to the OTel error handler at most once per error
// interval and counts the rest, so that a flood of bad headers costs one
// log line a minute; the next report says how many were suppressed.
func (c *config) report(err error) {
	ok, suppressed := c.lim.Allow()
	if !ok {
		return
	}
	if suppressed > 0 {
		err = fmt.Errorf("%w (%d more suppressed since the last report)", err, suppressed)
	}
	otel.Handle(err)
}
