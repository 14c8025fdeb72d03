package traciumopenai_test

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
)

const embeddingsAnswer = `{
  "object": "list",
  "data": [
    {"object": "embedding", "index": 0, "embedding": [0.0023064255, -0.009327292, 0.015797347, 0.0042107]},
    {"object": "embedding", "index": 1, "embedding": [-0.011214, 0.0087192, 0.0019351, -0.0064133]}
  ],
  "model": "text-embedding-3-small",
  "usage": {"prompt_tokens": 9, "total_tokens": 9}
}`

func TestEmbeddings(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.ReplyJSON(200, embeddingsAnswer))
	ctx, tr := pl.StartTrace(t)
	resp, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model:          openai.EmbeddingModelTextEmbedding3Small,
		Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"Where is my order?", "Refund policy"}},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatFloat,
	})
	require.NoError(t, err, "Embeddings.New")
	require.Len(t, resp.Data, 2)
	tr.End()

	s, _, sp := pl.OneSpan(t)
	assert.Equal(t, "embeddings text-embedding-3-small", s.Name())
	llmtest.Embeddings("openai", "text-embedding-3-small").Answer("text-embedding-3-small", "").Tokens(9, 0, -1).
		With(map[string]any{"gen_ai.embeddings.dimension.count": int64(4)}).Assert(t, s)
	assert.Equal(t, "embedding", sp.Type)
	assert.Equal(t, "text-embedding-3-small", sp.ModelID)
	assert.JSONEq(t, `["Where is my order?","Refund policy"]`, string(sp.Input))
	assert.JSONEq(t, `{"embeddings":2,"dimensions":4}`, string(sp.Output), "a summary, not the vectors")
	llmtest.AssertTokens(t, sp, 9, 0, -1)
}

// Vectors in base64 are measured without being decoded.
func TestEmbeddingsBase64(t *testing.T) {
	t.Parallel()
	vec := make([]byte, 4*3)
	for i, f := range []float32{0.5, -0.25, 0.125} {
		binary.LittleEndian.PutUint32(vec[4*i:], math.Float32bits(f))
	}
	pl, _, client := newClient(t, llmtest.ReplyJSON(200, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":"`+
		base64.StdEncoding.EncodeToString(vec)+`"}],"model":"text-embedding-3-large","usage":{"prompt_tokens":4,"total_tokens":4}}`))
	_, err := client.Embeddings.New(t.Context(), openai.EmbeddingNewParams{
		Model:          openai.EmbeddingModelTextEmbedding3Large,
		Input:          openai.EmbeddingNewParamsInputUnion{OfString: openai.String("refund")},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
	})
	require.NoError(t, err)
	s, _, sp := pl.OneSpan(t)
	assert.Equal(t, int64(3), llmtest.Attrs(s)["gen_ai.embeddings.dimension.count"])
	assert.JSONEq(t, `"refund"`, string(sp.Input))
	assert.JSONEq(t, `{"embeddings":1,"dimensions":3}`, string(sp.Output))
}
