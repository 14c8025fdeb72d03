// Package lru is a map that remembers the order its keys were last used
// in, so that the least recently used one can be dropped at a cap. The
// routing processor bounds its tenants and destinations with it, the drift
// detector its keys.
//
// A [Cache] is not safe for concurrent use: its owner guards it with its
// own lock, which usually guards more than the cache.
package lru

import (
	"container/list"
	"iter"
)

// Cache maps keys to values and keeps them in the order they were last
// used. Use [New] to make one.
type Cache[K comparable, V any] struct {
	m     map[K]*list.Element
	order list.List // front: most recently used; values are *entry[K, V]
}

type entry[K comparable, V any] struct {
	key K
	val V
}

// New returns an empty cache.
func New[K comparable, V any]() *Cache[K, V] {
	return &Cache[K, V]{m: make(map[K]*list.Element)}
}

// Get returns the value of k and marks k as just used.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	el := c.m[k]
	if el != nil {
		c.order.MoveToFront(el)
	}
	return value[K, V](el)
}

// Add sets the value of k, marked as just used.
func (c *Cache[K, V]) Add(k K, v V) {
	if el, ok := c.m[k]; ok {
		el.Value.(*entry[K, V]).val = v
		c.order.MoveToFront(el)
		return
	}
	c.m[k] = c.order.PushFront(&entry[K, V]{key: k, val: v})
}

// Remove removes k and returns its value.
func (c *Cache[K, V]) Remove(k K) (V, bool) { return c.remove(c.m[k]) }

// RemoveOldest removes the least recently used key and returns its value.
func (c *Cache[K, V]) RemoveOldest() (V, bool) { return c.remove(c.order.Back()) }

// remove removes the key of el (nil: none) and returns its value.
func (c *Cache[K, V]) remove(el *list.Element) (V, bool) {
	if el != nil {
		c.order.Remove(el)
		delete(c.m, el.Value.(*entry[K, V]).key)
	}
	return value[K, V](el)
}

// value returns the value of el, or false when el is nil (no such key).
func value[K comparable, V any](el *list.Element) (V, bool) {
	if el == nil {
		var zero V
		return zero, false
	}
	return el.Value.(*entry[K, V]).val, true
}

// Len returns the number of keys.
func (c *Cache[K, V]) Len() int { return len(c.m) }

// Values returns the values, most recently used first.
func (c *Cache[K, V]) Values() []V {
	out := make([]V, 0, len(c.m))
	for el := c.order.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*entry[K, V]).val)
	}
	return out
}

// All yields the keys and values, most recently used first, without
// marking them used. The cache must not change during the iteration.
func (c *Cache[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for el := c.order.Front(); el != nil; el = el.Next() {
			e := el.Value.(*entry[K, V])
			if !yield(e.key, e.val) {
				return
			}
		}
	}
}
