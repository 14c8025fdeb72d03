package tracium_test

// A sweep of the cut claim: every secret class of redact/patterns.go, placed
// behind a range of prefixes, so that each field's limit lands at every
// offset inside the secret; each planted secret has a random core of its own,
// and every raw request body of its trace is searched for any 8-character
// piece of it. A case counts only when redaction masks the uncut text (the
// oracle), so that what leaks is the cut's doing.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/redact"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

type acGen struct {
	r *rand.Rand
}

func (g acGen) pick(alpha string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[g.r.IntN(len(alpha))]
	}
	return string(b)
}

const (
	acAlnum = "ABCDEFGHIJKLMNOPRSTUVWXYabcdefghijklmnoprstuvwxy0123456789" // no q, z: the filler's letters
	acUpper = "ABCDEFGHIJKLMNOPRSTUVWXY0123456789"
	acHex   = "0123456789ABCDEF"
	acDigit = "0123456789"
)

func (g acGen) A(n int) string { return g.pick(acAlnum, n) }

func (g acGen) card() string {
	d := "4" + g.pick(acDigit, 14)
	sum, double := 0, true
	for i := len(d) - 1; i >= 0; i-- {
		x := int(d[i] - '0')
		if double {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
		double = !double
	}
	return d + fmt.Sprint((10-sum%10)%10)
}

// acClasses: name -> (secret, core that must not leave).
var acClasses = []struct {
	name string
	make func(g acGen) (secret, core string)
}{
	{"openai sk-", func(g acGen) (string, string) { c := g.A(48); return "sk-" + c, c }},
	{"openai sk-proj-", func(g acGen) (string, string) {
		c := g.A(10) + "-" + g.A(9) + "_" + g.A(30)
		return "sk-proj-" + c, c
	}},
	{"anthropic sk-ant-", func(g acGen) (string, string) {
		c := g.A(30) + "-" + g.A(20) + "AA"
		return "sk-ant-api03-" + c, c
	}},
	{"stripe sk_live_", func(g acGen) (string, string) { c := g.A(32); return "sk_live_" + c, c }},
	{"stripe rk_test_", func(g acGen) (string, string) { c := g.A(24); return "rk_test_" + c, c }},
	{"slack xoxb-", func(g acGen) (string, string) {
		c := g.pick(acDigit, 12) + "-" + g.pick(acDigit, 13) + "-" + g.A(24)
		return "xoxb-" + c, c
	}},
	{"aws AKIA", func(g acGen) (string, string) { c := g.pick(acUpper, 16); return "AKIA" + c, c }},
	{"github ghp_", func(g acGen) (string, string) { c := g.A(36); return "ghp_" + c, c }},
	{"github github_pat_", func(g acGen) (string, string) {
		c := g.A(22) + "_" + g.A(59)
		return "github_pat_" + c, c
	}},
	{"google AIza", func(g acGen) (string, string) {
		c := "Sy" + g.A(14) + "-" + g.A(18)
		return "AIza" + c, c
	}},
	{"jwt signature", func(g acGen) (string, string) {
		sig := g.A(43)
		return "eyJ" + g.A(20) + ".eyJ" + g.A(30) + "." + sig, sig
	}},
	{"bearer", func(g acGen) (string, string) { c := g.A(20) + "." + g.A(20); return "Bearer " + c, c }},
	{"basic", func(g acGen) (string, string) {
		c := base64.StdEncoding.EncodeToString([]byte("admin:" + g.A(24)))
		return "Basic " + c, c[8:] // "YWRtaW46" is "admin:", the same in every case
	}},
	{"url password", func(g acGen) (string, string) {
		c := g.A(24)
		return "https://dbadmin:" + c + "@db.example.com/x", c
	}},
	{"url user token", func(g acGen) (string, string) {
		c := g.pick(acHex, 40) // upper case: no collision with the body's hex ids
		return "https://" + c + ":x-oauth-basic@github.com/o/r.git", c
	}},
	{"password=", func(g acGen) (string, string) { c := g.A(24); return "password=" + c, c }},
	{"refresh_token: ", func(g acGen) (string, string) { c := g.A(24); return "refresh_token: " + c, c }},
	{`api_key="…"`, func(g acGen) (string, string) { c := g.A(24); return `api_key="` + c + `"`, c }},
	{`password="a b c"`, func(g acGen) (string, string) {
		c := g.A(10) + " " + g.A(10) + " " + g.A(10)
		return `password="` + c + `"`, c
	}},
	{"card", func(g acGen) (string, string) { c := g.card(); return c, c }},
	{"card 4x4 spaces", func(g acGen) (string, string) {
		d := g.card()
		c := d[:4] + " " + d[4:8] + " " + d[8:12] + " " + d[12:]
		return c, c
	}},
	{"card 4x4 dashes", func(g acGen) (string, string) {
		d := g.card()
		c := d[:4] + "-" + d[4:8] + "-" + d[8:12] + "-" + d[12:]
		return c, c
	}},
	{"email", func(g acGen) (string, string) {
		c := g.pick("abcdefghijklmnoprstuvwxy", 10) + "." + g.pick("abcdefghijklmnoprstuvwxy", 8)
		return c + "@example.com", c
	}},
}

var acPrefixes = []string{"", " ", "/", "-", ".", "_", "=", "&", `"`, "'", ":", "é", "é ",
	strings.Repeat("a", 127) + " ", strings.Repeat("a", 128), strings.Repeat("a", 129)}

// acField is a cut field: its limit and how a text is put into it.
type acField struct {
	name  string
	limit int
	agent bool // agent-name sanitizing: other characters become '-'
}

// acLeak is a case whose core left, cut, while redaction masks it uncut.
type acLeak struct {
	field, class, prefix, layout string
	off                          int
	piece                        string
}

type acCase struct {
	field             *acField
	class, prefix     string
	layout            string
	off               int
	text, core, trace string
}

// acText lays secret out so that limit lands off characters into it, behind
// prefix, after filler words ("spaced") or one token of parts ("token").
func acText(limit int, prefix, secret, layout string, off int) (string, bool) {
	n := limit - len([]rune(prefix)) - off
	if n < 1 {
		return "", false
	}
	var lead string
	if layout == "spaced" {
		lead = fill(n)
		if n == 1 {
			lead = "x"
		}
	} else {
		lead = strings.Repeat("qz-", n/3+1)[:n-1] + "-"
	}
	return lead + prefix + secret + "-end of text", true
}

func acSanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_. \t\n\r\v\f", r)) {
			return r
		}
		return '-'
	}, s)
}

// acSweep builds the cases of fields, sends them with send (one trace per
// group), and returns the leaks.
func acSweep(t *testing.T, fields []*acField, prefixes []string, layouts []string, perCase bool,
	send func(ctx context.Context, p *tracium.Provider, traceID string, cases []acCase)) []acLeak {
	t.Helper()
	r, err := redact.New(redact.Default())
	require.NoError(t, err)
	g := acGen{rand.New(rand.NewPCG(1, 2))}
	var groups [][]acCase
	for _, cl := range acClasses {
		for _, layout := range layouts {
			for _, prefix := range prefixes {
				var group []acCase
				trace := fmt.Sprintf("g%05d", len(groups))
				secret0, _ := cl.make(g)
				for off := 0; off <= len(secret0); off++ {
					for _, f := range fields {
						secret, core := cl.make(g)
						text, ok := acText(f.limit, prefix, secret, layout, off)
						if !ok {
							continue
						}
						uncut := text
						if f.agent {
							uncut = acSanitize(text)
						}
						if len(acPieces(r.Text(uncut), core, 8)) > 0 {
							continue // not masked uncut: not the cut's doing
						}
						c := acCase{field: f, class: cl.name, prefix: prefix, layout: layout, off: off, text: text, core: core, trace: trace}
						if perCase {
							c.trace = fmt.Sprintf("c%06d", len(groups))
							groups = append(groups, []acCase{c})
							continue
						}
						group = append(group, c)
					}
				}
				if len(group) > 0 {
					groups = append(groups, group)
				}
			}
		}
	}
	srv := traciumtest.NewServer(traciumtest.WithMaxBodyBytes(256 << 20))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	p, err := tracium.Init(ctx, tracium.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())))
	require.NoError(t, err)
	total := 0
	for i, group := range groups {
		send(ctx, p, group[0].trace, group)
		total += len(group)
		if !perCase || i%32 == 31 {
			require.NoError(t, p.ForceFlush(ctx)) // the queue (2048 spans) must not drop any
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	require.NoError(t, p.Shutdown(sctx))
	st := p.Stats()
	t.Logf("%d cases in %d traces; processor stats %+v", total, len(groups), st)
	require.Zero(t, st.SpansDropped, "every span was delivered")
	bodies := map[string]*strings.Builder{}
	add := func(id string, b []byte) {
		if bodies[id] == nil {
			bodies[id] = &strings.Builder{}
		}
		bodies[id].Write(b)
		bodies[id].WriteString("\n")
	}
	for _, rq := range srv.Requests() {
		require.Equal(t, 2, rq.Status/100, "request %s %s answered %d", rq.Method, rq.Path, rq.Status)
		parts := strings.Split(strings.Trim(rq.Path, "/"), "/")
		if len(parts) >= 3 && parts[0] == "agents" && parts[1] == "traces" {
			add(parts[2], rq.Body)
			continue
		}
		// a start: the trace id is in the body
		s := string(rq.Body)
		i := strings.Index(s, `"trace_id":"`)
		require.GreaterOrEqual(t, i, 0, "start body without trace id")
		id := s[i+len(`"trace_id":"`):]
		add(id[:strings.IndexByte(id, '"')], rq.Body)
	}
	var leaks []acLeak
	for _, group := range groups {
		b := bodies[group[0].trace]
		require.NotNil(t, b, "trace %s arrived", group[0].trace)
		body := b.String()
		for _, c := range group {
			if pcs := acPieces(body, c.core, 8); len(pcs) > 0 {
				pc := longestPiece(body, c.core)
				if strings.Trim(pc, acDigit) == "" && len(pc) < 12 {
					continue // 8 to 11 digits: may be a timestamp's
				}
				leaks = append(leaks, acLeak{c.field.name, c.class, c.prefix, c.layout, c.off, pc})
			}
		}
	}
	return leaks
}

// longestPiece returns the longest substring of core found in body.
func longestPiece(body, core string) string {
	best := ""
	for i := 0; i < len(core); i++ {
		for j := len(core); j > i+len(best); j-- {
			if strings.Contains(body, core[i:j]) {
				best = core[i:j]
				break
			}
		}
	}
	return best
}

// acReport fails with one line per field and class that leaked: the prefixes,
// layouts and offsets, and the longest piece seen.
func acReport(t *testing.T, leaks []acLeak) {
	t.Helper()
	type key struct{ field, class string }
	agg := map[key][]acLeak{}
	for _, l := range leaks {
		k := key{l.field, l.class}
		agg[k] = append(agg[k], l)
	}
	keys := make([]key, 0, len(agg))
	for k := range agg {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].field != keys[j].field {
			return keys[i].field < keys[j].field
		}
		return keys[i].class < keys[j].class
	})
	for _, k := range keys {
		ls := agg[k]
		prefixes, layouts, offs := map[string]bool{}, map[string]bool{}, map[int]bool{}
		best := ls[0]
		for _, l := range ls {
			prefixes[shortPrefix(l.prefix)] = true
			layouts[l.layout] = true
			offs[l.off] = true
			if len(l.piece) > len(best.piece) {
				best = l
			}
		}
		t.Errorf("BROKEN %s / %s: %d cases (prefixes %v, layouts %v, %d offsets); e.g. prefix %q %s off %d left %q",
			k.field, k.class, len(ls), keysOf(prefixes), keysOf(layouts), len(offs), shortPrefix(best.prefix), best.layout, best.off, best.piece)
	}
}

func shortPrefix(p string) string {
	if len(p) > 100 {
		return fmt.Sprintf("%d×%c%s", len(strings.TrimRight(p, " ")), p[0], strings.Repeat(" ", len(p)-len(strings.TrimRight(p, " "))))
	}
	return p
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func acSpanSweep(t *testing.T, f *acField, prefixes, layouts []string) {
	t.Parallel() // each sweep has its own receiver and provider
	leaks := acSweep(t, []*acField{f}, prefixes, layouts, false,
		func(ctx context.Context, p *tracium.Provider, id string, cases []acCase) {
			ctx, tr := p.StartTrace(ctx, "sweep", tracium.WithTraceID(id))
			for _, c := range cases {
				switch c.field.name {
				case "span name":
					_, sp := tracium.StartSpan(ctx, tracium.Tool, c.text)
					sp.End()
				case "span model":
					_, sp := tracium.StartSpan(ctx, tracium.LLM, "m", tracium.WithModel(c.text))
					sp.End()
				case "span status":
					_, sp := tracium.StartSpan(ctx, tracium.Tool, "s")
					sp.SetStatus(c.text)
					sp.End()
				case "span type":
					_, sp := tracium.StartSpan(ctx, tracium.SpanType(c.text), "t")
					sp.End()
				case "span tag":
					_, sp := tracium.StartSpan(ctx, tracium.Tool, "g")
					sp.AddTags(c.text)
					sp.End()
				case "span error":
					_, sp := tracium.StartSpan(ctx, tracium.Tool, "e")
					sp.MarkFailed(errors.New(c.text))
					sp.End()
				}
			}
			tr.End()
		})
	acReport(t, leaks)
}

var acFewPrefixes = []string{"", " ", "/", "-", "=", `"`, "'", ":", "é", strings.Repeat("a", 127) + " ", strings.Repeat("a", 128)}

// Span name: 512, CutWhole.
func TestAttackCutSweepSpanName(t *testing.T) {
	acSpanSweep(t, &acField{name: "span name", limit: 512}, acPrefixes, []string{"spaced", "token"})
}

// Span model: 256, CutIdentifier.
func TestAttackCutSweepSpanModel(t *testing.T) {
	acSpanSweep(t, &acField{name: "span model", limit: 256}, acPrefixes, []string{"spaced", "token"})
}

// Custom status: 128, CutWhole.
func TestAttackCutSweepSpanStatus(t *testing.T) {
	acSpanSweep(t, &acField{name: "span status", limit: 128}, acFewPrefixes, []string{"spaced", "token"})
}

// Custom span type: 128, cut plainly.
func TestAttackCutSweepSpanType(t *testing.T) {
	acSpanSweep(t, &acField{name: "span type", limit: 128}, []string{" ", "-"}, []string{"spaced"})
}

// Tags: over 128 characters, dropped whole.
func TestAttackCutSweepSpanTag(t *testing.T) {
	acSpanSweep(t, &acField{name: "span tag", limit: 128}, []string{" ", "-"}, []string{"spaced", "token"})
}

// Error text: 10 000, CutWhole (span MarkFailed).
func TestAttackCutSweepSpanError(t *testing.T) {
	acSpanSweep(t, &acField{name: "span error", limit: 10000}, []string{"", " ", `"`, "'", ":", strings.Repeat("a", 128)}, []string{"spaced"})
}

// Trace fields: agent name (256, plain cut after sanitizing), model (256),
// version (128), error (10 000, Fail); one trace per case.
func acTraceSweep(t *testing.T, f *acField, prefixes, layouts []string) {
	t.Parallel() // each sweep has its own receiver and provider
	send := func(ctx context.Context, p *tracium.Provider, id string, cases []acCase) {
		for _, c := range cases {
			var tr *tracium.Trace
			switch c.field.name {
			case "trace agent name":
				_, tr = p.StartTrace(ctx, c.text, tracium.WithTraceID(id))
			case "trace model":
				_, tr = p.StartTrace(ctx, "m", tracium.WithTraceID(id), tracium.WithModel(c.text))
			case "trace version":
				_, tr = p.StartTrace(ctx, "v", tracium.WithTraceID(id), tracium.WithVersion(c.text))
			case "trace error":
				_, tr = p.StartTrace(ctx, "e", tracium.WithTraceID(id))
				tr.Fail(errors.New(c.text))
			}
			tr.End()
		}
	}
	leaks := acSweep(t, []*acField{f}, prefixes, layouts, true, send)
	acReport(t, leaks)
}

func TestAttackCutSweepTraceAgentName(t *testing.T) {
	acTraceSweep(t, &acField{name: "trace agent name", limit: 256, agent: true}, []string{" ", "-", "_", "."}, []string{"spaced"})
}

func TestAttackCutSweepTraceModel(t *testing.T) {
	acTraceSweep(t, &acField{name: "trace model", limit: 256}, []string{" ", "-", "/", strings.Repeat("a", 128)}, []string{"spaced", "token"})
}

func TestAttackCutSweepTraceVersion(t *testing.T) {
	acTraceSweep(t, &acField{name: "trace version", limit: 128}, []string{" ", "-", "."}, []string{"spaced", "token"})
}

func TestAttackCutSweepTraceError(t *testing.T) {
	acTraceSweep(t, &acField{name: "trace error", limit: 10000}, []string{" ", `"`}, []string{"spaced"})
}
