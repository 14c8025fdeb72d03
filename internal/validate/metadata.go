package validate

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Metadata encodes a metadata object as JSON and checks it: keys at most 256
// characters, encoding at most 1 000 000 bytes. Values that do not encode as
// JSON make an error. On error it returns nil.
func Metadata(md map[string]any) ([]byte, error) {
	if len(md) == 0 {
		return nil, nil
	}
	for k := range md {
		if n := utf8.RuneCountInString(k); n > MaxMetadataKey {
			return nil, invalid("metadata key %s: %d characters, more than %d", quote(k), n, MaxMetadataKey)
		}
	}
	b, err := json.Marshal(md)
	if err != nil {
		return nil, fmt.Errorf("%w metadata: %v", ErrInvalid, err)
	}
	if len(b) > MaxMetadataBytes {
		return nil, invalid("metadata: %d bytes of JSON, more than %d", len(b), MaxMetadataBytes)
	}
	return b, nil
}
