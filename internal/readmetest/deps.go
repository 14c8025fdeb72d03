//go:build readmedeps

// Package readmetest checks README.md: TestReadmeGoBlocksCompile compiles
// every Go block of it. This file, never built, names the packages the
// blocks import, so that go mod tidy keeps them in go.mod.
package readmetest

import (
	_ "github.com/anthropics/anthropic-sdk-go"
	_ "github.com/anthropics/anthropic-sdk-go/option"
	_ "github.com/gin-gonic/gin"
	_ "github.com/go-chi/chi/v5"
	_ "github.com/hibiken/asynq"
	_ "github.com/labstack/echo/v4"
	_ "github.com/openai/openai-go/v3"
	_ "github.com/openai/openai-go/v3/option"
	_ "github.com/riverqueue/river"
	_ "github.com/riverqueue/river/riverdriver/riversqlite"
	_ "github.com/riverqueue/river/rivertype"
	_ "github.com/tracium-ai/tracium-go"
	_ "github.com/tracium-ai/tracium-go/autoconf"
	_ "github.com/tracium-ai/tracium-go/drift"
	_ "github.com/tracium-ai/tracium-go/exporter"
	_ "github.com/tracium-ai/tracium-go/instrumentation/anthropic"
	_ "github.com/tracium-ai/tracium-go/instrumentation/asynq"
	_ "github.com/tracium-ai/tracium-go/instrumentation/grpc"
	_ "github.com/tracium-ai/tracium-go/instrumentation/openai"
	_ "github.com/tracium-ai/tracium-go/instrumentation/river"
	_ "github.com/tracium-ai/tracium-go/instrumentation/temporal"
	_ "github.com/tracium-ai/tracium-go/propagation"
	_ "github.com/tracium-ai/tracium-go/redact"
	_ "github.com/tracium-ai/tracium-go/route"
	_ "github.com/tracium-ai/tracium-go/routing"
	_ "github.com/tracium-ai/tracium-go/tenant"
	_ "github.com/tracium-ai/tracium-go/traciumtest"
	_ "github.com/tracium-ai/tracium-go/workspace"
	_ "go.opentelemetry.io/contrib/exporters/autoexport"
	_ "go.opentelemetry.io/contrib/propagators/autoprop"
	_ "go.opentelemetry.io/otel"
	_ "go.opentelemetry.io/otel/sdk/trace"
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/interceptor"
	_ "go.temporal.io/sdk/worker"
	_ "go.temporal.io/sdk/workflow"
	_ "google.golang.org/grpc"
)
