package tracium

import (
	"fmt"

	"go.opentelemetry.io/otel"

	"github.com/tracium-ai/tracium-go/internal/api"
)

// report sends an error of a recording call, which has no caller to return
// it to, to the OTel error handler, scrubbed of the API keys of this
// process: it may quote a value the application passed (an agent name, a
// tag) that holds a key by mistake.
func report(op string, err error) {
	if err != nil {
		otel.Handle(api.ScrubKnownError(fmt.Errorf("tracium: %s: %w", op, err)))
	}
}
