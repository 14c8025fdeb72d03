package llmhttp

import (
	"encoding/json"
	"net/http"

	tracium "github.com/tracium-ai/tracium-go"
)

// API describes one provider's HTTP API: which requests are calls to trace,
// and how to read their bodies. Its methods are called concurrently and must
// not retain the byte slices they are given.
type API interface {
	// Endpoint returns the endpoint req calls, or nil for a request the
	// middleware passes on untraced (still stripped of Tracium data).
	Endpoint(req *http.Request) Endpoint
	// Error reads the body of an error response (status 400 and above): the
	// provider's message and error type, "" when the body has none.
	Error(body []byte) (message, errType string)
}

// Endpoint reads the bodies of one kind of call.
type Endpoint interface {
	// Request reads the JSON request body. c tells whether and how much
	// content to capture.
	Request(body []byte, c Capture) Request
	// Response reads a complete JSON response body.
	Response(body []byte, c Capture) Result
	// Stream returns the reader of the events of a streamed response.
	Stream(c Capture) Stream
}

// Stream reads the server-sent events of one streamed response, in order.
type Stream interface {
	// Event reads one event: its name ("" when unnamed) and its data (nil
	// when it was larger than [MaxEventBytes]); data is only valid during
	// the call. It returns true for the stream's terminal event.
	Event(name string, data []byte) (done bool)
	// Result returns what the events read so far say. It is called once,
	// when the stream ends or is closed.
	Result() Result
}

// Capture says what content a call records.
type Capture struct {
	// On is false when content capture is off: Request and Response leave
	// Input and Output nil.
	On bool
	// MaxInput and MaxOutput are the most bytes of input (its JSON
	// encoding) and of output text a span records.
	MaxInput, MaxOutput int
}

// Request is what a request body says.
type Request struct {
	// Type is the span type: tracium.LLM or tracium.Embedding.
	Type tracium.SpanType
	// Model is the requested model ("" when the body names none).
	Model string
	// Input is the JSON recorded as the span's input (nil for none).
	Input json.RawMessage
	// MaxTokens and Temperature are the request's settings, when given.
	MaxTokens   *int64
	Temperature *float64
}

// Result is what a response says.
type Result struct {
	// ID and Model are the response's id and the model that answered.
	ID, Model string
	// FinishReasons are the reasons the answer ended, one per choice.
	FinishReasons []string
	// Usage holds the token counts when HasUsage.
	Usage    tracium.Usage
	HasUsage bool
	// Dimensions is the size of an embedding vector (0 when unknown).
	Dimensions int
	// Output is the JSON recorded as the span's output (nil for none).
	Output json.RawMessage
	// ErrMessage and ErrType describe an error the response reported with
	// a success status: an error event in a stream, or a failed response.
	ErrMessage, ErrType string
	// Finished is true when the response is known to be complete: a JSON
	// body, a stream's terminal event or the last chunk's finish reason.
	Finished bool
}

// ReadRequest decodes a JSON request body into a B and has read fill in r
// from it; a body that is not JSON of B's shape gives a request of typ alone.
func ReadRequest[B any](typ tracium.SpanType, body []byte, read func(b *B, r *Request)) Request {
	r := Request{Type: typ}
	var b B
	if json.Unmarshal(body, &b) == nil {
		read(&b, &r)
	}
	return r
}

// ReadResponse decodes a complete JSON response body into a B and returns
// what read makes of it; a body that is not JSON of B's shape gives an empty
// result.
func ReadResponse[B any](body []byte, read func(b *B) Result) Result {
	var b B
	if json.Unmarshal(body, &b) != nil {
		return Result{}
	}
	return read(&b)
}
