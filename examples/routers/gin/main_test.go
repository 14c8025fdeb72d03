package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGinExample(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	assert.Equal(t, `tenant "acme": HTTP 200
tenant "globex": HTTP 200
tenant "": HTTP 401
tenant "bad\tid": HTTP 400
trace support-bot tenant=acme spans=1 completed tags=[gin]
trace support-bot tenant=globex spans=1 completed tags=[gin]
`, out.String(), "run")
}
