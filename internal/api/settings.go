package api

import (
	"maps"
	"net/http"
	"time"

	"github.com/tracium-ai/tracium-go/internal/setopt"
)

// A Setting changes one field of a Config. The connection options of the
// packages client and exporter (WithAPIKey, WithBaseURL, ...) are Settings,
// so that what an empty or nil value means is decided here, once.
type Setting func(*Config)

// SetAPIKey sets the API key; an empty key leaves it as it was.
func SetAPIKey(key string) Setting {
	return func(c *Config) { setopt.Set(&c.APIKey, key) }
}

// SetBaseURL sets the base URL; an empty URL leaves it as it was.
func SetBaseURL(u string) Setting {
	return func(c *Config) { setopt.Set(&c.BaseURL, u) }
}

// SetInsecure allows a plain http:// base URL whose host is not loopback.
func SetInsecure() Setting {
	return func(c *Config) { c.AllowInsecure = true }
}

// SetTimeout sets the timeout of each attempt; zero or a negative value
// leaves it as it was.
func SetTimeout(d time.Duration) Setting {
	return func(c *Config) { setopt.Positive(&c.Timeout, d) }
}

// SetHeaders replaces the extra headers with a copy of h; an empty map
// removes them, nil leaves them as they were.
func SetHeaders(h map[string]string) Setting {
	return func(c *Config) {
		if h != nil {
			c.Headers = maps.Clone(h)
		}
	}
}

// SetHTTPClient sets the HTTP client; nil leaves it as it was.
func SetHTTPClient(hc *http.Client) Setting {
	return func(c *Config) { setopt.Set(&c.HTTPClient, hc) }
}

// SetUserAgent sets the User-Agent; an empty value leaves it as it was.
func SetUserAgent(ua string) Setting {
	return func(c *Config) { setopt.Set(&c.UserAgent, ua) }
}

// SetRetry sets the retry configuration.
func SetRetry(r RetryConfig) Setting {
	return func(c *Config) { c.Retry = r }
}
