package routing

import "container/list"

// lru is a map that remembers the order its keys were last used in. It is
// not safe for concurrent use: the Processor guards it with its mutex.
type lru[K comparable, V any] struct {
	m     map[K]*list.Element
	order list.List // front: most recently used; values are *item[K, V]
}

type item[K comparable, V any] struct {
	key K
	val V
}

func newLRU[K comparable, V any]() *lru[K, V] {
	return &lru[K, V]{m: make(map[K]*list.Element)}
}

// get returns the value of k and marks k as just used.
func (c *lru[K, V]) get(k K) (V, bool) {
	el, ok := c.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*item[K, V]).val, true
}

// add sets the value of k, marked as just used.
func (c *lru[K, V]) add(k K, v V) {
	if el, ok := c.m[k]; ok {
		el.Value.(*item[K, V]).val = v
		c.order.MoveToFront(el)
		return
	}
	c.m[k] = c.order.PushFront(&item[K, V]{key: k, val: v})
}

// removeOldest removes the least recently used key and returns its value.
func (c *lru[K, V]) removeOldest() (V, bool) {
	el := c.order.Back()
	if el == nil {
		var zero V
		return zero, false
	}
	it := c.order.Remove(el).(*item[K, V])
	delete(c.m, it.key)
	return it.val, true
}

func (c *lru[K, V]) len() int { return len(c.m) }

// values returns the values, most recently used first.
func (c *lru[K, V]) values() []V {
	out := make([]V, 0, len(c.m))
	for el := c.order.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*item[K, V]).val)
	}
	return out
}
