package exporter_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
)

// refusedURL returns the URL of a loopback port that was listened on and
// closed: connecting to it is refused.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

// nxdomainResolver serves DNS on a loopback UDP port and answers every
// query "no such name" (NXDOMAIN), counting them; the returned client
// resolves through it only (whatever server the system's configuration
// names, which the resolver's error message quotes), so a name fails to
// resolve without any query leaving the machine.
func nxdomainResolver(t *testing.T, queries *atomic.Int32) *http.Client {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			// Header, then the question: labels up to the zero byte, then
			// type and class. Anything after (EDNS) is left out.
			end := 12
			for end < n && buf[end] != 0 {
				end += int(buf[end]) + 1
			}
			end += 5
			if n < 12 || end > n {
				continue
			}
			resp := append([]byte(nil), buf[:end]...)
			resp[2] |= 0x80                            // a response
			resp[3] = 0x80 | 3                         // recursion available, NXDOMAIN
			copy(resp[6:12], []byte{0, 0, 0, 0, 0, 0}) // no answer, authority or extra records
			queries.Add(1)
			_, _ = pc.WriteTo(resp, from)
		}
	}()
	dns := pc.LocalAddr().String()
	dialer := &net.Dialer{Resolver: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", dns)
	}}}
	return &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
}

// CheckCredentials against real failures on loopback: each error names the
// cause once, and the setting that fixes it.
func TestCheckCredentials(t *testing.T) {
	srv := testutil.NewServer(t)
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsSrv.Close)
	const wrongKey = "sk_wrong_0123456789abcdef"
	var dnsQueries atomic.Int32

	tests := []struct {
		name  string
		opts  []exporter.Option
		cause string // in the error exactly once; "" for no error
		fix   string
	}{
		{name: "valid key", opts: []exporter.Option{exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())}},
		{name: "401", opts: []exporter.Option{exporter.WithAPIKey(wrongKey), exporter.WithBaseURL(srv.URL())},
			cause: `401 Unauthorized: {"detail":"X-API-Key: not a valid API key"}`, fix: "set TRACIUM_API_KEY or use exporter.WithAPIKey"},
		{name: "connection refused", opts: []exporter.Option{exporter.WithAPIKey(wrongKey), exporter.WithBaseURL(refusedURL(t))},
			cause: "connection refused", fix: "check TRACIUM_BASE_URL or exporter.WithBaseURL"},
		{name: "name does not resolve", opts: []exporter.Option{exporter.WithAPIKey(wrongKey),
			exporter.WithBaseURL("https://tracium.invalid"), exporter.WithHTTPClient(nxdomainResolver(t, &dnsQueries))},
			cause: "no such host", fix: "check TRACIUM_BASE_URL or exporter.WithBaseURL"},
		{name: "TLS certificate not trusted", opts: []exporter.Option{exporter.WithAPIKey(wrongKey), exporter.WithBaseURL(tlsSrv.URL)},
			cause: "certificate signed by unknown authority", fix: "check TRACIUM_BASE_URL or exporter.WithBaseURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, err := exporter.New(tt.opts...)
			require.NoError(t, err)
			t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err = exp.CheckCredentials(ctx)
			if tt.cause == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			t.Log(err)
			assert.Equal(t, 1, strings.Count(err.Error(), tt.cause), "the cause, once: %v", err)
			assert.Contains(t, err.Error(), tt.fix)
			assert.NotContains(t, err.Error(), wrongKey)
			assert.NotContains(t, err.Error(), "Config.")
		})
	}

	assert.Positive(t, dnsQueries.Load(), "the name was looked up on the loopback resolver")
	var nilExp *exporter.Exporter
	assert.Error(t, nilExp.CheckCredentials(context.Background()))
}
