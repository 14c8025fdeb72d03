package llmhttp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
)

// option is a provider package's Option, as Build sees it.
type option interface{ apply(*llmhttp.Config) }

type optionFunc func(*llmhttp.Config)

func (f optionFunc) apply(c *llmhttp.Config) { f(c) }

func TestBuild(t *testing.T) {
	env := func(k string) string {
		if k == llmhttp.EnvCaptureContent {
			return "false"
		}
		return ""
	}
	opts := []option{
		optionFunc(llmhttp.AgentName("first")),
		nil,
		optionFunc(llmhttp.ContentCapture(true)),
		optionFunc(llmhttp.AgentName("last")),
	}
	c := llmhttp.Build(env, "openai", "/bin/bot", []string{"@openai"}, opts, option.apply)
	assert.Equal(t, "openai", c.Provider, "Build: Provider")
	assert.Equal(t, []string{"@openai"}, c.Tags, "Build: Tags")
	assert.Equal(t, "last", c.AgentName, "Build: the last option wins, nil skipped")
	assert.True(t, c.Capture.On, "Build: an option overrides the environment")

	c = llmhttp.Build(env, "openai", "/bin/bot", nil, []option(nil), option.apply)
	assert.Equal(t, "bot", c.AgentName, "Build without options: the program's name")
	assert.False(t, c.Capture.On, "Build without options: the environment")
}
