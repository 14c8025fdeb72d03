// Package enduser holds the end user an operation runs for, and the session
// (conversation) it belongs to, in a context.Context.
//
// A user id and a session id are validated once, by [NewUser] and
// [NewSession], and are then immutable values: surrounding whitespace is
// trimmed, and what is left must be non-empty, at most 255 characters
// ([MaxLength]), valid UTF-8 and free of control characters.
// [ContextWithUser] and [ContextWithSession] put them into a context;
// [UserFromContext] and [SessionFromContext] read them back; the zero value
// clears them.
//
// An agent trace started in a context that carries a user or a session
// (tracium.StartTrace; tracium.WithUser and tracium.WithSession override
// them for one trace) records them:
//
//   - as OTel attributes on the agent root and on every span of the trace:
//     user.id and session.id (OpenTelemetry semantic conventions), and
//     gen_ai.conversation.id (GenAI conventions), which holds the session id;
//   - in the metadata object of the trace's start sent to Tracium, as
//     "user_id" and "conversation_id" (see tracium.WithUser for how they
//     combine with metadata of your own).
//
// Across services they travel as the baggage members tracium.user and
// tracium.session, under the same trust policy as the tenant (see package
// propagation): a receiver that does not believe a caller's tenant does not
// believe its user or session either.
//
// # Privacy
//
// A user id is often personal data. tracium-go never invents one: it is
// recorded and sent only when the application sets it, here or with
// tracium.WithUser. Redaction (package redact, on by default with
// tracium.Init) applies to it as to any other attribute and to metadata: a
// user id that looks like an e-mail address is masked by the default
// redactor. Prefer an opaque id (a database key or a hash) to an address
// or a name.
package enduser
