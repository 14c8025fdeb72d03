package drift

// NewClientWithEnv is NewClient reading the environment through getenv.
var NewClientWithEnv = newClient

// ObserveTrace feeds d one agent trace, as OnEnd does once it has read the
// spans: a root that ended after latencyMS, failed or not, whose spans
// reported in input and out output tokens (one span's worth, negative for
// none).
func ObserveTrace(d *Detector, k Key, latencyMS float64, failed bool, in, out float64) {
	d.observe(observation{key: k, root: true, latency: latencyMS, failed: failed,
		hasIn: in >= 0, in: max(in, 0), hasOut: out >= 0, out: max(out, 0)})
}
