package propagation_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"
	otelpropagation "go.opentelemetry.io/otel/propagation"

	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
)

func ExampleTracium_Composite() {
	// The receiving side trusts its callers (a private network).
	p, err := propagation.New(propagation.WithPolicy(propagation.Trust()))
	if err != nil {
		panic(err)
	}
	prop := p.Composite() // what to pass to otel.SetTextMapPropagator

	// The sending side: a tenant and some baggage of the application's own.
	acme, _ := tenant.New("Acme Corp")
	user, _ := baggage.Parse("userId=alice")
	ctx := tenant.With(baggage.ContextWithBaggage(context.Background(), user), acme)

	carrier := otelpropagation.MapCarrier{}
	prop.Inject(ctx, carrier)
	fmt.Println(carrier.Get("baggage"))

	got := prop.Extract(context.Background(), carrier)
	id, _ := tenant.From(got)
	fmt.Println(id, "|", baggage.FromContext(got))
	// Output:
	// userId=alice,tracium.tenant=Acme%20Corp
	// Acme Corp | userId=alice
}

func ExampleSigned() {
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { fmt.Println("reported:", err) }))
	defer otel.SetErrorHandler(prev)

	kr, err := propagation.NewKeyring(propagation.Key{ID: "2026-01", Secret: []byte("a shared secret of 32 bytes!!!!!")})
	if err != nil {
		panic(err)
	}
	sender, _ := propagation.New(propagation.WithSigning(kr))
	receiver, _ := propagation.New(propagation.WithPolicy(propagation.Signed(kr)))

	acme, _ := tenant.New("acme")
	carrier := otelpropagation.MapCarrier{}
	sender.Inject(tenant.With(context.Background(), acme), carrier)
	id, ok := tenant.From(receiver.Extract(context.Background(), carrier))
	fmt.Println("signed:", id, ok)

	// A caller claims another tenant, keeping the signature.
	carrier["baggage"] = strings.Replace(carrier["baggage"], "acme", "victim", 1)
	id, ok = tenant.From(receiver.Extract(context.Background(), carrier))
	fmt.Println("forged:", id, ok)
	// Output:
	// signed: acme true
	// reported: tracium propagation: extract: inbound Tracium members rejected (policy signed): signature does not verify with key "2026-01"; tenant, workspace and agent trace dropped
	// forged:  false
}

func ExampleTracium_Middleware() {
	p, _ := propagation.New(propagation.WithPolicy(propagation.Trust()), propagation.WithTenantHeader())
	h := p.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := tenant.From(r.Context())
		fmt.Fprintf(w, "tenant %q", id)
	}))

	for _, hdr := range []http.Header{
		{"Baggage": {"tracium.tenant=acme"}},
		{"X-Tenant-Id": {"globex"}},
		{},
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header = hdr
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Body.String())
	}
	// Output:
	// tenant "acme"
	// tenant "globex"
	// tenant ""
}

func ExampleTracium_Transport() {
	show := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Printf("%s got baggage %q, X-Tenant-ID %q\n", name, r.Header.Get("Baggage"), r.Header.Get("X-Tenant-ID"))
		}))
	}
	tools, llm := show("tools"), show("llm-provider")
	defer tools.Close()
	defer llm.Close()

	p, _ := propagation.New(propagation.WithTenantHeader())
	client := &http.Client{Transport: p.Transport(nil,
		propagation.WithAllowedHosts(strings.TrimPrefix(tools.URL, "http://")))}

	acme, _ := tenant.New("acme")
	ctx, cancel := context.WithTimeout(tenant.With(context.Background(), acme), 10*time.Second)
	defer cancel()
	for _, u := range []string{tools.URL, llm.URL} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		req.Header.Set("Baggage", "userId=alice")
		resp, err := client.Do(req)
		if err != nil {
			panic(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	// Output:
	// tools got baggage "userId=alice,tracium.tenant=acme", X-Tenant-ID "acme"
	// llm-provider got baggage "userId=alice", X-Tenant-ID ""
}
