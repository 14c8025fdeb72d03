package exporter

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/tracium-ai/tracium-go/internal/api"
	"github.com/tracium-ai/tracium-go/internal/version"
	"github.com/tracium-ai/tracium-go/workspace"
)

// OTLPPath is the path, under the base URL, that [NewOTLP] sends to: the
// standard OTLP/HTTP traces path, which an OpenTelemetry Collector's OTLP
// receiver serves.
const OTLPPath = "/v1/traces"

// WorkspaceHeader carries the default workspace in OTLP mode.
const WorkspaceHeader = "X-Workspace-ID"

type otlpOption []otlptracehttp.Option

func (o otlpOption) apply(c *config) { c.otlp = append(c.otlp, o...) }

// WithOTLPOptions passes options to otlptracehttp in [NewOTLP]; they are
// applied after (and so override) the ones NewOTLP derives. [New] ignores
// them.
func WithOTLPOptions(opts ...otlptracehttp.Option) Option { return otlpOption(opts) }

// NewOTLP returns an OTLP/HTTP exporter (otlptracehttp) configured for
// Tracium, for applications that send their spans through an OpenTelemetry
// Collector: the endpoint is the base URL (TRACIUM_BASE_URL or
// [WithBaseURL], normalized as for [New]) plus [OTLPPath]; the API key goes
// in X-API-Key when one is set, the workspace ([WithOTLPWorkspace] or
// TRACIUM_WORKSPACE_ID) in X-Workspace-ID, and [WithHeaders],
// [WithTimeout], [WithHTTPClient] and [WithUserAgent] apply. Spans carry the
// same tracium.* and gen_ai.* attributes as with [New]: the Collector can
// route them by tracium.tenant.id and forward them.
//
// Unlike [New], NewOTLP does not require an API key (a Collector may add
// it). The base URL still defaults to https://api.tracium.ai, gets https://
// when it names no scheme, and may be plain http:// only for a loopback host
// or with [WithInsecure]. Options set here override otlptracehttp's own
// OTEL_EXPORTER_OTLP_* variables. Redirects to another origin are refused,
// and every error the exporter returns (transport failures, refused
// redirects, error answers, partial successes) is scrubbed of the key, with
// URLs printed without userinfo, query or fragment (see the package
// documentation, "OTLP mode").
func NewOTLP(ctx context.Context, opts ...Option) (*otlptrace.Exporter, error) {
	return newOTLP(ctx, osGetenv, opts...)
}

func newOTLP(ctx context.Context, getenv func(string) string, opts ...Option) (*otlptrace.Exporter, error) {
	c := newConfig(getenv, opts)
	raw := c.api.BaseURL
	if raw == "" {
		raw = api.DefaultBaseURL
	}
	key := strings.TrimSpace(c.api.APIKey)
	base, err := api.NormalizeBaseURL(raw)
	if err == nil {
		err = api.CheckSecure(base, c.api.AllowInsecure)
	}
	if err != nil {
		return nil, fmt.Errorf("tracium exporter: otlp: %s", api.Scrub(err.Error(), key))
	}
	endpoint := base.JoinPath(OTLPPath)
	headers := make(map[string]string, len(c.api.Headers)+3)
	for k, v := range c.api.Headers {
		headers[k] = v
	}
	if key != "" {
		headers["X-API-Key"] = key
	}
	if c.workspace != "" {
		if _, err := workspace.New(c.workspace); err != nil {
			return nil, fmt.Errorf("tracium exporter: otlp: %w", err)
		}
		headers[WorkspaceHeader] = c.workspace
	}
	ua := c.api.UserAgent
	if ua == "" {
		ua = "tracium-go/" + version.Version
	}
	headers["User-Agent"] = ua
	o := []otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(endpoint.String()),
		otlptracehttp.WithHeaders(headers),
	}
	if c.api.Timeout > 0 {
		o = append(o, otlptracehttp.WithTimeout(c.api.Timeout))
	}
	o = append(o, otlptracehttp.WithHTTPClient(otlpClient(c.api.HTTPClient, base, key, c.api.Timeout)))
	o = append(o, c.otlp...)
	exp, err := otlptrace.New(ctx, &scrubClient{Client: otlptracehttp.NewClient(o...), key: key})
	if err != nil {
		return nil, fmt.Errorf("tracium exporter: otlp: %s", api.Scrub(err.Error(), key))
	}
	return exp, nil
}

// scrubClient is otlptracehttp's client with every error it returns passed
// through [api.ScrubError]: http.Client wraps a failed request or a refused
// redirect in a *url.Error quoting the full URL (the base path, a
// redirect's Location), which a key may be part of, and ExportSpans errors
// reach the OTel error handler.
type scrubClient struct {
	otlptrace.Client
	key string
}

func (c *scrubClient) Start(ctx context.Context) error {
	return api.ScrubError(c.Client.Start(ctx), c.key)
}

func (c *scrubClient) Stop(ctx context.Context) error {
	return api.ScrubError(c.Client.Stop(ctx), c.key)
}

func (c *scrubClient) UploadTraces(ctx context.Context, spans []*tracepb.ResourceSpans) error {
	return api.ScrubError(c.Client.UploadTraces(ctx, spans), c.key)
}

// otlpClient returns the client otlptracehttp sends with: hc (nil: a
// private one bounded by timeout, otlptracehttp's default 10s when 0)
// copied, with redirects kept on base's origin, and a transport that scrubs
// key from error answers, since otlptracehttp quotes their bodies in its
// errors and those reach the OTel error handler.
func otlpClient(hc *http.Client, base *url.URL, key string, timeout time.Duration) *http.Client {
	if hc == nil {
		hc = &http.Client{Transport: api.NewTransport(), Timeout: cmp.Or(timeout, api.DefaultTimeout)}
	}
	g := api.GuardRedirects(hc, base)
	g.Transport = api.ScrubTransport(g.Transport, key)
	return g
}
