// Package workspace holds the Tracium workspace an agent trace belongs to.
//
// A workspace id is validated once, by [New], and is then an immutable [ID]:
// at most 256 characters, valid UTF-8, no control characters, no leading or
// trailing whitespace (HTTP would drop it from a header). [With] puts it
// into a context and [From] reads it back.
//
// # Precedence
//
// The workspace of an agent trace is, from strongest to weakest:
//
//  1. the per-trace option (tracium.WithWorkspace passed to StartTrace);
//  2. the workspace in the context StartTrace is called with ([With]);
//  3. the default of the Tracium span processor
//     (tracium.WithDefaultWorkspace, given to tracium.Init or
//     tracium.NewSpanProcessor);
//  4. the TRACIUM_WORKSPACE_ID environment variable ([EnvVar]), read once
//     when the processor is built.
//
// A trace with none of these has no workspace.
package workspace
