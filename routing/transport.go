package routing

import (
	"net/http"

	"github.com/tracium-ai/tracium-go/internal/api"
)

// newSharedClient returns the HTTP client every destination's exporter
// sends with, unless the exporter options name one. One pool for all
// destinations is what bounds the router's connections: with a transport
// per destination, each of the many destinations a churn of tenants opens
// and closes dials, keeps and closes its own, and the open files grow
// with the churn rather than with the load. Redirects are the API client's
// business: each exporter wraps this client so that a redirect never
// leaves its destination's origin (api.GuardRedirects).
func newSharedClient(maxConnsPerHost int) *http.Client {
	t := api.NewTransport()
	t.MaxConnsPerHost = maxConnsPerHost
	t.MaxIdleConns = maxConnsPerHost
	t.MaxIdleConnsPerHost = maxConnsPerHost
	return &http.Client{Transport: t}
}
