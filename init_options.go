package tracium

// initConfig is filled by Options of Init.
type initConfig struct {
	processor processorConfig
}

// Option configures [Init].
type Option interface {
	applyInit(*initConfig)
}
