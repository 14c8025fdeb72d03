package tracium_test

// Attack tests on the claim "a length limit never leaves a piece of a secret
// that redaction does not mask" (README, Security promises), end to end:
// tracium.Init with its default redaction, sending to traciumtest over
// loopback, and every raw request body searched for pieces of the secret.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/redact"
)

// acPieces returns the substrings of core of length n that body holds.
func acPieces(body, core string, n int) []string {
	var got []string
	for i := 0; i+n <= len(core); i++ {
		if strings.Contains(body, core[i:i+n]) {
			got = append(got, core[i:i+n])
		}
	}
	return got
}

// acNoLeak fails when body holds piece, quoting only the place it is in.
func acNoLeak(t *testing.T, body, piece, what string) {
	t.Helper()
	if i := strings.Index(body, piece); i >= 0 {
		a, e := max(0, i-60), min(len(body), i+len(piece)+60)
		t.Errorf("%s: %q reached the API: ...%s...", what, piece, body[a:e])
	}
}

// acUncutMasked checks the oracle: redaction masks the secret in the uncut
// text, so a piece left after a cut is the cut's doing.
func acUncutMasked(t *testing.T, text, core string) {
	t.Helper()
	r, err := redact.New(redact.Default())
	require.NoError(t, err)
	require.Empty(t, acPieces(r.Text(text), core, 8), "uncut text %q is masked by redaction", text)
}

// fill returns n characters of filler words ending with a space ("" for 0).
func fill(n int) string {
	if n <= 0 {
		return ""
	}
	s := strings.Repeat("qz ", n/3+1)[:n]
	return s[:n-1] + " "
}

// Agent names are cut plainly at 256 (validate.AgentName uses Cut, not
// CutWhole): a key-shaped secret that the limit lands in keeps a piece no
// pattern knows. Uncut, each is masked (agent names keep letters, digits,
// '-', '_', '.', whitespace, so these secrets pass the sanitizer unchanged).
func TestAttackCutAgentNameLeavesPieceOfKey(t *testing.T) {
	type tc struct{ name, secret, core string }
	cases := []tc{
		{"openai-proj", "sk-proj-QwErTyUiOpAsDfGhJkLzXcVbNm0987654321", "QwErTyUiOpAsDfGhJkLzXcVbNm0987654321"},
		{"aws", "AKIAIOSFODNN7EXAMPL3", "IOSFODNN7EXAMPL3"},
		{"github", "ghp_R7xK2mQ9vL4pT8wZ3nB6cY1dF5gH0jS2aE4u", "R7xK2mQ9vL4pT8wZ3nB6cY1dF5gH0jS2aE4u"},
		{"google", "AIzaSyB7xK2mQ9vL4pT8wZ3nB6cY1dF5gH0jS2a", "SyB7xK2mQ9vL4pT8wZ3nB6cY1dF5gH0jS2a"},
		// kept "Bearer RhxKemQwvLp": all letters, which Bearer leaves alone
		{"bearer", "Bearer RhxKemQwvLpTawZ.3nB6cY1dF5gH0jS2aE4u", "RhxKemQwvLpTawZ.3nB6cY1dF5gH0jS2aE4u"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// the 256 limit lands 18 characters into the secret
			text := fill(256-18) + c.secret + " tail"
			acUncutMasked(t, text, c.core)
			body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
				_, tr := p.StartTrace(ctx, text)
				tr.End()
			})
			require.Contains(t, body, "qz qz", "the agent name was sent")
			if pc := longestPiece(body, c.core); len(pc) >= 8 {
				acNoLeak(t, body, pc, "a piece of "+c.name)
			}
		})
	}
}

// Custom span types are cut plainly at 128 (validate.SpanType uses Cut).
func TestAttackCutSpanTypeLeavesPieceOfKey(t *testing.T) {
	const secret = "sk-proj-QwErTyUiOpAsDfGhJkLzXcVbNm0987654321"
	const core = "QwErTyUiOpAsDfGhJkLzXcVbNm0987654321"
	text := fill(128-18) + secret + " tail" // the limit lands 18 characters in
	acUncutMasked(t, text, core)
	body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
		ctx, tr := p.StartTrace(ctx, "agent")
		_, sp := tracium.StartSpan(ctx, tracium.SpanType(text), "step")
		sp.End()
		tr.End()
	})
	require.Contains(t, body, "qz qz", "the span type was sent")
	if pc := longestPiece(body, core); len(pc) >= 8 {
		acNoLeak(t, body, pc, "a piece of the key")
	}
}

// A card number written in groups of four is several tokens: the cut drops
// only the group it lands in and keeps the groups before it, up to 12
// digits, which no pattern masks (a card needs 13 to 19 digits).
func TestAttackCutGroupedCardLeavesTwelveDigits(t *testing.T) {
	const card = "4539 1488 0343 6467" // Luhn-valid
	for _, back := range []int{2, 5} { // cut inside the 4th, then the 3rd group... from the end
		t.Run(fmt.Sprint("back", back), func(t *testing.T) {
			name := fill(512-(len(card)-back)) + card + " tail"
			errText := fill(10000-(len(card)-back)) + card + " tail"
			acUncutMasked(t, name, "45391488")
			body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
				ctx, tr := p.StartTrace(ctx, "agent")
				_, sp := tracium.StartSpan(ctx, tracium.Tool, name)
				sp.MarkFailed(errors.New(errText))
				sp.End()
				tr.End()
			})
			require.Contains(t, body, "qz qz")
			acNoLeak(t, body, "4539 1488", "the card's leading groups reached the API")
		})
	}
}

// A quoted value with spaces ("password=\"correct horse battery staple\"")
// is masked whole by Assignment; cut inside it, the closing quote is gone
// and the words before the cut are left, unmasked.
func TestAttackCutQuotedPassphraseLeavesWords(t *testing.T) {
	for _, lead := range []string{`password="`, `client_secret: '`, `api_key = "`} {
		t.Run(lead, func(t *testing.T) {
			secret := lead + "Trombone7Walrus Kettle9Margin Orchid4Pylon" + lead[len(lead)-1:]
			cut := len(lead) + len("Trombone7Walrus Kettle9Margin Orch")
			errText := fill(10000-cut) + secret + " tail"
			name := fill(512-cut) + secret + " tail"
			acUncutMasked(t, errText, "Trombone7Walrus")
			body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
				ctx, tr := p.StartTrace(ctx, "agent")
				_, sp := tracium.StartSpan(ctx, tracium.Tool, name)
				sp.MarkFailed(errors.New(errText))
				sp.End()
				tr.Fail(errors.New(errText))
			})
			require.Contains(t, body, "qz qz")
			acNoLeak(t, body, "Trombone7Walrus", "the passphrase's first word reached the API")
			acNoLeak(t, body, "Kettle9Margin", "the passphrase's second word reached the API")
		})
	}
}

// URL credentials: the password may hold ',', '[', ']', '{', '}' (the
// pattern allows them); the cut rule treats them as delimiters, so a long
// run after one is kept plainly, and without its '@' the pattern no longer
// matches: user and password leak.
func TestAttackCutURLPasswordAfterDelimiter(t *testing.T) {
	run := strings.Repeat("Kp7Rw2Xm9Lq4Vn8Tz3B", 8) // 160 letters and digits
	for _, d := range []string{",", "[", "]", "{", "}"} {
		t.Run(d, func(t *testing.T) {
			secret := "https://dbadmin:Walrus42" + d + run + "@db.example.com/x"
			cut := len("https://dbadmin:Walrus42"+d) + 130
			text := fill(512-cut) + secret + " tail"
			acUncutMasked(t, text, "Walrus42"+d+run)
			body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
				ctx, tr := p.StartTrace(ctx, "agent")
				_, sp := tracium.StartSpan(ctx, tracium.Tool, text)
				sp.End()
				tr.End()
			})
			require.Contains(t, body, "qz qz")
			acNoLeak(t, body, "Walrus42", "the URL password reached the API")
			acNoLeak(t, body, run[:16], "the URL password reached the API")
		})
	}
}

// URL credentials with the token as the user (https://TOKEN:x-oauth-basic@
// github.com, the old GitHub form): the cut lands in the password, the
// partial token after ':' is dropped, and "https://TOKEN:" is left, which
// no pattern masks. Uncut, URLCredentials masks TOKEN:x-oauth-basic.
func TestAttackCutURLUserTokenLeft(t *testing.T) {
	const tok = "0f3a9c1e7b2d4f6a8c0e2b4d6f8a1c3e5b7d9f2a" // 40 hex, no vendor prefix
	secret := "https://" + tok + ":x-oauth-basic@github.com/org/repo.git"
	for _, into := range []int{2, 8} { // cut inside "x-oauth-basic"
		t.Run(fmt.Sprint(into), func(t *testing.T) {
			cut := len("https://"+tok+":") + into
			text := fill(512-cut-len("git clone ")) + "git clone " + secret + " failed"
			acUncutMasked(t, text, tok)
			body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
				ctx, tr := p.StartTrace(ctx, "agent")
				_, sp := tracium.StartSpan(ctx, tracium.Tool, text)
				sp.End()
				tr.End()
			})
			require.Contains(t, body, "qz qz")
			acNoLeak(t, body, tok[:16], "the token (URL user) reached the API")
		})
	}
}

// Model ids and versions (CutIdentifier): a single-token secret keeps its
// whole leading parts; where they are too short for its pattern, they leak.
func TestAttackCutIdentifierLeavesKeyParts(t *testing.T) {
	type tc struct{ name, secret, piece string }
	cases := []tc{
		// sk- needs 16 characters after it: "proj-" + 8 + "-" is 14
		{"openai-proj", "sk-proj-Wa7rUs9K-Xy3Bv8Nq2Lm5Pt7Rz1Cd4Fg6Hj", "Wa7rUs9K"},
		// AIza needs 35 after it; any whole parts before the cut are short
		{"google", "AIzaSyDd9K2mQ7vL4pT8-wZ3nB6cY1dF5gH0jS2", "SyDd9K2mQ7vL4pT8"},
		// an e-mail loses its domain's last label: no e-mail any more
		{"email", "jonathan.w.mayer@corp-example.com", "jonathan.w.mayer"},
		// a card with dashes: 12 digits kept
		{"card-dashes", "4539-1488-0343-6467", "4539-1488-0343"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// one token; the limit lands 3 characters before the secret's end
			cut := len(c.secret) - 3
			idText := padIdent(c.secret, 256, cut)
			verText := padIdent(c.secret, 128, cut)
			acUncutMasked(t, idText, c.piece)
			acUncutMasked(t, verText, c.piece)
			body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
				ctx, tr := p.StartTrace(ctx, "agent", tracium.WithModel(idText), tracium.WithVersion(verText))
				_, sp := tracium.StartSpan(ctx, tracium.LLM, "call", tracium.WithModel(idText))
				sp.End()
				tr.End()
			})
			require.Regexp(t, "ab-ab-|REDACTED", body, "the ids were sent (an e-mail is masked whole)")
			acNoLeak(t, body, c.piece, fmt.Sprintf("a piece of the %s reached the API", c.name))
		})
	}
}

// padIdent returns an identifier of one token, longer than limit, whose
// limit falls cut characters into secret: leading parts, the secret, a tail.
func padIdent(secret string, limit, cut int) string {
	lead := limit - cut
	s := strings.Repeat("ab-", lead/3+1)[:lead-1] + "-"
	return s + secret + "-tail-edition"
}

// An input over 1 MiB is sent as a JSON string holding its first 64 KiB of
// JSON text. That preview is no JSON document any more, so redaction masks
// it as text: values under secret keys that no text pattern knows (ssn,
// cookie, authorization, session_id, private_key, pin) are not masked, though
// the same input under the limit has them masked by key.
func TestAttackCutPreviewLosesKeyMasking(t *testing.T) {
	in := map[string]any{
		"authorization": "Token 9fQw2Lm7Xv4Nb6Wc8Hd3",
		"cookie":        "sid=7Kp2Rw9Xm4Lq8Vn3Tz6B",
		"session_id":    "sess_4Xm9Lq2Vn7Tz3BKp8Rw6",
		"ssn":           "078-05-1120",
		"private_key":   "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEF",
		"pin":           "48213377",
		"zz_filler":     strings.Repeat("lorem ipsum ", 100_000), // > 1 MiB
	}
	small := map[string]any{}
	for k, v := range in {
		if k != "zz_filler" {
			small[k] = v
		}
	}
	body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
		ctx, tr := p.StartTrace(ctx, "agent")
		_, sp := tracium.StartSpan(ctx, tracium.Tool, "small")
		sp.RecordInput(small)
		sp.End()
		_, sp = tracium.StartSpan(ctx, tracium.Tool, "big")
		sp.RecordInput(in)
		sp.End()
		tr.End()
	})
	require.Contains(t, body, "... (truncated)", "the big input was cut")
	require.Contains(t, body, `"ssn":"***REDACTED***"`, "the small input is masked by key")
	for _, piece := range []string{"9fQw2Lm7Xv4Nb6Wc8Hd3", "7Kp2Rw9Xm4Lq8Vn3Tz6B", "sess_4Xm9Lq2Vn7Tz3BKp8Rw6", "078-05-1120", "MIIEvQIBADANBgkqhkiG9w0BAQEF", "48213377"} {
		acNoLeak(t, body, piece, "a value under a secret key, in the preview")
	}
}

// The preview holds JSON text, escapes included: a secret after a newline
// ("\n" in JSON, a letter before it) or after '<' ("\u003c") has no word
// boundary before it any more, and no pattern matches it. The same input
// under the limit is masked.
func TestAttackCutPreviewEscapesHideSecrets(t *testing.T) {
	const key = "sk-proj-QwErTyUiOpAsDfGhJkLzXcVbNm0987654321"
	const ghp = "ghp_R7xK2mQ9vL4pT8wZ3nB6cY1dF5gH0jS2aE4u"
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	text := "config:\n" + key + "\ttoken\t" + ghp + "\nauth <" + jwt + ">\n"
	filler := strings.Repeat("lorem ipsum ", 100_000)
	body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
		ctx, tr := p.StartTrace(ctx, "agent")
		_, sp := tracium.StartSpan(ctx, tracium.Tool, "small")
		sp.RecordInput(text)
		sp.End()
		_, sp = tracium.StartSpan(ctx, tracium.Tool, "big")
		sp.RecordInput([]string{text, filler})
		sp.End()
		tr.End()
	})
	require.Contains(t, body, "... (truncated)", "the big input was cut")
	for _, piece := range []string{"QwErTyUiOpAsDfGh", "R7xK2mQ9vL4pT8wZ", "dozjgNryP4J3jVmN"} {
		acNoLeak(t, body, piece, "a secret in the preview")
	}
}

// Ordinary long texts: a 10 010-character single-token error is kept to
// 10 000 characters; a long single token with separators (a path, a URL, a
// base-64 blob with '/' and '+') has no run of 128 letters and digits at the
// cut, so it is dropped whole and the error text arrives empty.
func TestAttackCutLongOrdinaryTextsKept(t *testing.T) {
	word := strings.Repeat("x", 10010)
	path := strings.Repeat("/srv/app/module", 700) // 10 500 characters, one token
	b64 := strings.Repeat("aGVsbG8+d29ybGQ/", 700) // base-64 alphabet with '+' and '/'
	body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
		for i, e := range []string{word, path, b64} {
			_, tr := p.StartTrace(ctx, fmt.Sprint("agent", i))
			tr.Fail(errors.New(e))
		}
	})
	if !strings.Contains(body, `"error":"`+strings.Repeat("x", 10000)+`... (truncated)"`) {
		t.Errorf("the one-word error did not keep its 10 000 characters")
	}
	acNoLeak(t, body, `"error":"... (truncated)"`, "an error text lost whole")
	if !strings.Contains(body, "/srv/app/module/srv/app/module") {
		t.Errorf("a long path error (one token, 10 500 characters) lost whole; the fail bodies: %q", failBodies(body))
	}
	if !strings.Contains(body, "aGVsbG8+d29ybGQ/aGVsbG8+") {
		t.Errorf("a long base-64 error (one token, 11 200 characters) lost whole")
	}
}

// failBodies returns the short fail bodies of body (at most 80 bytes each).
func failBodies(body string) []string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, `{"error":`) {
			out = append(out, l[:min(len(l), 80)])
		}
	}
	return out
}

// Metadata over 1 000 000 bytes of JSON is not cut but dropped: no piece of
// the secrets in it, masked or not, is sent (held).
func TestAttackCutMetadataOverLimitDropped(t *testing.T) {
	md := map[string]any{
		"ssn":       "078-05-1120",
		"note":      "key sk-proj-QwErTyUiOpAsDfGhJkLzXcVbNm0987654321",
		"zz_filler": strings.Repeat("lorem ipsum ", 90_000),
	}
	body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
		ctx, tr := p.StartTrace(ctx, "agent", tracium.WithMetadata(md))
		_, sp := tracium.StartSpan(ctx, tracium.Tool, "s")
		sp.AddMetadata(md)
		sp.End()
		tr.End()
	})
	require.Contains(t, body, `"agent_name":"agent"`)
	acNoLeak(t, body, "078-05-1120", "metadata over the limit")
	acNoLeak(t, body, "QwErTyUi", "metadata over the limit")
	acNoLeak(t, body, "lorem ipsum", "metadata over the limit")
}

// Outside the claim, noted: the validation error of an over-long name quotes
// its first 64 characters, cut plainly and unredacted, to the OTel error
// handler (stderr by default). A name that starts with a secret is logged.
func TestAttackCutValidationErrorQuotesSecret(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	const key = "sk-proj-QwErTyUiOpAsDfGhJkLzXcVbNm0987654321"
	body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
		ctx, tr := p.StartTrace(ctx, "agent")
		_, sp := tracium.StartSpan(ctx, tracium.Tool, "call with "+key+" "+strings.Repeat("w ", 300))
		sp.End()
		tr.End()
	})
	acNoLeak(t, body, "QwErTyUi", "the span name (masked on the wire)")
	for _, m := range errs.Messages() {
		if strings.Contains(m, "QwErTyUi") {
			t.Errorf("the error handler got the key: %.120s", m)
		}
	}
}

// Email is the one pattern that does not start at a word boundary, and its
// domain may hold a run of 128 letters and digits (the pattern allows a
// label of any length): cut in that run, the piece is kept plainly, without
// the last dot and label the pattern needs, and the local part leaks.
func TestAttackCutEmailLongDomainLabel(t *testing.T) {
	label := strings.Repeat("Kp7Rw2Xm9Lq4Vn8T", 9) // 144 letters and digits
	email := "jonathan.w.mayer@" + label + ".com"
	cut := len("jonathan.w.mayer@") + 130
	name := fill(512-cut) + email + " tail"
	acUncutMasked(t, name, "jonathan.w.mayer")
	body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
		ctx, tr := p.StartTrace(ctx, "agent")
		_, sp := tracium.StartSpan(ctx, tracium.Tool, name)
		sp.End()
		tr.End()
	})
	require.Contains(t, body, "qz qz")
	acNoLeak(t, body, "jonathan.w.mayer", "the e-mail's local part")
}
