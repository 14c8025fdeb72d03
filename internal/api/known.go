package api

import (
	"strings"
	"sync"
)

// maxKnown bounds the keys [ScrubKnown] remembers: the most recent ones.
// A process with more live keys (a router with a key per tenant) has the
// oldest left out; their own clients still scrub them.
const maxKnown = 64

// known holds the API keys of the clients built in this process, so that
// a report made where no client is at hand (a validation error of the root
// package quoting the agent name an application gave) is scrubbed of all of
// them.
var known struct {
	mu   sync.RWMutex
	keys []string
}

// remember adds key to the keys [ScrubKnown] scrubs.
func remember(key string) {
	key = strings.TrimSpace(key)
	if key == "" {
		return
	}
	known.mu.Lock()
	defer known.mu.Unlock()
	for i, k := range known.keys {
		if k == key {
			// Most recent last.
			known.keys = append(append(known.keys[:i:i], known.keys[i+1:]...), key)
			return
		}
	}
	if len(known.keys) == maxKnown {
		known.keys = append(known.keys[:0:0], known.keys[1:]...)
	}
	known.keys = append(known.keys, key)
}

// ScrubKnown returns s with every trace of every API key a [Client] of this
// process was built with (the last 64) replaced, as [Scrub] does for one.
func ScrubKnown(s string) string {
	known.mu.RLock()
	defer known.mu.RUnlock()
	return scrubAll(s, known.keys)
}

// ScrubKnownError is [ScrubKnown] of err's text: err itself when no key is
// in it, else an error with the scrubbed text that errors.Is sees through.
func ScrubKnownError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := ScrubKnown(msg); clean != msg {
		return &cleanError{msg: clean, err: err}
	}
	return err
}
