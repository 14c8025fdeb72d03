package routing

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLRU(t *testing.T) {
	c := newLRU[string, int]()
	c.add("a", 1)
	c.add("b", 2)
	c.add("c", 3)
	_, ok := c.get("a") // a is now the most recently used
	assert.True(t, ok, "get a")
	c.add("b", 20) // updates and uses b
	assert.Equal(t, []int{20, 1, 3}, c.values(), "values, most recent first")

	v, ok := c.removeOldest()
	assert.True(t, ok, "removeOldest")
	assert.Equal(t, 3, v, "removeOldest: c")
	_, ok = c.get("c")
	assert.False(t, ok, "get c after removal")
	assert.Equal(t, 2, c.len(), "len")

	c.removeOldest()
	c.removeOldest()
	_, ok = c.removeOldest()
	assert.False(t, ok, "removeOldest of an empty lru")
	assert.Empty(t, c.values(), "values of an empty lru")
}
