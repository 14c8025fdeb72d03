package traciumgrpc

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEndpointHost(t *testing.T) {
	tests := []struct{ target, want string }{
		{"dns:///tools.internal:8443", "tools.internal:8443"},
		{"dns:///tools.internal", "tools.internal:443"},
		{"dns://8.8.8.8/tools.internal:50051", "tools.internal:50051"},
		{"passthrough:///127.0.0.1:50051", "127.0.0.1:50051"},
		{"dns:///[::1]:9000", "[::1]:9000"},
		{"unix:///run/app.sock", "run/app.sock:443"},
		{"unix:app.sock", "app.sock:443"},
		{"tools.internal:7000", "tools.internal:7000"},
		{"dns:///", "localhost:443"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, endpointHost(tt.target), "endpointHost(%q)", tt.target)
	}
}
