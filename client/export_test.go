package client

// NewWithEnv is New reading the environment through getenv.
func NewWithEnv(getenv func(string) string, opts ...Option) (*Client, error) {
	return newClient(getenv, "tracium client", opts)
}
