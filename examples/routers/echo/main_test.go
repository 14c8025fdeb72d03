package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEchoExample(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	assert.Equal(t, `POST /chat/shipping tenant "acme": HTTP 200
POST /chat/shipping tenant "globex": HTTP 200
POST /chat/shipping tenant "": HTTP 401
POST /chat/shipping tenant "bad\tid": HTTP 400
POST /users/7/chat tenant "acme": HTTP 200
POST /users/7/chat tenant "globex": HTTP 200
POST /users/7/chat tenant "": HTTP 401
POST /users/7/chat tenant "bad\tid": HTTP 400
trace support-bot tenant=acme spans=1 completed tags=[echo]
trace users-id-chat tenant=acme spans=2 completed tags=[echo]
trace support-bot tenant=globex spans=1 completed tags=[echo]
trace users-id-chat tenant=globex spans=2 completed tags=[echo]
`, out.String(), "run")
}
