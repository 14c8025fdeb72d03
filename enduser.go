package tracium

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tracium-ai/tracium-go/enduser"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/ctxval"
	"github.com/tracium-ai/tracium-go/internal/validate"
)

// The keys under which the trace's end user and session are added to the
// metadata of its start (see [WithUser]). The session goes under
// "conversation_id", the GenAI conventions' name for it, and not under
// "session_id": the default redactor masks every value under session_id
// (a web-session credential in the official Python SDK's list), which
// would leave the id unreadable.
const (
	metadataUserKey    = "user_id"
	metadataSessionKey = "conversation_id"
)

// WithUser sets the end user of this one trace (see package enduser): it
// overrides the user of the context StartTrace is called in. The id is
// trimmed; an empty one is ignored, and an invalid one (over 255
// characters, control characters) is reported to the OTel error handler
// and ignored.
//
// Without this option a trace's user is the user of the agent trace the
// context is in, else the one the context carries
// (enduser.ContextWithUser). Nothing is recorded when there is none.
//
// The user is stamped on the agent root and every span of the trace as
// user.id, and added to the metadata sent when the trace starts as
// "user_id", unless metadata of your own ([WithMetadata]) has that key:
// yours wins there, and the attribute still says the user. A user id may be
// personal data; redaction (package redact) applies to it, in the attribute
// and in the metadata.
func WithUser(id string) TraceOption {
	return traceOptionFunc(func(c traceConfig) traceConfig {
		if id != "" {
			c.user = id
		}
		return c
	})
}

// WithSession sets the session (conversation) of this one trace, as
// [WithUser] sets its user: it overrides the session of the context
// (enduser.ContextWithSession), is trimmed, and is ignored when empty or
// reported and ignored when invalid.
//
// The session is stamped on the agent root and every span of the trace as
// session.id and gen_ai.conversation.id, and added to the metadata sent
// when the trace starts as "conversation_id", unless metadata of your own
// has that key.
func WithSession(id string) TraceOption {
	return traceOptionFunc(func(c traceConfig) traceConfig {
		if id != "" {
			c.session = id
		}
		return c
	})
}

// setEndUser gives info its user and session: those of c, else of the agent
// trace ctx is in, else of ctx. A bad option is reported and ignored.
func setEndUser(ctx context.Context, op string, c traceConfig, info *agentctx.Trace) {
	if c.user != "" {
		u, err := enduser.NewUser(c.user)
		report(op, err)
		info.User = u.String()
	}
	if c.session != "" {
		s, err := enduser.NewSession(c.session)
		report(op, err)
		info.Session = s.String()
	}
	if info.User != "" && info.Session != "" {
		return
	}
	if outer := agentctx.From(ctx); outer != nil {
		if info.User == "" {
			info.User = outer.Trace.User
		}
		if info.Session == "" {
			info.Session = outer.Trace.Session
		}
	}
	ctxval.Fill(ctx, &info.User, enduser.UserFromContext)
	ctxval.Fill(ctx, &info.Session, enduser.SessionFromContext)
}

// traceMetadata returns the JSON of the metadata of a trace's start: md,
// with the trace's user and session added under their keys unless md has
// those keys. When md breaks a rule it is left out, the error says why, and
// the user and session are still sent.
func traceMetadata(md map[string]any, info *agentctx.Trace) ([]byte, error) {
	b, err := validate.Metadata(md)
	if info.User == "" && info.Session == "" {
		return b, err
	}
	if err != nil {
		md = nil
	}
	add := make([]byte, 0, 64)
	add = appendMetadataPair(add, md, metadataUserKey, info.User)
	add = appendMetadataPair(add, md, metadataSessionKey, info.Session)
	if len(add) == 0 {
		return b, err
	}
	if len(b) == 0 {
		return append(append([]byte{'{'}, add...), '}'), err
	}
	if len(add)+1+len(b) > validate.MaxMetadataBytes {
		return b, fmt.Errorf("%w metadata: no room for %s and %s within %d bytes of JSON; sent without them", validate.ErrInvalid, metadataUserKey, metadataSessionKey, validate.MaxMetadataBytes)
	}
	// b is the encoding of a non-empty object: "{" + members + "}".
	merged := make([]byte, 0, len(add)+1+len(b))
	merged = append(merged, '{')
	merged = append(merged, add...)
	merged = append(merged, ',')
	return append(merged, b[1:]...), err
}

// appendMetadataPair appends "key":value to b, after a comma when b holds a
// pair already, unless value is empty or md has key.
func appendMetadataPair(b []byte, md map[string]any, key, value string) []byte {
	if value == "" {
		return b
	}
	if _, ok := md[key]; ok {
		return b
	}
	if len(b) > 0 {
		b = append(b, ',')
	}
	k, _ := json.Marshal(key) // strings always encode
	v, _ := json.Marshal(value)
	b = append(b, k...)
	b = append(b, ':')
	return append(b, v...)
}
