// Command collector sends agent traces to Tracium through an OpenTelemetry
// Collector: exporter.NewOTLP posts OTLP/HTTP to the Collector's OTLP
// receiver, and the spans carry the tracium.* and gen_ai.* attributes the
// Collector routes on (collector.yaml, README.md).
//
//	go run .   (from examples/collector)
//
// With TRACIUM_BASE_URL unset it runs the Collector's own OTLP receiver
// (go.opentelemetry.io/collector/receiver/otlpreceiver) in process, on
// 127.0.0.1, and prints what arrived: each span with its tenant, workspace
// and model, and the headers of the requests. With TRACIUM_BASE_URL set to
// a running Collector (http://localhost:4318) it sends there instead, with
// TRACIUM_API_KEY and TRACIUM_WORKSPACE_ID as headers when set.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
)

// localAPIKey is what the in-process run sends as X-API-Key, to show the
// header reaching the Collector.
const localAPIKey = "local-demo-key"

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "collector:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, getenv func(string) string) error {
	var (
		sink *consumertest.TracesSink
		opts []exporter.Option
	)
	workspaceID := cmp.Or(getenv("TRACIUM_WORKSPACE_ID"), "ws_support")
	if getenv("TRACIUM_BASE_URL") == "" {
		sink = new(consumertest.TracesSink)
		endpoint, stop, err := startReceiver(ctx, sink)
		if err != nil {
			return err
		}
		defer func() { _ = stop(context.WithoutCancel(ctx)) }()
		opts = append(opts, exporter.WithBaseURL(endpoint), exporter.WithAPIKey(localAPIKey))
	}
	opts = append(opts, exporter.WithOTLPWorkspace(workspaceID))
	exp, err := exporter.NewOTLP(ctx, opts...)
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(
		tracium.NewSpanProcessor(exp, tracium.WithDefaultWorkspace(workspaceID))))
	for _, name := range []string{"acme", "globex"} {
		id, err := tenant.New(name)
		if err != nil {
			return err
		}
		runAgent(tenant.With(ctx, id), tp)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		return err
	}
	if sink == nil {
		fmt.Fprintln(w, "sent to", getenv("TRACIUM_BASE_URL"))
		return nil
	}
	report(w, sink)
	return nil
}

// runAgent is the application: one agent trace with an llm and a tool span.
func runAgent(ctx context.Context, tp *sdktrace.TracerProvider) {
	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(tp), tracium.WithModel("gpt-4o-mini"))
	defer tr.End()
	_, llm := tracium.StartSpan(ctx, tracium.LLM, "answer",
		tracium.WithModel("gpt-4o-mini"), tracium.WithProvider("openai"))
	llm.RecordInput([]map[string]string{{"role": "user", "content": "Where is my order?"}})
	llm.RecordOutput("Let me look it up.")
	llm.SetTokenUsage(tracium.Usage{InputTokens: 12, OutputTokens: 6})
	llm.End()
	_, tool := tracium.StartSpan(ctx, tracium.Tool, "lookup-order")
	tool.End()
}

// startReceiver runs the Collector's OTLP receiver, HTTP only, on a free
// loopback port, with include_metadata so that the request headers reach
// the consumer. It returns the base URL to send to.
func startReceiver(ctx context.Context, next *consumertest.TracesSink) (string, func(context.Context) error, error) {
	f := otlpreceiver.NewFactory()
	var errs []error
	for range 3 { // another process may take the free port before we bind it
		addr, err := freeAddr()
		if err != nil {
			return "", nil, err
		}
		cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
		cfg.Protocols.GRPC = configoptional.None[configgrpc.ServerConfig]()
		hc := cfg.Protocols.HTTP.GetOrInsertDefault() // as "http:" in YAML
		hc.ServerConfig.NetAddr.Endpoint = addr
		hc.ServerConfig.IncludeMetadata = true
		r, err := f.CreateTraces(ctx, receivertest.NewNopSettings(f.Type()), cfg, next)
		if err != nil {
			return "", nil, fmt.Errorf("create otlp receiver: %w", err)
		}
		if err := r.Start(ctx, componenttest.NewNopHost()); err != nil {
			errs = append(errs, err)
			_ = r.Shutdown(ctx)
			continue
		}
		return "http://" + addr, r.Shutdown, nil
	}
	return "", nil, fmt.Errorf("start otlp receiver: %w", errors.Join(errs...))
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// report prints the headers of the requests the receiver got, then one
// line per span, sorted.
func report(w io.Writer, sink *consumertest.TracesSink) {
	for _, ctx := range sink.Contexts() {
		md := client.FromContext(ctx).Metadata
		fmt.Fprintf(w, "request: X-API-Key=%s X-Workspace-ID=%s\n",
			strings.Join(md.Get("X-API-Key"), ","), strings.Join(md.Get("X-Workspace-ID"), ","))
	}
	var lines []string
	traces := map[string]map[string]int{} // tenant -> tracium.trace.id -> spans
	for _, td := range sink.AllTraces() {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					a := sp.Attributes()
					ten := str(a, semconv.TenantIDKey)
					if traces[ten] == nil {
						traces[ten] = map[string]int{}
					}
					traces[ten][str(a, semconv.TraceIDKey)]++
					lines = append(lines, fmt.Sprintf("span %-12s agent=%s tenant=%s workspace=%s type=%s op=%s model=%s in=%s out=%s",
						sp.Name(), str(a, semconv.AgentNameKey), str(a, semconv.TenantIDKey), str(a, semconv.WorkspaceIDKey), str(a, semconv.SpanTypeKey),
						str(a, semconv.GenAIOperationNameKey), str(a, semconv.GenAIRequestModelKey),
						str(a, semconv.GenAIUsageInputTokensKey), str(a, semconv.GenAIUsageOutputTokensKey)))
				}
			}
		}
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	for _, ten := range slices.Sorted(maps.Keys(traces)) {
		var counts []string
		for _, n := range traces[ten] {
			counts = append(counts, fmt.Sprint(n))
		}
		fmt.Fprintf(w, "tenant %s: %d tracium.trace.id, spans per trace %s\n", ten, len(traces[ten]), strings.Join(counts, ","))
	}
}

// str returns an attribute as text, "-" when absent.
func str(m pcommon.Map, key attribute.Key) string {
	v, ok := m.Get(string(key))
	if !ok {
		return "-"
	}
	return v.AsString()
}
