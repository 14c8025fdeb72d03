package testutil

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// SendThroughInit runs f on a provider built by tracium.Init, with its
// default redaction, sending to a loopback traciumtest server that takes
// bodies of up to 64 MiB; it shuts the provider down and returns every
// request body the server received, one per line. The redaction tests use
// it to grep what reached the API.
func SendThroughInit(t *testing.T, f func(ctx context.Context, p *tracium.Provider)) string {
	t.Helper()
	srv := NewServer(t, traciumtest.WithMaxBodyBytes(64<<20))
	ctx := context.Background()
	p, err := tracium.Init(ctx, tracium.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())))
	require.NoError(t, err, "Init")
	f(ctx, p)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, p.Shutdown(sctx), "Shutdown")
	var b strings.Builder
	for _, r := range srv.Requests() {
		b.Write(r.Body)
		b.WriteString("\n")
	}
	return b.String()
}
