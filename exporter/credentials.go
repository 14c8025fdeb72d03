package exporter

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/tracium-ai/tracium-go/internal/api"
)

// CheckCredentials asks the API who the configured key belongs to (GET
// /auth/me) and returns nil when it answers 2xx. Otherwise the error says
// what went wrong, once, with the setting to change: the key refused (401 or
// 403, with the API's message: TRACIUM_API_KEY or [WithAPIKey]), or the API
// not reached (a refused connection, a name that does not resolve, a TLS
// failure or a timeout: TRACIUM_BASE_URL or [WithBaseURL]). Transient
// failures are retried as for any request, until ctx ends.
//
// Exporting never calls it; call it at start-up to fail fast on a wrong
// key or URL (tracium.Init does with tracium.WithCredentialCheck).
func (e *Exporter) CheckCredentials(ctx context.Context) error {
	if e == nil || e.client == nil {
		return errors.New("tracium exporter: credential check: not an exporter built by New")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	_, err := e.client.Do(ctx, api.Request{Method: http.MethodGet, Path: "/auth/me"})
	switch code := api.StatusCode(err); {
	case err == nil:
		return nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("tracium exporter: credential check: the API refused the API key: %w (set TRACIUM_API_KEY or use exporter.WithAPIKey)", err)
	case code != 0:
		return fmt.Errorf("tracium exporter: credential check: %w (check TRACIUM_BASE_URL or exporter.WithBaseURL)", err)
	default:
		return fmt.Errorf("tracium exporter: credential check: the API was not reached: %w (check TRACIUM_BASE_URL or exporter.WithBaseURL)", err)
	}
}
