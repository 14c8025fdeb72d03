package traciumopenai

import "net/http"

// MiddlewareWithEnv is Middleware reading the environment through getenv,
// so that environment tests can run in parallel.
func MiddlewareWithEnv(getenv func(string) string, opts ...Option) func(*http.Request, Next) (*http.Response, error) {
	return newMiddleware(getenv, "support_bot", opts).Handle
}
