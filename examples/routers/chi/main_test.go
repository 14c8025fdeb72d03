package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChiExample(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	assert.Equal(t, `tenant "acme": HTTP 200
tenant "globex": HTTP 200
tenant "": HTTP 401
trace support-bot tenant=acme spans=1 completed
trace support-bot tenant=globex spans=1 completed
`, out.String())
}
