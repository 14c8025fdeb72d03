package propagation

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// MinSecretLen is the shortest secret a [Key] may have, in bytes. Use 32
// random bytes.
const MinSecretLen = 16

// maxKeyIDLen is the longest key id.
const maxKeyIDLen = 64

// sigLen is the length of a signature in unpadded base64url.
var sigLen = base64.RawURLEncoding.EncodedLen(sha256.Size)

// ErrInvalidKey is wrapped by the errors of [NewKeyring].
var ErrInvalidKey = errors.New("propagation: invalid signing key")

// Key is a shared secret for signed member sets, and the id that names it in
// [MemberKeyID]. The id is not secret; it lets a receiver pick the key, so
// that keys can be rotated without a flag day.
type Key struct {
	// ID is 1 to 64 letters, digits, '-', '_' and '.'.
	ID string
	// Secret is at least [MinSecretLen] bytes.
	Secret []byte
}

// Keyring is a set of [Key]s: the current one signs, and every one verifies.
// To rotate, give every receiver a keyring holding the new key (as a
// previous key), then make it current on the senders, then drop the old one.
// A Keyring is immutable and safe for concurrent use.
type Keyring struct {
	current *ringKey
	keys    []*ringKey
}

type ringKey struct {
	id   string
	macs sync.Pool // of *macState
}

type macState struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

// NewKeyring returns a keyring that signs with current and verifies with
// current and each of previous. It copies the secrets. Key ids must be
// distinct; a malformed id or a short secret is an error wrapping
// [ErrInvalidKey]. Errors name a key by its position (0 is current, then
// previous in order), never by its id or secret: a key list written the
// wrong way round (secret:id) would put the secret in the id.
func NewKeyring(current Key, previous ...Key) (*Keyring, error) {
	kr := &Keyring{}
	for i, k := range append([]Key{current}, previous...) {
		if !validKeyID(k.ID) {
			return nil, fmt.Errorf("%w: key %d: id must be 1 to %d letters, digits, '-', '_' and '.'", ErrInvalidKey, i, maxKeyIDLen)
		}
		if len(k.Secret) < MinSecretLen {
			return nil, fmt.Errorf("%w: key %d: secret of %d bytes, fewer than %d", ErrInvalidKey, i, len(k.Secret), MinSecretLen)
		}
		for j, have := range kr.keys {
			if have.id == k.ID {
				return nil, fmt.Errorf("%w: keys %d and %d have the same id", ErrInvalidKey, j, i)
			}
		}
		secret := append([]byte(nil), k.Secret...)
		rk := &ringKey{id: k.ID}
		rk.macs.New = func() any { return &macState{h: hmac.New(sha256.New, secret)} }
		kr.keys = append(kr.keys, rk)
	}
	kr.current = kr.keys[0]
	return kr, nil
}

// CurrentID returns the id of the key that signs.
func (kr *Keyring) CurrentID() string { return kr.current.id }

func (kr *Keyring) find(id string) *ringKey {
	for _, k := range kr.keys {
		if k.id == id {
			return k
		}
	}
	return nil
}

// appendSig appends the base64url MAC of msg under k.
func (k *ringKey) appendSig(b, msg []byte) []byte {
	st := k.macs.Get().(*macState)
	st.h.Reset()
	st.h.Write(msg)
	sum := st.h.Sum(st.sum[:0])
	b = base64.RawURLEncoding.AppendEncode(b, sum)
	k.macs.Put(st)
	return b
}

// verify reports whether sig is the base64url MAC of msg under k, comparing
// in constant time.
func (k *ringKey) verify(msg []byte, sig string) bool {
	if len(sig) != sigLen {
		return false
	}
	var got [sha256.Size]byte
	if n, err := base64.RawURLEncoding.Decode(got[:], []byte(sig)); err != nil || n != len(got) {
		return false
	}
	st := k.macs.Get().(*macState)
	st.h.Reset()
	st.h.Write(msg)
	ok := hmac.Equal(st.h.Sum(st.sum[:0]), got[:])
	k.macs.Put(st)
	return ok
}

func validKeyID(id string) bool {
	if id == "" || len(id) > maxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
