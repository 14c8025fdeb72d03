package tracium

import (
	"fmt"

	"go.opentelemetry.io/otel"
)

// report sends an error of a recording call, which has no caller to return
// it to, to the OTel error handler.
func report(op string, err error) {
	if err != nil {
		otel.Handle(fmt.Errorf("tracium: %s: %w", op, err))
	}
}
