// Command multiservice runs one agent trace across three services on
// loopback: a gateway, an agent service and a tool service, each with its own
// TracerProvider and Tracium exporter.
//
//	end user ──X-Tenant-ID──▶ gateway ──signed baggage──▶ agent ──signed baggage──▶ tools
//	                                                        └──(nothing of ours)──▶ LLM provider
//
// The gateway is the public edge: it takes the tenant from the end user's
// request once (tenant.Middleware stands in for real authentication),
// ignores any Tracium baggage the user sends, and starts the agent trace.
// The agent and tool services believe only member sets signed with the key
// the three services share (propagation.Signed), join the trace and add
// their spans to it; the agent service puts its default workspace into the
// context, and the tool service sees it. The agent's HTTP client sends the
// members to the tool service only: the LLM provider, a third party, gets
// trace context but no tenant.
//
// Each service exports on its own. The gateway sends the trace's start and
// completion; the others send spans only, and retry while the start has not
// arrived. With TRACIUM_API_KEY unset the program needs no account: it starts
// an embedded Tracium receiver (traciumtest) and prints what it received.
//
//	go run ./examples/multiservice
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
	"github.com/tracium-ai/tracium-go/workspace"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "multiservice:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, getenv func(string) string) error {
	var cfg config
	var local *traciumtest.Server
	if getenv("TRACIUM_API_KEY") == "" {
		local = traciumtest.NewServer()
		defer local.Close()
		fmt.Fprintln(w, "TRACIUM_API_KEY is not set: sending to an embedded local receiver.")
		cfg.exporter = []exporter.Option{exporter.WithAPIKey(local.APIKey()), exporter.WithBaseURL(local.URL())}
	}
	sys, err := start(cfg)
	if err != nil {
		return err
	}
	ans, askErr := sys.ask(ctx, "acme", "Where is my order #1042?")

	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := sys.close(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if askErr != nil {
		return askErr
	}
	fmt.Fprintf(w, "gateway answered: %s (trace %s)\n", ans.Answer, ans.TraceID)
	if local == nil {
		fmt.Fprintln(w, "trace sent to Tracium.")
		return nil
	}
	if n := sys.dropped(); n > 0 {
		return fmt.Errorf("%d spans dropped", n)
	}
	fmt.Fprintln(w, "\nThe receiver got:")
	return local.WriteTree(w)
}

// config says where the services send and how they export.
type config struct {
	// exporter configures the three exporters (each reads TRACIUM_* too).
	exporter []exporter.Option
	// batchTimeout is how long each batch span processor waits before it
	// exports on its own; 0 keeps OTel's default (5s).
	batchTimeout time.Duration
	// lazy starts the agent trace lazily: its start goes out with the
	// gateway's first exported span, not right away.
	lazy bool
	// secret is the key the services sign and verify with; nil draws one.
	secret []byte
}

// The agent the gateway runs, and the agent service's default workspace.
const (
	agentName        = "concierge"
	defaultWorkspace = "ws-support"
)

// service is one process of the system: its provider, exporter and server.
type service struct {
	name string
	tp   *sdktrace.TracerProvider
	exp  *exporter.Exporter
	srv  *httptest.Server
}

// system is the three services and the third-party LLM provider.
type system struct {
	cfg                   config
	gateway, agent, tools *service
	llm                   *httptest.Server

	mu         sync.Mutex
	llmHeaders []http.Header // what the LLM provider received
}

// start starts the tool service, the LLM provider, the agent service and
// the gateway, each on a loopback port.
func start(cfg config) (_ *system, err error) {
	secret := cfg.secret
	if secret == nil {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	keys, err := propagation.NewKeyring(propagation.Key{ID: "demo-1", Secret: secret})
	if err != nil {
		return nil, err
	}
	s := &system{cfg: cfg}
	defer func() {
		if err != nil {
			_ = s.close(context.Background())
		}
	}()

	if s.tools, err = s.newService("tools"); err != nil {
		return nil, err
	}
	tp, err := propagation.New(propagation.WithPolicy(propagation.Signed(keys)),
		propagation.WithTracerProvider(s.tools.tp))
	if err != nil {
		return nil, err
	}
	s.tools.srv = httptest.NewServer(tp.Middleware(http.HandlerFunc(lookupOrder)))

	s.llm = httptest.NewServer(http.HandlerFunc(s.chatCompletion))

	if s.agent, err = s.newService("agent"); err != nil {
		return nil, err
	}
	ws, err := workspace.New(defaultWorkspace)
	if err != nil {
		return nil, err
	}
	ap, err := propagation.New(propagation.WithPolicy(propagation.Signed(keys)), propagation.WithSigning(keys),
		propagation.WithTracerProvider(s.agent.tp), propagation.WithDefaultWorkspace(ws))
	if err != nil {
		return nil, err
	}
	agentClient := &http.Client{Transport: ap.Transport(http.DefaultTransport,
		propagation.WithAllowedHosts(hostOf(s.tools.srv.URL)),
		propagation.WithPropagators(otelpropagation.TraceContext{}))}
	s.agent.srv = httptest.NewServer(ap.Middleware(s.answer(agentClient)))

	if s.gateway, err = s.newService("gateway"); err != nil {
		return nil, err
	}
	gp, err := propagation.New(propagation.WithSigning(keys)) // policy Ignore: a public edge
	if err != nil {
		return nil, err
	}
	gatewayClient := &http.Client{Transport: gp.Transport(http.DefaultTransport,
		propagation.WithAllowedHosts(hostOf(s.agent.srv.URL)),
		propagation.WithPropagators(otelpropagation.TraceContext{}))}
	s.gateway.srv = httptest.NewServer(
		tenant.Middleware(tenant.WithMissing(tenant.Reject))(gp.Middleware(s.route(gatewayClient))))
	return s, nil
}

// newService builds a service's exporter and TracerProvider.
func (s *system) newService(name string) (*service, error) {
	exp, err := exporter.New(s.cfg.exporter...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var batch []sdktrace.BatchSpanProcessorOption
	if s.cfg.batchTimeout > 0 {
		batch = append(batch, sdktrace.WithBatchTimeout(s.cfg.batchTimeout))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp, tracium.WithBatchOptions(batch...))),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", name))),
	)
	return &service{name: name, tp: tp, exp: exp}, nil
}

// question is what the end user asks; answer is what they get back.
type question struct {
	Question string `json:"question"`
}

type answer struct {
	Answer  string `json:"answer"`
	TraceID string `json:"trace_id,omitempty"`
}

// ask sends the end user's question to the gateway, as tenant ten.
func (s *system) ask(ctx context.Context, ten, q string) (answer, error) {
	var a answer
	err := postJSON(ctx, http.DefaultClient, s.gateway.srv.URL+"/ask", question{q}, &a, http.Header{tenant.Header: {ten}})
	return a, err
}

// route is the gateway: it starts the agent trace and hands the question to
// the agent service.
func (s *system) route(client *http.Client) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ask", func(w http.ResponseWriter, r *http.Request) {
		var q question
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		opts := []tracium.TraceOption{tracium.WithTracerProvider(s.gateway.tp), tracium.WithModel("gpt-4o-mini"), tracium.WithTags("multiservice")}
		if s.cfg.lazy {
			opts = append(opts, tracium.WithLazyStart())
		}
		ctx, tr := tracium.StartTrace(r.Context(), agentName, opts...)
		defer tr.End()
		a, err := tracium.RunSpan(ctx, tracium.Chain, "route", func(ctx context.Context, sp tracium.Span) (answer, error) {
			sp.RecordInput(q)
			var a answer
			err := postJSON(ctx, client, s.agent.srv.URL+"/answer", q, &a, nil)
			return a, err
		})
		if err != nil {
			tr.MarkFailed(err)
			http.Error(w, "agent unavailable", http.StatusBadGateway)
			return
		}
		tr.SetSummary(map[string]any{"answer": a.Answer})
		a.TraceID = tr.ID()
		_ = json.NewEncoder(w).Encode(a)
	})
	return mux
}

// answer is the agent service: it plans with the LLM provider and calls the
// tool service, inside the agent trace the gateway started.
func (s *system) answer(client *http.Client) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /answer", func(w http.ResponseWriter, r *http.Request) {
		var q question
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		a, err := tracium.RunSpan(r.Context(), tracium.Chain, "answer", func(ctx context.Context, _ tracium.Span) (answer, error) {
			plan, err := tracium.RunSpan(ctx, tracium.LLM, "plan", func(ctx context.Context, sp tracium.Span) (string, error) {
				msgs := []map[string]string{{"role": "user", "content": q.Question}}
				sp.RecordInput(msgs)
				var c completion
				if err := postJSON(ctx, client, s.llm.URL+"/v1/chat/completions", map[string]any{"messages": msgs}, &c, nil); err != nil {
					return "", err
				}
				sp.RecordOutput(map[string]string{"role": "assistant", "content": c.Content})
				sp.SetTokenUsage(tracium.Usage{InputTokens: c.InputTokens, OutputTokens: c.OutputTokens})
				return c.Content, nil
			}, tracium.WithModel("gpt-4o-mini"), tracium.WithProvider("openai"))
			if err != nil {
				return answer{}, err
			}
			status, err := tracium.RunSpan(ctx, tracium.Tool, "call-tool", func(ctx context.Context, sp tracium.Span) (order, error) {
				sp.RecordInput(map[string]string{"plan": plan})
				var o order
				err := postJSON(ctx, client, s.tools.srv.URL+"/lookup", map[string]string{"order_id": "1042"}, &o, nil)
				return o, err
			})
			if err != nil {
				return answer{}, err
			}
			return answer{Answer: "Your order has " + status.Status + "."}, nil
		})
		if err != nil {
			http.Error(w, "tool unavailable", http.StatusBadGateway)
			return
		}
		_ = json.NewEncoder(w).Encode(a)
	})
	return mux
}

// order is what the tool service answers.
type order struct {
	OrderID   string `json:"order_id"`
	Status    string `json:"status"`
	Tenant    string `json:"tenant"`
	Workspace string `json:"workspace"`
}

// lookupOrder is the tool service: one span, in the agent trace, with the
// tenant and workspace that reached it.
func lookupOrder(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OrderID string `json:"order_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	o, _ := tracium.RunSpan(r.Context(), tracium.Tool, "lookup-order", func(ctx context.Context, sp tracium.Span) (order, error) {
		sp.RecordInput(in)
		ten, _ := tenant.From(ctx)
		ws, _ := workspace.From(ctx)
		o := order{OrderID: in.OrderID, Status: "shipped", Tenant: ten.String(), Workspace: ws.String()}
		sp.RecordOutput(o)
		return o, nil
	})
	_ = json.NewEncoder(w).Encode(o)
}

// completion is what the stand-in LLM provider answers.
type completion struct {
	Content      string `json:"content"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
}

// chatCompletion stands in for a third-party LLM API, and records the
// headers it receives.
func (s *system) chatCompletion(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.llmHeaders = append(s.llmHeaders, r.Header.Clone())
	s.mu.Unlock()
	_, _ = io.Copy(io.Discard, r.Body)
	_ = json.NewEncoder(w).Encode(completion{Content: "look up order 1042", InputTokens: 21, OutputTokens: 6})
}

// close stops the servers, then flushes and shuts down the providers,
// upstream first. It honours ctx.
func (s *system) close(ctx context.Context) error {
	for _, srv := range []*httptest.Server{s.gatewaySrv(), s.agentSrv(), s.toolsSrv(), s.llm} {
		if srv != nil {
			srv.Close()
		}
	}
	var errs []error
	for _, svc := range []*service{s.gateway, s.agent, s.tools} {
		if svc != nil {
			if err := svc.tp.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", svc.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (s *system) gatewaySrv() *httptest.Server { return srvOf(s.gateway) }
func (s *system) agentSrv() *httptest.Server   { return srvOf(s.agent) }
func (s *system) toolsSrv() *httptest.Server   { return srvOf(s.tools) }

func srvOf(svc *service) *httptest.Server {
	if svc == nil {
		return nil
	}
	return svc.srv
}

// dropped counts the spans the three exporters gave up on.
func (s *system) dropped() uint64 {
	var n uint64
	for _, svc := range []*service{s.gateway, s.agent, s.tools} {
		n += svc.exp.Stats().SpansDropped
	}
	return n
}

// postJSON posts in as JSON to u and decodes the answer into out.
func postJSON(ctx context.Context, c *http.Client, u string, in, out any, h http.Header) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("POST %s: %s: %s", u, resp.Status, strings.TrimSpace(string(msg)))
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// hostOf returns the host:port of a server URL.
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Host
}
