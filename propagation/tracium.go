package propagation

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/baggage"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/enduser"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/ctxval"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

// Tracium is the Tracium propagator: an OTel TextMapPropagator that carries
// the tenant, the workspace, the end user and session, and the identity of
// the current agent trace as
// W3C baggage members under [Prefix] (see the package documentation).
//
// The zero Tracium is ready to use: it injects unsigned members and ignores
// inbound ones, as [New] with no options does. A Tracium is a small value;
// copies share their configuration. It is safe for concurrent use, and its
// methods never panic and never block.
type Tracium struct {
	c *config
}

var _ otelpropagation.TextMapPropagator = Tracium{}

// New returns a propagator configured by opts. It fails only on a malformed
// option (a [Policy] missing what it needs).
func New(opts ...Option) (Tracium, error) {
	c, err := newConfig(opts)
	if err != nil {
		return Tracium{}, err
	}
	return Tracium{c: c}, nil
}

func (t Tracium) cfg() *config {
	if t.c == nil {
		return defaultConfig
	}
	return t.c
}

// Policy returns the trust policy for inbound members.
func (t Tracium) Policy() Policy { return t.cfg().policy }

// Composite returns the propagator to install as OTel's text map
// propagator (otel.SetTextMapPropagator): W3C trace context, then W3C
// baggage, then t. Trace context comes first so that Extract finds the
// caller's span. Baggage comes before t because Baggage's Inject replaces
// the whole baggage header: after it, t adds its members to what Baggage
// wrote. Extract gives the same typed values in either order, but only
// after Baggage's can it remove the inbound Tracium members from the OTel
// baggage Baggage put into the context.
func (t Tracium) Composite() otelpropagation.TextMapPropagator {
	return otelpropagation.NewCompositeTextMapPropagator(otelpropagation.TraceContext{}, otelpropagation.Baggage{}, t)
}

// Fields returns the headers Inject sets: baggage, and x-tenant-id with
// [WithTenantHeader].
func (t Tracium) Fields() []string {
	if t.cfg().tenantHeader {
		return []string{baggageHeader, tenantHeader}
	}
	return []string{baggageHeader}
}

// bufPool holds header buffers, so that Inject allocates only the header
// string it sets. Buffers grown past maxPooled by a huge inbound header are
// left to the garbage collector.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

const maxPooled = 2 * MaxBytes

// clearHeader removes a header from the carriers that can, and sets it
// empty on the others.
func clearHeader(carrier otelpropagation.TextMapCarrier, name string) {
	switch c := carrier.(type) {
	case otelpropagation.HeaderCarrier:
		http.Header(c).Del(name)
	case otelpropagation.MapCarrier:
		delete(c, name)
	default:
		carrier.Set(name, "")
	}
}

// Inject writes the Tracium members of ctx into carrier's baggage header:
// the tenant, workspace, user and session of the agent trace ctx is in,
// else those ctx carries; and when ctx is in an agent trace, its id, agent name and the
// depth of the span current in ctx. With [WithSigning] the set is signed.
//
// Inject merges: list-members already in the header (written by otel's
// Baggage propagator, or by hand) are kept, in order, and any member under
// [Prefix] among them is replaced by the set of ctx, which is the only
// authority on them. A header that would exceed [MaxMembers] or
// [MaxBytes] with the set is left without it, and that is reported to the
// OTel error handler (rate-limited).
func (t Tracium) Inject(ctx context.Context, carrier otelpropagation.TextMapCarrier) {
	if ctx == nil || carrier == nil {
		return
	}
	c := t.cfg()
	var s set
	c.collect(ctx, &s)

	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
	var sig []byte
	if c.signing != nil && !s.empty() {
		s.kid = c.signing.current.id
		s.ts = c.now().Unix()
		b = appendCanonical(b, &s)
		msgEnd := len(b)
		b = c.signing.current.appendSig(b, b[:msgEnd])
		sig = b[msgEnd:]
		// The header is built after the signature, in the same buffer.
	}
	start := len(b)
	one, many := headerValues(carrier, baggageHeader)
	b, n, removed := appendKept(b, 0, one, many)
	kept, keptN := len(b), n
	b, n = appendMembers(b, n, &s, sig)
	if n > MaxMembers || len(b)-start > MaxBytes {
		c.report(fmt.Errorf("tracium propagation: inject: the baggage header would have %d members and %d bytes with the Tracium members, more than %d or %d; they are not sent", n, len(b)-start, MaxMembers, MaxBytes))
		b, n = b[:kept], keptN
		s = set{} // and no X-Tenant-ID either: it would contradict the baggage
	}
	switch {
	case n > keptN || removed && n > 0:
		carrier.Set(baggageHeader, string(b[start:]))
	case removed:
		clearHeader(carrier, baggageHeader)
	}
	if cap(b) <= maxPooled {
		*bp = b
		bufPool.Put(bp)
	}
	if c.tenantHeader && s.tenant != "" {
		carrier.Set(tenantHeader, s.tenant)
	}
}

// collect fills s from ctx.
func (c *config) collect(ctx context.Context, s *set) {
	sc := agentctx.From(ctx)
	if sc != nil {
		s.tenant, s.workspace = sc.Trace.Tenant, sc.Trace.Workspace
		s.user, s.session = sc.Trace.User, sc.Trace.Session
		if sc.Trace.ID != "" {
			s.trace, s.agent = sc.Trace.ID, sc.Trace.AgentName
			s.depth = sc.DepthOf(trace.SpanFromContext(ctx).SpanContext().SpanID())
		}
	}
	ctxval.Fill(ctx, &s.tenant, tenant.From)
	ctxval.Fill(ctx, &s.workspace, workspace.From)
	ctxval.Fill(ctx, &s.user, enduser.UserFromContext)
	ctxval.Fill(ctx, &s.session, enduser.SessionFromContext)
}

// Extract reads the Tracium members of carrier and, when the trust policy
// believes them and they are valid, returns ctx with them: the tenant
// (tenant.With), the workspace (workspace.With), the user and session
// (enduser.ContextWithUser, enduser.ContextWithSession) and, for a caller inside an
// agent trace, that trace as a remote trace, so that spans started from the
// returned context (tracium.StartSpan, or any instrumentation) join it,
// nested under the caller's span. The caller's span is the one in ctx's span
// context: run Extract after W3C trace context's (as [Tracium.Composite]
// does).
//
// Inbound members under [Prefix] are always removed from the OTel baggage
// of ctx, whether believed or not, so that a member the policy rejects is not
// passed on, and a believed one is passed on only as the typed values above.
// Everything else in ctx is kept. A rejected set is reported to the OTel
// error handler, at most once per [WithErrorInterval]; on any bad input,
// Extract returns ctx with nothing added but the [WithDefaultWorkspace].
func (t Tracium) Extract(ctx context.Context, carrier otelpropagation.TextMapCarrier) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	if carrier == nil {
		return ctx
	}
	return t.cfg().extract(ctx, carrier, nil)
}

// extract is Extract; when adopt is a recording server span started before
// the context knew of the agent trace, the span joins the trace as the
// caller's child, and the trace's spans nest under it.
func (c *config) extract(ctx context.Context, carrier otelpropagation.TextMapCarrier, adopt trace.Span) context.Context {
	ctx = stripBaggage(ctx)
	if c.policy.mode == modeIgnore {
		return c.defaults(ctx)
	}
	s, ok := c.accept(ctx, carrier)
	if !ok {
		return c.defaults(ctx)
	}
	if s.tenant != "" {
		ctx = tenant.With(ctx, s.tenantID)
	}
	if s.workspace != "" {
		ctx = workspace.With(ctx, s.workspaceID)
	} else {
		ctx = c.defaults(ctx)
	}
	if s.user != "" {
		ctx = enduser.ContextWithUser(ctx, s.userID)
	}
	if s.session != "" {
		ctx = enduser.ContextWithSession(ctx, s.sessionID)
	}
	if s.trace == "" {
		return ctx
	}
	ws := ""
	if id, ok := workspace.From(ctx); ok {
		ws = id.String()
	}
	tr := &agentctx.Trace{ID: s.trace, AgentName: s.agent, Tenant: s.tenant, Workspace: ws,
		User: s.user, Session: s.session, Remote: true, Tracer: c.tracer}
	tr.Seal() // as agentctx.NewRemote does, with the user and session
	scope := agentctx.Scope{Trace: tr, SpanID: trace.SpanContextFromContext(ctx).SpanID(), Depth: s.depth}
	if adopt != nil {
		scope.SpanID, scope.Depth = adopt.SpanContext().SpanID(), s.depth+1
		adopt.SetAttributes(tr.Stamp()...)
		adopt.SetAttributes(semconv.DepthKey.Int(scope.Depth))
	}
	return agentctx.With(ctx, scope)
}

// accept reads the inbound set and applies the policy. ok is false when
// there is nothing to believe; a rejection is reported.
func (c *config) accept(ctx context.Context, carrier otelpropagation.TextMapCarrier) (set, bool) {
	var hdr string
	hasHdr := false
	if c.tenantHeader {
		one, many := headerValues(carrier, tenantHeader)
		switch {
		case len(many) > 1:
			c.reject(fmt.Errorf("header X-Tenant-ID given %d times", len(many)))
			return set{}, false
		case one != "":
			hdr, hasHdr = one, true
		}
	}
	one, many := headerValues(carrier, baggageHeader)
	if one == "" && len(many) == 0 && !hasHdr {
		return set{}, false
	}
	r, err := scan(one, many)
	if err != nil {
		c.reject(err)
		return set{}, false
	}
	if !r.any() && !hasHdr {
		return set{}, false
	}
	if c.policy.mode == modeTrustIf && !c.policy.approve(ctx, carrier) {
		return set{}, false
	}
	s, sig, err := parse(&r, hdr, hasHdr)
	if err != nil {
		c.reject(err)
		return set{}, false
	}
	if c.policy.mode == modeSigned {
		if err := c.verify(&s, &r, sig); err != nil {
			c.reject(err)
			return set{}, false
		}
	}
	return s, !s.empty()
}

// verify checks the signature of s.
func (c *config) verify(s *set, r *raw, sig string) error {
	if !r.has(mSig) || !r.has(mKeyID) || !r.has(mTime) {
		return fmt.Errorf("the set is not signed (policy %s needs %s, %s and %s)", c.policy, MemberKeyID, MemberTime, MemberSignature)
	}
	k := c.policy.keys.find(s.kid)
	if k == nil {
		return fmt.Errorf("member %s names no key of the keyring", MemberKeyID)
	}
	bp := bufPool.Get().(*[]byte)
	msg := appendCanonical((*bp)[:0], s)
	ok := k.verify(msg, sig)
	*bp = msg
	bufPool.Put(bp)
	if !ok {
		return fmt.Errorf("signature does not verify with key %q", s.kid)
	}
	age := c.now().Sub(time.Unix(s.ts, 0))
	switch {
	case age > c.maxAge:
		return fmt.Errorf("signed %s ago, more than the %s allowed", age.Round(time.Second), c.maxAge)
	case age < -c.maxAge:
		return fmt.Errorf("signed %s in the future, more than the %s allowed", (-age).Round(time.Second), c.maxAge)
	}
	return nil
}

func (c *config) reject(err error) {
	c.report(fmt.Errorf("tracium propagation: extract: %w (policy %s): %w; tenant, workspace and agent trace dropped", errRejected, c.policy, err))
}

// defaults puts the default workspace into a ctx that has none.
func (c *config) defaults(ctx context.Context) context.Context {
	if c.defWorkspace.IsZero() {
		return ctx
	}
	if _, ok := workspace.From(ctx); ok {
		return ctx
	}
	return workspace.With(ctx, c.defWorkspace)
}

// stripBaggage removes members under [Prefix] from the OTel baggage of ctx.
func stripBaggage(ctx context.Context) context.Context {
	bag := baggage.FromContext(ctx)
	if bag.Len() == 0 {
		return ctx
	}
	ms := bag.Members()
	kept := ms[:0]
	for _, m := range ms {
		if !isOurs(m.Key()) {
			kept = append(kept, m)
		}
	}
	if len(kept) == len(ms) {
		return ctx
	}
	if len(kept) == 0 {
		return baggage.ContextWithoutBaggage(ctx)
	}
	nb, _ := baggage.New(kept...) // members of a valid baggage stay valid
	return baggage.ContextWithBaggage(ctx, nb)
}
