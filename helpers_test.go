package tracium_test

import "github.com/tracium-ai/tracium-go/internal/testutil"

// The helpers shared with other packages' tests.
var (
	newRecorded   = testutil.NewRecorded
	attrs         = testutil.Attrs
	byName        = testutil.ByName
	captureErrors = testutil.CaptureErrors
)

// newWire returns a provider whose Tracium processor, built with opts,
// sends to srv.
var newWire = testutil.NewService
