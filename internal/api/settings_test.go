package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tracium-ai/tracium-go/internal/api"
)

// The connection settings of packages client and exporter: an empty or nil
// value leaves the field as the environment set it, except an empty header
// map, which removes the headers; a header map is copied.
func TestSettings(t *testing.T) {
	t.Parallel()
	hc := &http.Client{}
	env := api.Config{APIKey: "env-key", BaseURL: "https://env.example", Timeout: time.Second,
		Headers: map[string]string{"X-Team": "env"}, HTTPClient: hc, UserAgent: "env-agent"}
	for _, s := range []api.Setting{api.SetAPIKey(""), api.SetBaseURL(""), api.SetTimeout(0), api.SetTimeout(-time.Second),
		api.SetHeaders(nil), api.SetHTTPClient(nil), api.SetUserAgent("")} {
		c := env
		s(&c)
		assert.Equal(t, env, c, "an empty value changes nothing")
	}

	h := map[string]string{"X-Team": "code"}
	c := env
	for _, s := range []api.Setting{api.SetAPIKey("k"), api.SetBaseURL("https://b.example"), api.SetInsecure(), api.SetTimeout(2 * time.Second),
		api.SetHeaders(h), api.SetUserAgent("ua"), api.SetRetry(api.RetryConfig{Disabled: true})} {
		s(&c)
	}
	h["X-Team"] = "changed later"
	assert.Equal(t, api.Config{APIKey: "k", BaseURL: "https://b.example", AllowInsecure: true, Timeout: 2 * time.Second,
		Headers: map[string]string{"X-Team": "code"}, HTTPClient: hc, UserAgent: "ua", Retry: api.RetryConfig{Disabled: true}}, c)

	api.SetHeaders(map[string]string{})(&c)
	assert.Empty(t, c.Headers, "an empty map removes the headers")
}
