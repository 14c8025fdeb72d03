// Package clientlink lets package drift build its Client on the
// implementation of the public client package, with an environment getter
// and an error prefix of its own, so that neither package exports a
// constructor taking them and the REST calls exist once.
//
// Package client sets [New] in its init function; package drift imports
// client, so New is set before drift uses it.
package clientlink

// New builds a *client.Client (returned as any) from opts (each a
// client.Option), reading the environment through getenv and prefixing
// every error with prefix, such as "tracium drift".
var New func(getenv func(string) string, prefix string, opts []any) (any, error)
