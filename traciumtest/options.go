package traciumtest

import "net/url"

// DefaultAPIKey is the API key a [Server] accepts when [WithAPIKey] is not
// given.
const DefaultAPIKey = "traciumtest-key"

// DefaultPlan is the plan GET /auth/me reports when [WithPlan] is not given.
const DefaultPlan = "free"

// DefaultMaxBodyBytes is the largest request body a [Server] reads when
// [WithMaxBodyBytes] is not given: 32 MiB.
const DefaultMaxBodyBytes int64 = 32 << 20

// config is what the options of [NewServer] fill in.
type config struct {
	apiKey       string
	assignID     func(clientID string) string
	plan         string
	drift        func(query url.Values) []map[string]any
	promptDrift  func(query url.Values) []map[string]any
	maxBodyBytes int64
}

func newConfig(opts []Option) config {
	c := config{
		apiKey:       DefaultAPIKey,
		plan:         DefaultPlan,
		maxBodyBytes: DefaultMaxBodyBytes,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// Option configures a [Server] built by [NewServer]. Options are applied in
// order; when two options set the same thing, the last one wins.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithAPIKey sets the only value of the X-API-Key header the server accepts;
// every other value, and a missing header, is answered 401. The default is
// [DefaultAPIKey]; "" keeps the default.
func WithAPIKey(key string) Option {
	return optionFunc(func(c *config) {
		if key != "" {
			c.apiKey = key
		}
	})
}

// WithTraceIDAssigner lets the server choose the id of a trace it starts,
// instead of keeping the client's: POST /agents/traces answers with the
// assigner's result as "id" and "trace_id", and the trace is stored (and must
// be addressed) under that id from then on. This is how a test makes the
// server's answer differ from the trace_id the client sent.
//
// clientID is the trace_id of the start body, or the random hex id the server
// generated when the body had none; it is never empty. The returned id is used
// as is, without checking it against the trace-id rule, so a test can also
// hand out an id that the client cannot use in a path. Returning "" keeps
// clientID. The function is called without any lock held, possibly from
// several goroutines at once. nil keeps the default (the server keeps the
// client's id).
func WithTraceIDAssigner(assign func(clientID string) string) Option {
	return optionFunc(func(c *config) {
		if assign != nil {
			c.assignID = assign
		}
	})
}

// WithPlan sets the "plan" that GET /auth/me reports. The default is
// [DefaultPlan]; "" keeps the default.
func WithPlan(plan string) Option {
	return optionFunc(func(c *config) {
		if plan != "" {
			c.plan = plan
		}
	})
}

// WithDriftResults sets how POST /drift/check answers a valid request: the
// function receives the request's query and its return value becomes the
// "results" array of the response object (nil gives an empty array). The
// function is called without any lock held, possibly concurrently. nil keeps
// the default: one result per requested metric, reporting no drift.
func WithDriftResults(results func(query url.Values) []map[string]any) Option {
	return optionFunc(func(c *config) {
		if results != nil {
			c.drift = results
		}
	})
}

// WithPromptDriftResults is [WithDriftResults] for POST
// /drift/prompt-embeddings/check. nil keeps the default: one result per
// requested workspace id, reporting no drift.
func WithPromptDriftResults(results func(query url.Values) []map[string]any) Option {
	return optionFunc(func(c *config) {
		if results != nil {
			c.promptDrift = results
		}
	})
}

// WithMaxBodyBytes sets the largest request body the server reads; a larger
// body is answered 413. The default is [DefaultMaxBodyBytes]; n <= 0 keeps the
// default.
func WithMaxBodyBytes(n int64) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxBodyBytes = n
		}
	})
}
