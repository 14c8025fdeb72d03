// Package drift finds drift in agent behaviour per workspace: through the
// Tracium API's drift checks ([Client]), and locally, with no server, with
// a streaming detector that watches the agent traces a process runs
// ([Detector]).
//
// # The client
//
// [Client] is the package's synchronous REST client. [Client.Check] is
// POST /drift/check and [Client.CheckPromptEmbeddings] is POST
// /drift/prompt-embeddings/check (contract sections 2.6 and 2.7): every
// argument goes in the query string, and the request has no body. The
// prompt-embeddings check always sends similarity_threshold,
// baseline_days and current_days, 0.05, 60 and 1 unless set. Both return
// the results the way the contract derives them from the answer (a list, an
// object's "results" list, or the object itself), typed as [RemoteResult]
// with the unknown fields kept.
//
// The two other calls whose caller waits for the answer live here too:
// [Client.Gantt] (section 2.9; the trace id is checked before anything is
// sent) and [Client.CurrentUser] (section 2.8; cached for the client's
// lifetime after the first success, plan "free" when the answer has none).
// The exporter is the wrong home for them: it only sends telemetry in the
// background and never hands an answer back.
//
// [Client] is the public REST client of package client
// (github.com/tracium-ai/tracium-go/client) under this package's names, with
// errors that start with "tracium drift:"; a program that also starts
// traces or records spans through the REST API can use a client.Client for
// everything. The client shares the exporter's HTTP code (headers, per-attempt timeout,
// retries of 408, 429, 5xx, timeouts and resets with exponential backoff and
// jitter, Retry-After, a 1 MiB cap on answers, redaction). Calls block until
// the answer, the end of the retries or the end of their context; failures
// are error values, never panics, and no error contains the API key.
//
// # The detector
//
// [Detector] is an sdktrace.SpanProcessor. Put it on the TracerProvider
// that runs the agents, next to the Tracium span processor (which stamps
// every span of an agent trace with tracium.trace.id, tracium.workspace.id,
// tracium.agent.name and tracium.tenant.id). Only OnEnd does work; it reads
// attributes, updates counters and sketches under short locks, and does no
// I/O. It watches:
//
//   - agent roots (tracium.trace.root = true): their duration is one
//     [Latency] observation in milliseconds, and their OTel status is one
//     [ErrorRate] observation (failed when the status is Error, as
//     tracium's Trace.Fail and MarkFailed set it);
//   - spans of agent traces with gen_ai.usage.input_tokens or
//     gen_ai.usage.output_tokens: one [InputTokens] or [OutputTokens]
//     observation each;
//   - the [TraceCost] of an agent trace: the input plus output tokens of
//     all its spans that end before its root, root included. The detector
//     sums them per Tracium trace id in a bounded table and records the sum
//     when the root ends; spans that end after their root are not counted,
//     nor are the spans of an agent run inside another agent (they belong
//     to the inner trace). A trace with no token usage gives no cost
//     observation. Spans of a trace joined from another service
//     (tracium.trace.remote) count for tokens but not for cost: their root
//     ends elsewhere.
//
// State is kept per [Key]: the workspace, and also the agent
// ([WithPerAgent]) and the tenant ([WithPerTenant]) when asked.
//
// # Windows
//
// For each key and metric, the baseline is the first N observations
// ([WithBaselineSize], default 2000), then frozen. The current window holds
// the most recent observations after the baseline, in 4 blocks of M/4
// ([WithWindowSize], default M = 500): the block being filled and the 3
// before it, so 3M/4+1 to M observations once warm; when the block being
// filled is full and another observation arrives, the oldest block is
// dropped. A metric is tested when the baseline is complete and the current
// window holds at least [WithMinSamples] observations (default 100). A
// frozen baseline never absorbs a change, so a change you accept stays
// reported until [Detector.Rebaseline].
//
// # The statistics
//
// Latency, token counts and trace cost are compared with the two-sample
// Kolmogorov–Smirnov test, which sees any change of distribution (location,
// spread or shape). The statistic D is read from the sketches: both windows
// use the same DDSketch bins (2% relative accuracy, so about 58 bins per
// decade) and D is the largest distance between the two binned empirical
// distribution functions, at the end of each bin. The p-value comes from
// the asymptotic Kolmogorov distribution at the effective size nm/(n+m),
// with Stephens' correction (sqrt(ne) + 0.12 + 0.11/sqrt(ne)) D. The test
// assumes independent observations from continuous distributions; binning
// and integer token counts make ties, which make it conservative (fewer
// false alarms than alpha, slightly less power).
//
// The error rate is compared with the pooled two-proportion z-test,
// two-sided; z is positive when the current rate is higher. It assumes
// independent Bernoulli observations and relies on the normal
// approximation, which holds well with the default windows at rates of 1%
// and more (20 expected failures in the baseline, 5 in the window).
//
// A metric has drifted when its p-value is below alpha ([WithSignificance],
// default 0.01). alpha holds per test: with 5 metrics per key and checks
// repeated over time, some false alarm somewhere is expected; lower alpha
// to have fewer.
//
// With the defaults, on synthetic agents with fixed seeds (log-normal
// latency, 1% failures, log-normal token counts), the package's tests
// (go test -run 'TestFalseAlarmRate|TestPower' -v) measure:
//
//   - false alarms: over 1000 checks of stationary streams, each metric
//     drifted in at most 0.7% of them at alpha 0.01 (at most 4.9% at
//     alpha 0.05); the test allows alpha plus three binomial standard
//     errors, 0.0194 at alpha 0.01 and 0.0707 at alpha 0.05;
//   - power: when the latency doubles and the error rate goes from 1% to
//     5%, a check made once 500 traces have arrived after the change (the
//     current window then holds only post-change traces, 376 to 500 of
//     them) finds the latency change in 100% and the error rate change in
//     98.8% of 400 streams (the test requires 95%). Checked every 25
//     traces, the first detection comes after a median of 50 traces for
//     latency and 150 for the error rate.
//
// # Results
//
// Every test gives a [Result]: the key, the metric, the test, a [Summary]
// of each window (count, exact mean, p50 and p95 from the sketch), the
// statistic, the p-value and the verdict. Read them on demand with
// [Detector.Check], which mirrors the API's check: a workspace and metrics.
// [WithCallback] delivers them every [WithEvaluateEvery] agent traces of a
// key, from a goroutine the detector owns. [WithMeterProvider] exports the
// statistic, the p-value and the verdict as OpenTelemetry observable
// gauges, evaluated at collection time.
//
// # Memory
//
// Memory is bounded whatever the traffic. Values go into DDSketches
// (github.com/DataDog/sketches-go, a maintained implementation with
// relative-error guarantees and mergeable bins; a bounded reservoir of raw
// values would cost more memory for the same window sizes) on paginated
// stores, which allocate 32-bin pages only where values fall; values are
// clamped into [0, 1e9], which bounds the pages a sketch can have: its size
// depends on how many bins its values touch, not on how many values there
// are. With the default sizes the tests measure about 3 KB for a key seen
// once, 28 KB for a warm key (baseline and window full) with typical values,
// and 60 KB, about the most a key can take, with values spread over the
// whole range.
//
// The number of keys is capped ([WithMaxKeys], default 1000): a new key at
// the cap drops the key updated least recently, counted in
// [Stats].EvictedKeys. So with the defaults the detector holds at most
// about 65 MB, and about 30 MB with typical values. The cost table is
// capped too ([WithMaxPendingTraces], default 10000 traces, about 100 bytes
// each). A test floods a detector with 100,000 distinct workspaces and
// checks both the count of keys and the growth of the heap.
//
// # Environment variables
//
// [NewClient] reads these once; an option set in code overrides them, and
// a malformed value is reported to the OTel error handler and ignored. The
// [Detector] reads none.
//
//   - TRACIUM_API_KEY: the API key, sent as X-API-Key. Required unless
//     [WithAPIKey] is given (at least 10 characters; 3 for a localhost or
//     test URL).
//   - TRACIUM_BASE_URL: the API's base URL, default https://api.tracium.ai;
//     "https://" is added when there is no scheme ("http://" for a loopback
//     host), and a path is kept as a prefix. [WithBaseURL] overrides it.
//   - TRACIUM_ALLOW_INSECURE: "true" allows an http:// base URL to a host
//     that is not loopback (refused by default). [WithInsecure] sets it.
//   - TRACIUM_TIMEOUT: the timeout of each HTTP attempt in milliseconds,
//     default 10000. [WithTimeout] overrides it.
//   - TRACIUM_HEADERS: extra headers, as k1=v1,k2=v2 with percent-encoded
//     values. [WithHeaders] replaces them.
//
// # Concurrency
//
// [Client] and [Detector] are safe for concurrent use. The detector calls
// no user code while it holds a lock, and its only goroutine (with
// [WithCallback]) stops on [Detector.Shutdown].
package drift
