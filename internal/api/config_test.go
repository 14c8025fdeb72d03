package api_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/api"
)

func TestNormalizeBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		raw     string
		want    string
		wantErr string
	}{
		{name: "default host", raw: "https://api.tracium.ai", want: "https://api.tracium.ai"},
		{name: "no scheme gets http", raw: "localhost:8000", want: "http://localhost:8000"},
		{name: "no scheme gets https", raw: "api.tracium.ai", want: "https://api.tracium.ai"},
		{name: "no scheme with path", raw: "example.com/v1", want: "https://example.com/v1"},
		{name: "no scheme, name under localhost", raw: "api.localhost:8000", want: "http://api.localhost:8000"},
		{name: "no scheme, ipv6 loopback", raw: "[::1]:9", want: "http://[::1]:9"},
		{name: "no scheme, private ip gets https", raw: "10.0.0.1:8000", want: "https://10.0.0.1:8000"},
		{name: "explicit http kept", raw: "http://example.com", want: "http://example.com"},
		{name: "whitespace trimmed", raw: " \t https://host/v1 \n", want: "https://host/v1"},
		{name: "trailing slash kept", raw: "https://host/v1/", want: "https://host/v1/"},
		{name: "base path kept", raw: "https://host/api/v2", want: "https://host/api/v2"},
		{name: "upper-case scheme", raw: "HTTPS://host", want: "https://host"},
		{name: "ip and port", raw: "127.0.0.1:9", want: "http://127.0.0.1:9"},
		{name: "ipv6", raw: "http://[::1]:8080", want: "http://[::1]:8080"},
		{name: "empty", raw: "", wantErr: "base URL is empty"},
		{name: "blank", raw: "   ", wantErr: "base URL is empty"},
		{name: "other scheme", raw: "ftp://host", wantErr: `scheme "ftp" is not http or https`},
		{name: "no host", raw: "http:///v1", wantErr: "no host"},
		{name: "query", raw: "https://host/v1?x=1", wantErr: "query or fragment"},
		{name: "fragment", raw: "https://host/v1#x", wantErr: "query or fragment"},
		{name: "bad port", raw: "http://host:port", wantErr: "invalid base URL"},
		{name: "bad escape", raw: "http://host/%zz", wantErr: "invalid base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := api.NormalizeBaseURL(tt.raw)
			if tt.wantErr != "" {
				require.Error(t, err, "NormalizeBaseURL(%q)", tt.raw)
				assert.Contains(t, err.Error(), tt.wantErr, "NormalizeBaseURL(%q)", tt.raw)
				assert.True(t, strings.HasPrefix(err.Error(), "tracium api: "), "NormalizeBaseURL error prefix: %v", err)
				return
			}
			require.NoError(t, err, "NormalizeBaseURL(%q)", tt.raw)
			assert.Equal(t, tt.want, u.String(), "NormalizeBaseURL(%q)", tt.raw)
		})
	}
}

func TestNormalizeBaseURLHidesPassword(t *testing.T) {
	t.Parallel()
	_, err := api.NormalizeBaseURL("https://user:hunter2pass@host/v1?x=1")
	require.Error(t, err, "NormalizeBaseURL with a query")
	assert.NotContains(t, err.Error(), "hunter2pass", "NormalizeBaseURL error")
}

func TestNewAPIKeyRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		key     string
		base    string
		wantErr string
	}{
		{name: "ten characters", key: "0123456789"},
		{name: "nine characters", key: "012345678", wantErr: "too short: 9 characters, need at least 10"},
		{name: "trimmed before counting", key: "  012345678  ", wantErr: "too short: 9 characters"},
		{name: "characters not bytes", key: "ééééééééé", wantErr: "too short: 9 characters"},
		{name: "missing", key: "", wantErr: "API key is required"},
		{name: "blank", key: " \t ", wantErr: "API key is required"},
		{name: "localhost three", key: "abc", base: "localhost:8000"},
		{name: "localhost two", key: "ab", base: "localhost:8000", wantErr: "need at least 3"},
		{name: "mock host", key: "abc", base: "https://mock.example.com"},
		{name: "test in path any case", key: "abc", base: "https://api.example.com/TeSt"},
		{name: "loopback ipv4", key: "abc", base: "http://127.0.0.1:9"},
		{name: "loopback ipv4 range", key: "abc", base: "http://127.8.9.10"},
		{name: "loopback ipv6", key: "abc", base: "http://[::1]:9"},
		{name: "private ip is not a test host", key: "abc", base: "https://10.0.0.1", wantErr: "need at least 10"},
		{name: "production short", key: "abc", base: "https://api.tracium.ai", wantErr: "need at least 10"},
		{name: "newline in key", key: "0123456789\nabc", wantErr: "not allowed in an HTTP header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := api.New(api.Config{APIKey: tt.key, BaseURL: tt.base})
			if tt.wantErr == "" {
				require.NoError(t, err, "New")
				require.NotNil(t, c, "New")
				return
			}
			require.Error(t, err, "New")
			assert.Contains(t, err.Error(), tt.wantErr, "New")
			if k := strings.TrimSpace(tt.key); k != "" {
				assert.NotContains(t, err.Error(), k, "New error must not contain the key")
			}
		})
	}
}

func TestNewConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mod     func(*api.Config)
		wantErr string
	}{
		{name: "extra X-API-Key", mod: func(c *api.Config) { c.Headers = map[string]string{"x-api-key": "v"} }, wantErr: `header "x-api-key" is set by the client`},
		{name: "extra Content-Type", mod: func(c *api.Config) { c.Headers = map[string]string{"Content-Type": "text/plain"} }, wantErr: `header "Content-Type" is set by the client`},
		{name: "extra X-Tenant-ID", mod: func(c *api.Config) { c.Headers = map[string]string{"X-Tenant-ID": "t"} }, wantErr: `header "X-Tenant-ID" is set by the client`},
		{name: "extra User-Agent", mod: func(c *api.Config) { c.Headers = map[string]string{"User-Agent": "x"} }, wantErr: `header "User-Agent" is set by the client`},
		{name: "bad header name", mod: func(c *api.Config) { c.Headers = map[string]string{"bad name": "v"} }, wantErr: `header name "bad name" is not a valid`},
		{name: "bad header value", mod: func(c *api.Config) { c.Headers = map[string]string{"X-Ok": "a\r\nX-Evil: 1"} }, wantErr: `header "X-Ok" has a value`},
		{name: "duplicate header", mod: func(c *api.Config) { c.Headers = map[string]string{"X-Dup": "1", "x-dup": "2"} }, wantErr: "more than once"},
		{name: "bad user agent", mod: func(c *api.Config) { c.UserAgent = "ua\n" }, wantErr: "UserAgent"},
		{name: "bad base URL", mod: func(c *api.Config) { c.BaseURL = "ftp://host" }, wantErr: "scheme"},
		{name: "negative timeout", mod: func(c *api.Config) { c.Timeout = -time.Second }, wantErr: "Timeout must not be negative"},
		{name: "negative max response", mod: func(c *api.Config) { c.MaxResponseBytes = -1 }, wantErr: "MaxResponseBytes"},
		{name: "negative initial interval", mod: func(c *api.Config) { c.Retry.InitialInterval = -1 }, wantErr: "Retry.InitialInterval"},
		{name: "negative max interval", mod: func(c *api.Config) { c.Retry.MaxInterval = -1 }, wantErr: "Retry.MaxInterval"},
		{name: "negative max elapsed", mod: func(c *api.Config) { c.Retry.MaxElapsedTime = -1 }, wantErr: "Retry.MaxElapsedTime"},
		{name: "max below initial", mod: func(c *api.Config) {
			c.Retry.InitialInterval, c.Retry.MaxInterval = time.Second, time.Millisecond
		}, wantErr: "less than Retry.InitialInterval"},
		{name: "multiplier below one", mod: func(c *api.Config) { c.Retry.Multiplier = 0.5 }, wantErr: "Retry.Multiplier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := api.Config{APIKey: testKey}
			tt.mod(&cfg)
			_, err := api.New(cfg)
			require.Error(t, err, "New")
			assert.Contains(t, err.Error(), tt.wantErr, "New")
			assert.True(t, strings.HasPrefix(err.Error(), "tracium api: "), "New error prefix: %v", err)
			assert.NotContains(t, err.Error(), testKey, "New error must not contain the key")
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	c, err := api.New(api.Config{APIKey: testKey})
	require.NoError(t, err, "New")
	assert.Equal(t, "https://api.tracium.ai", c.BaseURL().String(), "BaseURL default")

	// Only a larger InitialInterval raises the default MaxInterval.
	_, err = api.New(api.Config{APIKey: testKey, Retry: api.RetryConfig{InitialInterval: time.Minute}})
	assert.NoError(t, err, "New with InitialInterval above the default MaxInterval")
}

func TestBaseURLIsACopy(t *testing.T) {
	t.Parallel()
	c, err := api.New(api.Config{APIKey: testKey, BaseURL: "https://host/v1"})
	require.NoError(t, err, "New")
	u := c.BaseURL()
	u.Host = "evil.example"
	assert.Equal(t, "https://host/v1", c.BaseURL().String(), "BaseURL after changing a returned copy")
}

// newConfig shows the intended order of the packages that use api: defaults,
// then the environment, then options set in code.
func newConfig(env map[string]string, handle func(error), opts ...func(*api.Config)) api.Config {
	var c api.Config
	c.ApplyEnv(func(k string) string { return env[k] }, handle)
	for _, o := range opts {
		o(&c)
	}
	return c
}

func TestApplyEnv(t *testing.T) {
	t.Parallel()
	prev := api.Config{
		APIKey:  "prev-key-0123456789",
		BaseURL: "https://prev.example",
		Timeout: 3 * time.Second,
		Headers: map[string]string{"X-Prev": "1"},
	}
	tests := []struct {
		name     string
		env      map[string]string
		want     api.Config
		wantErrs []string // substrings, one per reported error, in order
	}{
		{name: "nothing set", env: nil, want: prev},
		{name: "blank values are unset", env: map[string]string{
			"TRACIUM_API_KEY": " ", "TRACIUM_BASE_URL": "", "TRACIUM_TIMEOUT": " ", "TRACIUM_HEADERS": "",
		}, want: prev},
		{name: "all good", env: map[string]string{
			"TRACIUM_API_KEY":  "  env-key-0123456789 ",
			"TRACIUM_BASE_URL": " localhost:8000 ",
			"TRACIUM_TIMEOUT":  "250",
			"TRACIUM_HEADERS":  "x-a=1, X-B = two%20words ,,x-c=%3D%2C",
		}, want: api.Config{
			APIKey:  "env-key-0123456789",
			BaseURL: "localhost:8000",
			Timeout: 250 * time.Millisecond,
			Headers: map[string]string{"x-a": "1", "X-B": "two words", "x-c": "=,"},
		}},
		{name: "bad base URL", env: map[string]string{"TRACIUM_BASE_URL": "ftp://x"}, want: prev,
			wantErrs: []string{"TRACIUM_BASE_URL: tracium api: invalid base URL"}},
		{name: "timeout not a number", env: map[string]string{"TRACIUM_TIMEOUT": "10s"}, want: prev,
			wantErrs: []string{`TRACIUM_TIMEOUT: invalid value "10s"`}},
		{name: "timeout fraction", env: map[string]string{"TRACIUM_TIMEOUT": "1.5"}, want: prev,
			wantErrs: []string{"TRACIUM_TIMEOUT"}},
		{name: "timeout zero", env: map[string]string{"TRACIUM_TIMEOUT": "0"}, want: prev,
			wantErrs: []string{"positive whole number of milliseconds"}},
		{name: "timeout negative", env: map[string]string{"TRACIUM_TIMEOUT": "-5"}, want: prev,
			wantErrs: []string{"TRACIUM_TIMEOUT"}},
		{name: "timeout overflow", env: map[string]string{"TRACIUM_TIMEOUT": "99999999999999999"}, want: prev,
			wantErrs: []string{"TRACIUM_TIMEOUT"}},
		{name: "header without equals", env: map[string]string{"TRACIUM_HEADERS": "a=1,b"}, want: prev,
			wantErrs: []string{`TRACIUM_HEADERS: entry 2 has no "="`}},
		{name: "header without name", env: map[string]string{"TRACIUM_HEADERS": "=v"}, want: prev,
			wantErrs: []string{"entry 1 has an empty"}},
		{name: "header bad escape", env: map[string]string{"TRACIUM_HEADERS": "x-a=%zz"}, want: prev,
			wantErrs: []string{`header "x-a" has a badly percent-encoded value`}},
		{name: "header reserved", env: map[string]string{"TRACIUM_HEADERS": "X-API-Key=other"}, want: prev,
			wantErrs: []string{`header "X-API-Key" is set by the client`}},
		{name: "header control character", env: map[string]string{"TRACIUM_HEADERS": "x-a=v%0Aw"}, want: prev,
			wantErrs: []string{`header "x-a" has a value with characters`}},
		{name: "bad values keep the good ones", env: map[string]string{
			"TRACIUM_API_KEY": "env-key-0123456789", "TRACIUM_TIMEOUT": "x", "TRACIUM_HEADERS": "y",
		}, want: api.Config{APIKey: "env-key-0123456789", BaseURL: prev.BaseURL, Timeout: prev.Timeout, Headers: prev.Headers},
			wantErrs: []string{"TRACIUM_TIMEOUT", "TRACIUM_HEADERS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := prev
			var errs []error
			c.ApplyEnv(func(k string) string { return tt.env[k] }, func(err error) { errs = append(errs, err) })
			assert.Equal(t, tt.want, c, "ApplyEnv result")
			require.Len(t, errs, len(tt.wantErrs), "ApplyEnv errors: %v", errs)
			for i, want := range tt.wantErrs {
				assert.Contains(t, errs[i].Error(), want, "ApplyEnv error %d", i)
				assert.True(t, strings.HasPrefix(errs[i].Error(), "tracium api: "), "ApplyEnv error prefix: %v", errs[i])
			}
		})
	}
}

func TestApplyEnvPrecedence(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TRACIUM_BASE_URL": "http://env.example", "TRACIUM_TIMEOUT": "1500"}

	c := newConfig(nil, nil)
	assert.Equal(t, api.Config{}, c, "no env, no option: zero config, so New uses the defaults")

	c = newConfig(env, nil)
	assert.Equal(t, "http://env.example", c.BaseURL, "env beats the default")
	assert.Equal(t, 1500*time.Millisecond, c.Timeout, "env beats the default")

	c = newConfig(env, nil, func(c *api.Config) { c.BaseURL = "https://code.example" })
	assert.Equal(t, "https://code.example", c.BaseURL, "option beats env")
	assert.Equal(t, 1500*time.Millisecond, c.Timeout, "env kept where no option is given")
}

func TestApplyEnvNilFuncs(t *testing.T) {
	t.Parallel()
	c := api.Config{APIKey: "k"}
	assert.NotPanics(t, func() { c.ApplyEnv(nil, nil) }, "ApplyEnv(nil, nil)")
	assert.NotPanics(t, func() {
		c.ApplyEnv(func(string) string { return "bad" }, nil)
	}, "ApplyEnv with a nil handle and malformed values")
	assert.Equal(t, "bad", c.APIKey, "ApplyEnv sets the key")
	assert.Zero(t, c.Timeout, "malformed TRACIUM_TIMEOUT ignored")
}

func TestApplyEnvErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"TRACIUM_API_KEY":  testKey,
		"TRACIUM_BASE_URL": "http://host/" + url.PathEscape(testKey) + "?key=" + url.QueryEscape(testKey),
		"TRACIUM_HEADERS":  "Authorization=Bearer%20top-secret-token%0A",
	}
	var errs []error
	var c api.Config
	c.ApplyEnv(func(k string) string { return env[k] }, func(err error) { errs = append(errs, err) })
	require.Len(t, errs, 2, "ApplyEnv errors: %v", errs)
	for _, err := range errs {
		assert.NotContains(t, err.Error(), testKey, "ApplyEnv error")
		assert.NotContains(t, err.Error(), url.QueryEscape(testKey), "ApplyEnv error")
		assert.NotContains(t, err.Error(), "top-secret-token", "ApplyEnv error must not repeat header values")
	}
}
