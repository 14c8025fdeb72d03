package traciumopenai

import (
	"bytes"
	"encoding/base64"
	"encoding/json"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
)

// embeddings is POST /embeddings.
type embeddings struct{}

type embeddingsRequest struct {
	Model string          `json:"model"`
	Input json.RawMessage `json:"input"`
}

func (embeddings) Request(body []byte, c llmhttp.Capture) llmhttp.Request {
	return llmhttp.ReadRequest(tracium.Embedding, body, func(b *embeddingsRequest, r *llmhttp.Request) {
		r.Model = b.Model
		if c.On && !llmhttp.IsNull(b.Input) {
			r.Input = llmhttp.Limit(b.Input, c.MaxInput)
		}
	})
}

// vectorSize is the length of an embedding, read without decoding it: a
// JSON array of numbers, or base64 of little-endian float32s.
type vectorSize int

func (v *vectorSize) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) >= 2 && b[0] == '[':
		if len(bytes.TrimSpace(b[1:len(b)-1])) > 0 {
			*v = vectorSize(bytes.Count(b, []byte(",")) + 1)
		}
	case len(b) >= 2 && b[0] == '"':
		s := bytes.TrimRight(b[1:len(b)-1], "=")
		*v = vectorSize(base64.RawStdEncoding.DecodedLen(len(s)) / 4)
	}
	return nil
}

// embeddingsSummary is the output an embeddings call records: how many
// vectors of what size, not the vectors.
type embeddingsSummary struct {
	Embeddings int `json:"embeddings"`
	Dimensions int `json:"dimensions,omitempty"`
}

type embeddingsResponse struct {
	Model string `json:"model"`
	Data  []struct {
		Embedding vectorSize `json:"embedding"`
	} `json:"data"`
	Usage *usage `json:"usage"`
}

func (embeddings) Response(body []byte, c llmhttp.Capture) llmhttp.Result {
	return llmhttp.ReadResponse(body, func(b *embeddingsResponse) llmhttp.Result {
		r := llmhttp.Result{Model: b.Model, Finished: true}
		b.Usage.result(&r)
		if len(b.Data) > 0 {
			r.Dimensions = int(b.Data[0].Embedding)
		}
		if c.On {
			r.Output = llmhttp.JSONOutput(embeddingsSummary{Embeddings: len(b.Data), Dimensions: r.Dimensions}, c.MaxOutput)
		}
		return r
	})
}

// Stream is never used: embeddings are not streamed.
func (embeddings) Stream(c llmhttp.Capture) llmhttp.Stream { return noStream{} }

type noStream struct{}

func (noStream) Event(string, []byte) bool { return false }
func (noStream) Result() llmhttp.Result    { return llmhttp.Result{} }
