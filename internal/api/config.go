package api

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tracium-ai/tracium-go/internal/version"
)

// Defaults used by [New] for zero fields of [Config] and [RetryConfig].
const (
	DefaultBaseURL          = "https://api.tracium.ai"
	DefaultTimeout          = 10 * time.Second
	DefaultMaxResponseBytes = 1 << 20 // 1 MiB

	DefaultInitialInterval = 100 * time.Millisecond
	DefaultMaxInterval     = 5 * time.Second
	DefaultMaxElapsedTime  = 30 * time.Second
	DefaultMultiplier      = 2.0
)

// jitter is the randomization factor of the backoff: each wait is drawn
// uniformly from [(1-jitter)*d, (1+jitter)*d) around its nominal value d.
const jitter = 0.5

// Names of the environment variables read by [Config.ApplyEnv].
const (
	EnvAPIKey  = "TRACIUM_API_KEY"
	EnvBaseURL = "TRACIUM_BASE_URL"
	EnvTimeout = "TRACIUM_TIMEOUT"
	EnvHeaders = "TRACIUM_HEADERS"
	// EnvAllowInsecure, set to "true", allows a plain http:// base URL for
	// a host that is not loopback ([Config.AllowInsecure]).
	EnvAllowInsecure = "TRACIUM_ALLOW_INSECURE"
)

// API key length rules of the contract (section 5.1).
const (
	minKeyLen     = 10
	minTestKeyLen = 3
)

// Config configures a [Client]. Zero values mean defaults. [New] copies what
// it needs, so the Config (and its Headers map) may be reused or changed
// after New returns.
type Config struct {
	// APIKey is the Tracium API key, sent as X-API-Key after surrounding
	// whitespace is trimmed. Required. It must be at least 10 characters
	// long, or at least 3 when the base URL contains "test", "mock" or
	// "localhost" (case-insensitively) or its host is a loopback IP address.
	APIKey string

	// BaseURL is the root of the API, as the user wrote it; [New] normalizes
	// it with [NormalizeBaseURL]. Default [DefaultBaseURL]. A plain http://
	// URL is refused unless its host is loopback or AllowInsecure is set.
	BaseURL string

	// AllowInsecure allows a plain http:// BaseURL whose host is not
	// loopback, which sends the API key and the payload unencrypted. Off by
	// default: [New] refuses such a URL with an error that says so.
	AllowInsecure bool

	// UserAgent is the User-Agent header of every request. Default
	// "tracium-go/" + [Version].
	UserAgent string

	// Headers are extra headers sent on every request. They may not set
	// X-API-Key, Content-Type, X-Tenant-ID, User-Agent (use UserAgent),
	// Content-Length or Host: [New] returns an error naming such a header.
	Headers map[string]string

	// Timeout bounds each attempt (connect, send, and read of the whole
	// answer); the retries of one [Client.Do] call each get their own.
	// Default [DefaultTimeout] (10s).
	Timeout time.Duration

	// HTTPClient sends the requests. Default: a private client with its own
	// transport. A client given here is not modified: [New] uses a shallow
	// copy of it whose redirect policy refuses, with an error, any redirect
	// away from the base URL's scheme, host and port (so the API key, the
	// tenant and the payload never reach another host), and then applies
	// the client's own CheckRedirect, if any. Its own Timeout, if any,
	// applies on top of Timeout.
	HTTPClient *http.Client

	// Retry configures retries. The zero value retries with the defaults.
	Retry RetryConfig

	// MaxResponseBytes caps how much of a response body is read. A 2xx
	// answer is an acceptance even with a longer body: [Response.BodyErr]
	// then wraps [ErrResponseTooLarge]. The body of an error answer is
	// silently cut. Default [DefaultMaxResponseBytes] (1 MiB).
	MaxResponseBytes int64

	// OnAttempt, when not nil, is called after every attempt of
	// [Client.Do], from the goroutine that called Do and without any lock
	// held. It must be safe for concurrent use when the Client is used
	// concurrently, and it should return quickly: Do waits for it.
	OnAttempt func(AttemptInfo)
}

// RetryConfig configures how [Client.Do] retries. Zero fields mean defaults;
// negative durations are an error from [New].
//
// The nominal wait before retry n (n = 1, 2, ...) is
// InitialInterval * Multiplier^(n-1), capped at MaxInterval. The actual wait
// is drawn uniformly from [0.5, 1.5) times the nominal wait (randomization
// factor 0.5), so a wait may exceed MaxInterval by up to half of it. A
// Retry-After header on a retryable answer replaces the backoff for that one
// wait; a Retry-After of zero, in the past or malformed does not. No wait is
// started that would end after MaxElapsedTime or the deadline of the
// context: Do gives up at once instead and says why.
type RetryConfig struct {
	// Disabled turns retries off: every request gets exactly one attempt.
	Disabled bool

	// InitialInterval is the nominal wait before the first retry. Default
	// [DefaultInitialInterval] (100ms).
	InitialInterval time.Duration

	// MaxInterval caps the nominal wait. Default [DefaultMaxInterval] (5s),
	// or InitialInterval when that is larger and MaxInterval is not set.
	MaxInterval time.Duration

	// MaxElapsedTime bounds the time one [Client.Do] call spends retrying,
	// counted from its first attempt: no wait that would end later is
	// started. The deadline of the context given to Do bounds it as well.
	// Default [DefaultMaxElapsedTime] (30s).
	MaxElapsedTime time.Duration

	// Multiplier is the growth factor of the nominal wait; it must be at
	// least 1. Default [DefaultMultiplier] (2).
	Multiplier float64
}

// AttemptInfo describes one attempt of [Client.Do], for [Config.OnAttempt].
type AttemptInfo struct {
	Method string // the request method
	Path   string // the request path, as given in [Request.Path] (not scrubbed: pass it through [Client.Scrub] before showing it)
	// Attempt counts attempts of one Do call, starting at 1.
	Attempt int
	// Status is the HTTP status of the answer, or 0 when none arrived.
	Status int
	// Err is the failure of this attempt, or nil when it succeeded.
	Err error
	// Wait is how long Do waits before the next attempt; 0 when no other
	// attempt follows.
	Wait time.Duration
}

// ApplyEnv fills the fields of c from the environment variables
// TRACIUM_API_KEY, TRACIUM_BASE_URL, TRACIUM_TIMEOUT, TRACIUM_HEADERS and
// TRACIUM_ALLOW_INSECURE (see the package documentation for their formats), looked up with getenv.
// A variable that is unset or blank leaves its field alone. A malformed value
// is reported to handle, and its field keeps its previous value. The reported
// errors never contain the API key or a header value.
//
// TRACIUM_HEADERS replaces c.Headers as a whole. Call ApplyEnv before applying
// options set in code, so that code wins over the environment. A nil getenv
// reads nothing; a nil handle discards the errors.
func (c *Config) ApplyEnv(getenv func(string) string, handle func(error)) {
	if getenv == nil {
		return
	}
	report := func(err error) {
		if handle != nil {
			handle(errors.New(scrub(err.Error(), strings.TrimSpace(c.APIKey))))
		}
	}
	if v := strings.TrimSpace(getenv(EnvAPIKey)); v != "" {
		c.APIKey = v
	}
	if v := strings.TrimSpace(getenv(EnvBaseURL)); v != "" {
		if _, err := NormalizeBaseURL(v); err != nil {
			report(fmt.Errorf("tracium api: %s: %w", EnvBaseURL, err))
		} else {
			c.BaseURL = v
		}
	}
	if v := strings.TrimSpace(getenv(EnvAllowInsecure)); v != "" {
		if b, err := strconv.ParseBool(v); err != nil {
			report(fmt.Errorf("tracium api: %s: invalid value %q: want true or false", EnvAllowInsecure, v))
		} else {
			c.AllowInsecure = b
		}
	}
	if v := strings.TrimSpace(getenv(EnvTimeout)); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms <= 0 || ms > math.MaxInt64/int64(time.Millisecond) {
			report(fmt.Errorf("tracium api: %s: invalid value %q: want a positive whole number of milliseconds", EnvTimeout, v))
		} else {
			c.Timeout = time.Duration(ms) * time.Millisecond
		}
	}
	if v := strings.TrimSpace(getenv(EnvHeaders)); v != "" {
		if h, err := parseHeaders(v); err != nil {
			report(fmt.Errorf("tracium api: %s: %w; none of its headers are used", EnvHeaders, err))
		} else {
			c.Headers = h
		}
	}
}

// parseHeaders parses "k1=v1,k2=v2" with percent-encoded keys and values.
// Empty entries are skipped. Errors name the entry's position or key, never a
// value.
func parseHeaders(s string) (map[string]string, error) {
	h := make(map[string]string)
	for i, entry := range strings.Split(s, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		k, v, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, fmt.Errorf("entry %d has no \"=\"", i+1)
		}
		key, err := url.PathUnescape(strings.TrimSpace(k))
		if err != nil || key == "" {
			return nil, fmt.Errorf("entry %d has an empty or badly percent-encoded name", i+1)
		}
		val, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("header %q has a badly percent-encoded value", key)
		}
		if err := checkExtraHeader(key, val); err != nil {
			return nil, err
		}
		h[key] = val
	}
	return h, nil
}

// reservedHeaders are set by the client itself and may not be given in
// [Config.Headers].
var reservedHeaders = []string{"X-Api-Key", "Content-Type", "X-Tenant-Id", "User-Agent", "Content-Length", "Host"}

// checkExtraHeader reports whether name=value may be sent as an extra header.
// The error names the header, never the value.
func checkExtraHeader(name, value string) error {
	if !validHeaderName(name) {
		return fmt.Errorf("header name %q is not a valid HTTP header name", name)
	}
	if slices.Contains(reservedHeaders, http.CanonicalHeaderKey(name)) {
		return fmt.Errorf("header %q is set by the client and cannot be given as an extra header", name)
	}
	if !validHeaderValue(value) {
		return fmt.Errorf("header %q has a value with characters not allowed in an HTTP header", name)
	}
	return nil
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s has no control character other than
// horizontal tab, so it cannot split or end a header.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// NormalizeBaseURL turns a base URL as a user writes it into the URL requests
// are built from: surrounding whitespace is trimmed, and when the text names
// no scheme, "https://" is put in front, or "http://" for a loopback host
// ("localhost", a name under ".localhost", 127.0.0.0/8, ::1), so that
// "api.tracium.ai" means "https://api.tracium.ai" and "localhost:8000"
// "http://localhost:8000". (Section 1.1 of the contract, the Python SDK,
// puts "http://" in front of every host; that would send the API key
// unencrypted by accident.) The path is kept as given and later used as a
// prefix of every request path. The scheme must be http or https and a host
// is required; a query or fragment is an error. Error messages never repeat
// the userinfo, query or fragment of the URL. See [CheckSecure] for the rule
// on explicit http:// URLs.
func NormalizeBaseURL(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, errors.New("tracium api: base URL is empty")
	}
	defaulted := !hasScheme(s)
	if defaulted {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error would repeat the whole URL
		}
		return nil, fmt.Errorf("tracium api: invalid base URL: %w", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		u.Scheme = strings.ToLower(u.Scheme)
	default:
		return nil, fmt.Errorf("tracium api: invalid base URL: scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("tracium api: invalid base URL %q: no host", SafeURL(u))
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("tracium api: invalid base URL %q: a query or fragment is not allowed (they are not shown here)", SafeURL(u))
	}
	if u.Opaque != "" {
		return nil, fmt.Errorf("tracium api: invalid base URL %q: not a hierarchical URL", SafeURL(u))
	}
	if defaulted && IsLoopback(u.Hostname()) {
		u.Scheme = "http"
	}
	return u, nil
}

// CheckSecure returns an error for a base URL that would send the API key
// unencrypted: an http:// URL whose host is not loopback, unless
// allowInsecure is set (TRACIUM_ALLOW_INSECURE=true, or the WithInsecure
// option of the exporter and drift packages).
func CheckSecure(base *url.URL, allowInsecure bool) error {
	if base.Scheme == "https" || allowInsecure || IsLoopback(base.Hostname()) {
		return nil
	}
	return fmt.Errorf("tracium api: base URL %q is plain http to a host that is not loopback, which would send the API key unencrypted: use https://, or allow it explicitly with %s=true or the WithInsecure option", SafeURL(base), EnvAllowInsecure)
}

// IsLoopback reports whether host (without port or brackets) names this
// machine: "localhost", a name under ".localhost" (RFC 6761) or a loopback
// IP address.
func IsLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// hasScheme reports whether s starts with "scheme://".
func hasScheme(s string) bool {
	i := strings.Index(s, "://")
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// settings is a validated Config with the defaults filled in.
type settings struct {
	key       string
	base      *url.URL
	header    http.Header // X-API-Key, User-Agent and the extra headers
	timeout   time.Duration
	maxResp   int64
	retry     retryPolicy
	onAttempt func(AttemptInfo)
}

// retryPolicy is a validated RetryConfig.
type retryPolicy struct {
	disabled   bool
	initial    time.Duration
	max        time.Duration
	maxElapsed time.Duration
	multiplier float64
}

// resolve validates c and fills in the defaults. Errors never contain the key.
func (c Config) resolve() (settings, error) {
	var s settings
	s.key = strings.TrimSpace(c.APIKey)

	raw := strings.TrimSpace(c.BaseURL)
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := NormalizeBaseURL(raw)
	if err != nil {
		return s, errors.New(scrub(err.Error(), s.key))
	}
	s.base = base
	if err := CheckSecure(base, c.AllowInsecure); err != nil {
		return s, errors.New(scrub(err.Error(), s.key))
	}

	if err := checkKey(s.key, base); err != nil {
		return s, err
	}

	ua := c.UserAgent
	if ua == "" {
		ua = "tracium-go/" + version.Version
	}
	if !validHeaderValue(ua) {
		return s, errors.New("tracium api: UserAgent has characters not allowed in an HTTP header")
	}

	s.header = make(http.Header, len(c.Headers)+2)
	names := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		names = append(names, k)
	}
	slices.Sort(names) // report the same header first every time
	for _, k := range names {
		v := c.Headers[k]
		if err := checkExtraHeader(k, v); err != nil {
			return s, errors.New(scrub("tracium api: Headers: "+err.Error(), s.key))
		}
		ck := http.CanonicalHeaderKey(k)
		if _, dup := s.header[ck]; dup {
			return s, errors.New(scrub(fmt.Sprintf("tracium api: Headers: header %q is given more than once (names are case-insensitive)", k), s.key))
		}
		s.header[ck] = []string{v}
	}
	s.header.Set("X-API-Key", s.key)
	s.header.Set("User-Agent", ua)

	if s.timeout, err = positive("Timeout", c.Timeout, DefaultTimeout); err != nil {
		return s, err
	}
	switch {
	case c.MaxResponseBytes < 0:
		return s, errors.New("tracium api: MaxResponseBytes must not be negative")
	case c.MaxResponseBytes == 0:
		s.maxResp = DefaultMaxResponseBytes
	default:
		s.maxResp = c.MaxResponseBytes
	}
	if s.retry, err = c.Retry.resolve(); err != nil {
		return s, err
	}
	s.onAttempt = c.OnAttempt
	return s, nil
}

// checkKey applies the API key rule of contract section 5.1.
func checkKey(key string, base *url.URL) error {
	if key == "" {
		return fmt.Errorf("tracium api: API key is required: set %s or use exporter.WithAPIKey (drift.WithAPIKey, client.WithAPIKey for those clients)", EnvAPIKey)
	}
	if !validHeaderValue(key) {
		return errors.New("tracium api: API key has characters not allowed in an HTTP header")
	}
	need := minKeyLen
	if isTestURL(base) {
		need = minTestKeyLen
	}
	if n := utf8.RuneCountInString(key); n < need {
		return fmt.Errorf("tracium api: API key is too short: %d characters, need at least %d", n, need)
	}
	return nil
}

// isTestURL reports whether base looks like a test server: the contract
// relaxes the key length for URLs containing "test", "mock" or "localhost";
// a loopback IP address counts as well.
func isTestURL(base *url.URL) bool {
	s := strings.ToLower(base.String())
	for _, w := range []string{"test", "mock", "localhost"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	ip := net.ParseIP(base.Hostname())
	return ip != nil && ip.IsLoopback()
}

func positive(name string, d, def time.Duration) (time.Duration, error) {
	switch {
	case d < 0:
		return 0, fmt.Errorf("tracium api: %s must not be negative, got %s", name, d)
	case d == 0:
		return def, nil
	default:
		return d, nil
	}
}

func (r RetryConfig) resolve() (retryPolicy, error) {
	p := retryPolicy{disabled: r.Disabled}
	var err error
	if p.initial, err = positive("Retry.InitialInterval", r.InitialInterval, DefaultInitialInterval); err != nil {
		return p, err
	}
	if p.max, err = positive("Retry.MaxInterval", r.MaxInterval, max(DefaultMaxInterval, p.initial)); err != nil {
		return p, err
	}
	if p.max < p.initial {
		return p, fmt.Errorf("tracium api: Retry.MaxInterval (%s) is less than Retry.InitialInterval (%s)", p.max, p.initial)
	}
	if p.maxElapsed, err = positive("Retry.MaxElapsedTime", r.MaxElapsedTime, DefaultMaxElapsedTime); err != nil {
		return p, err
	}
	switch m := r.Multiplier; {
	case m == 0:
		p.multiplier = DefaultMultiplier
	case m < 1 || math.IsNaN(m) || math.IsInf(m, 0):
		return p, fmt.Errorf("tracium api: Retry.Multiplier must be a finite number of at least 1, got %v", m)
	default:
		p.multiplier = m
	}
	return p, nil
}
