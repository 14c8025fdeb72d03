package lru_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tracium-ai/tracium-go/internal/lru"
)

func TestCache(t *testing.T) {
	c := lru.New[string, int]()
	c.Add("a", 1)
	c.Add("b", 2)
	c.Add("c", 3)
	_, ok := c.Get("a") // a is now the most recently used
	assert.True(t, ok, "Get a")
	c.Add("b", 20) // updates and uses b
	assert.Equal(t, []int{20, 1, 3}, c.Values(), "Values, most recent first")

	v, ok := c.RemoveOldest()
	assert.True(t, ok, "RemoveOldest")
	assert.Equal(t, 3, v, "RemoveOldest: c")
	_, ok = c.Get("c")
	assert.False(t, ok, "Get c after removal")
	assert.Equal(t, 2, c.Len(), "Len")

	c.RemoveOldest()
	c.RemoveOldest()
	_, ok = c.RemoveOldest()
	assert.False(t, ok, "RemoveOldest of an empty cache")
	assert.Empty(t, c.Values(), "Values of an empty cache")
}

func TestCacheRemoveAndAll(t *testing.T) {
	c := lru.New[string, int]()
	for i, k := range []string{"a", "b", "c", "d"} {
		c.Add(k, i)
	}
	v, ok := c.Remove("b")
	assert.True(t, ok, "Remove b")
	assert.Equal(t, 1, v, "Remove b: its value")
	_, ok = c.Remove("b")
	assert.False(t, ok, "Remove b again")

	var keys []string
	for k := range c.All() {
		keys = append(keys, k)
	}
	assert.Equal(t, []string{"d", "c", "a"}, keys, "All, most recent first")
	v, ok = c.RemoveOldest()
	assert.Equal(t, 0, v, "RemoveOldest: All did not mark a as used")
	assert.True(t, ok, "RemoveOldest")

	n := 0
	for range c.All() {
		n++
		break
	}
	assert.Equal(t, 1, n, "All stops when the loop breaks")
}
