package propagation

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/tracium-ai/tracium-go/enduser"
	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

// Prefix is the namespace of the baggage members this package reads and
// writes. Inbound members under it are governed by the trust policy, and
// outbound ones are stripped for hosts a [Transport] does not allow.
const Prefix = "tracium."

// The baggage members, all under [Prefix]. Values are percent-encoded
// UTF-8, as W3C baggage values are.
const (
	// MemberTenant is the tenant id (see package tenant).
	MemberTenant = "tracium.tenant"
	// MemberWorkspace is the workspace id (see package workspace).
	MemberWorkspace = "tracium.workspace"
	// MemberUser is the end-user id (see package enduser).
	MemberUser = "tracium.user"
	// MemberSession is the session id (see package enduser).
	MemberSession = "tracium.session"
	// MemberTrace is the Tracium trace id of the agent trace the caller is
	// in. It comes with [MemberAgent] and [MemberDepth].
	MemberTrace = "tracium.trace"
	// MemberAgent is the agent name of that trace.
	MemberAgent = "tracium.agent"
	// MemberDepth is the depth, in that trace, of the span that was current
	// when the members were injected: -1 for the agent root, 0 for a span
	// directly under it, and so on. Spans the receiver starts under that
	// span get the next depth.
	MemberDepth = "tracium.depth"
	// MemberTime is when a signed set was made, in Unix seconds.
	MemberTime = "tracium.ts"
	// MemberKeyID names the key a set is signed with (see [Key]).
	MemberKeyID = "tracium.kid"
	// MemberSignature is the signature of a signed set: the HMAC-SHA256 of
	// its canonical encoding, in unpadded base64url.
	MemberSignature = "tracium.sig"
)

// MaxDepth is the largest [MemberDepth] accepted.
const MaxDepth = 100_000

// member indexes, in canonical order.
const (
	mKeyID = iota
	mTime
	mTenant
	mWorkspace
	mTrace
	mAgent
	mDepth
	mUser
	mSession
	mSig
	nMembers
)

func memberIndex(key string) int {
	switch key {
	case MemberTenant:
		return mTenant
	case MemberWorkspace:
		return mWorkspace
	case MemberUser:
		return mUser
	case MemberSession:
		return mSession
	case MemberTrace:
		return mTrace
	case MemberAgent:
		return mAgent
	case MemberDepth:
		return mDepth
	case MemberTime:
		return mTime
	case MemberKeyID:
		return mKeyID
	case MemberSignature:
		return mSig
	}
	return -1
}

// errRejected is wrapped by every error about inbound members.
var errRejected = errors.New("inbound Tracium members rejected")

// raw holds the Tracium members of an inbound header, percent-decoded.
type raw struct {
	v    [nMembers]string
	seen uint16
}

func (r *raw) has(i int) bool { return r.seen&(1<<i) != 0 }
func (r *raw) any() bool      { return r.seen != 0 }

// scan reads the Tracium members of a baggage header, enforcing the W3C
// limits. Unknown keys under the prefix are ignored (a newer sender may add
// some); a known key given twice, or with a malformed value or properties,
// is an error, since two readers could see different values.
func scan(one string, many []string) (raw, error) {
	var r raw
	if n := size(one, many); n > MaxBytes {
		return r, fmt.Errorf("baggage header of %d bytes, more than %d", n, MaxBytes)
	}
	count := 0
	var err error
	it := newMembers(one, many)
	for m, ok := it.next(); ok; m, ok = it.next() {
		if count++; count > MaxMembers {
			return raw{}, fmt.Errorf("baggage header with more than %d members", MaxMembers)
		}
		if err != nil {
			continue
		}
		key := memberKey(m)
		i := memberIndex(key)
		if i < 0 {
			// Not ours, or unknown to this version: not ours to judge.
			continue
		}
		_, value, props, ok := splitMember(m)
		if !ok {
			err = fmt.Errorf("member %s: malformed (no '=')", key)
			continue
		}
		if r.has(i) {
			err = fmt.Errorf("member %s given twice", key)
			continue
		}
		r.seen |= 1 << i
		v, ok := decodeValue(value)
		switch {
		case !ok:
			err = fmt.Errorf("member %s: value is not valid percent-encoded baggage text", key)
		case !utf8.ValidString(v):
			err = fmt.Errorf("member %s: value is not valid UTF-8", key)
		case !validProperties(props):
			err = fmt.Errorf("member %s: malformed properties", key)
		}
		r.v[i] = v
	}
	if err != nil {
		return raw{}, err
	}
	return r, nil
}

// set is a Tracium member set, validated: what Inject writes and Extract
// accepts.
type set struct {
	tenant    string
	workspace string
	user      string
	session   string
	trace     string // with agent and depth, or "" for none
	agent     string
	depth     int
	ts        int64  // signing time, Unix seconds; 0 when unsigned
	kid       string // key id; "" when unsigned

	// Set by parse: the validated ids.
	tenantID    tenant.ID
	workspaceID workspace.ID
	userID      enduser.User
	sessionID   enduser.Session
}

func (s *set) empty() bool {
	return s.tenant == "" && s.workspace == "" && s.user == "" && s.session == "" && s.trace == ""
}

// parse checks the syntax of the members in r and of an X-Tenant-ID header
// value and returns them as a set, with the signature text.
func parse(r *raw, hdrTenant string, hasHdr bool) (set, string, error) {
	var s set
	var err error
	if r.has(mTenant) {
		if s.tenantID, err = tenant.New(r.v[mTenant]); err != nil {
			return s, "", fmt.Errorf("member %s: not a valid tenant id (at most %d characters, no control characters, no surrounding whitespace)", MemberTenant, tenant.MaxLength)
		}
		s.tenant = r.v[mTenant]
	}
	if hasHdr {
		if s.tenant != "" && s.tenant != hdrTenant {
			return s, "", fmt.Errorf("header X-Tenant-ID differs from member %s", MemberTenant)
		}
		if s.tenantID, err = tenant.New(hdrTenant); err != nil {
			return s, "", fmt.Errorf("header X-Tenant-ID: not a valid tenant id (at most %d characters, no control characters, no surrounding whitespace)", tenant.MaxLength)
		}
		s.tenant = hdrTenant
	}
	if r.has(mWorkspace) {
		if s.workspaceID, err = workspace.New(r.v[mWorkspace]); err != nil {
			return s, "", fmt.Errorf("member %s: not a valid workspace id (at most %d characters, no control characters, no surrounding whitespace)", MemberWorkspace, workspace.MaxLength)
		}
		s.workspace = r.v[mWorkspace]
	}
	if r.has(mUser) {
		if s.userID, err = enduser.NewUser(r.v[mUser]); err != nil || s.userID.String() != r.v[mUser] {
			return s, "", fmt.Errorf("member %s: not a valid user id (at most %d characters, no control characters, no surrounding whitespace)", MemberUser, enduser.MaxLength)
		}
		s.user = r.v[mUser]
	}
	if r.has(mSession) {
		if s.sessionID, err = enduser.NewSession(r.v[mSession]); err != nil || s.sessionID.String() != r.v[mSession] {
			return s, "", fmt.Errorf("member %s: not a valid session id (at most %d characters, no control characters, no surrounding whitespace)", MemberSession, enduser.MaxLength)
		}
		s.session = r.v[mSession]
	}
	nt := 0
	for _, i := range [...]int{mTrace, mAgent, mDepth} {
		if r.has(i) {
			nt++
		}
	}
	switch nt {
	case 0:
	case 3:
		id, err := validate.TraceID(r.v[mTrace])
		if err != nil || id != r.v[mTrace] {
			return s, "", fmt.Errorf("member %s: not a valid trace id (at most %d letters, digits, '-' and '_')", MemberTrace, validate.MaxTraceID)
		}
		name, err := validate.AgentName(r.v[mAgent])
		if err != nil || name != r.v[mAgent] {
			return s, "", fmt.Errorf("member %s: not a valid agent name (at most %d letters, digits, whitespace, '-', '_' and '.')", MemberAgent, validate.MaxAgentName)
		}
		d, ok := parseInt(r.v[mDepth], 7)
		if !ok || d < -1 || d > MaxDepth {
			return s, "", fmt.Errorf("member %s: not an integer from -1 to %d", MemberDepth, MaxDepth)
		}
		s.trace, s.agent, s.depth = id, name, int(d)
	default:
		return s, "", fmt.Errorf("members %s, %s and %s must come together", MemberTrace, MemberAgent, MemberDepth)
	}
	if r.has(mTime) {
		ts, ok := parseInt(r.v[mTime], 12)
		if !ok || ts <= 0 {
			return s, "", fmt.Errorf("member %s: not a positive integer", MemberTime)
		}
		s.ts = ts
	}
	if r.has(mKeyID) {
		if !validKeyID(r.v[mKeyID]) {
			return s, "", fmt.Errorf("member %s: not a valid key id", MemberKeyID)
		}
		s.kid = r.v[mKeyID]
	}
	return s, r.v[mSig], nil
}

// parseInt parses a decimal integer of at most max digits, with an optional
// leading '-'.
func parseInt(s string, max int) (int64, bool) {
	digits := s
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" || len(digits) > max {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// appendMembers appends the set as baggage list-members (after n members
// already in b), and the signature when sig is not empty. It returns the new
// b and member count.
func appendMembers(b []byte, n int, s *set, sig []byte) ([]byte, int) {
	add := func(name string, value string) {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, name...)
		b = append(b, '=')
		b = appendValue(b, value)
		n++
	}
	if s.tenant != "" {
		add(MemberTenant, s.tenant)
	}
	if s.workspace != "" {
		add(MemberWorkspace, s.workspace)
	}
	if s.user != "" {
		add(MemberUser, s.user)
	}
	if s.session != "" {
		add(MemberSession, s.session)
	}
	if s.trace != "" {
		add(MemberTrace, s.trace)
		add(MemberAgent, s.agent)
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, MemberDepth+"="...)
		b = strconv.AppendInt(b, int64(s.depth), 10)
		n++
	}
	if len(sig) > 0 {
		add(MemberKeyID, s.kid)
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, MemberTime+"="...)
		b = strconv.AppendInt(b, s.ts, 10)
		b = append(b, ","+MemberSignature+"="...)
		b = append(b, sig...)
		n += 2
	}
	return b, n
}

// canonicalPrefix starts the text a signature covers; it names the format
// so that a signature can never be replayed as one of another format.
const canonicalPrefix = "tracium-baggage-v1\n"

// appendCanonical appends the text a signature covers: every member but the
// signature, in a fixed order, one "name=value" line each, values
// percent-encoded canonically (so no value can contain a line break) and
// absent members as empty values. The user and session lines follow only
// when the set has either, so that the text of a set without them is the
// one senders that predate them sign.
func appendCanonical(b []byte, s *set) []byte {
	b = append(b, canonicalPrefix...)
	line := func(name, value string) {
		b = append(b, name...)
		b = append(b, '=')
		b = appendValue(b, value)
		b = append(b, '\n')
	}
	line(MemberKeyID, s.kid)
	b = append(b, MemberTime+"="...)
	b = strconv.AppendInt(b, s.ts, 10)
	b = append(b, '\n')
	line(MemberTenant, s.tenant)
	line(MemberWorkspace, s.workspace)
	line(MemberTrace, s.trace)
	line(MemberAgent, s.agent)
	b = append(b, MemberDepth+"="...)
	if s.trace != "" {
		b = strconv.AppendInt(b, int64(s.depth), 10)
	}
	b = append(b, '\n')
	if s.user != "" || s.session != "" {
		line(MemberUser, s.user)
		line(MemberSession, s.session)
	}
	return b
}
