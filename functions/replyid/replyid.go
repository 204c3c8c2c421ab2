package replyid

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Layout of an id.
const (
	Version = 1
	// Size is the length of an id in bytes; Len in characters.
	Size = 1 + 4 + 2 + 8 + macSize
	Len  = (Size*8 + 5) / 6
	// Bucket is the time resolution of ids.
	Bucket = time.Hour
	// DefaultTTL is how long an id is accepted after its bucket.
	DefaultTTL = 7 * 24 * time.Hour
	// MinKeyBytes is the shortest key accepted.
	MinKeyBytes = 32

	macSize   = 16
	signedLen = Size - macSize
	domain    = "flowsense/reply-id/v1\x00"
)

var (
	// ErrMalformed: not an id at all (wrong length, not base64url, another
	// version).
	ErrMalformed = errors.New("not a reply id")
	// ErrForged: a well-formed id this deployment did not issue for this
	// model (forged, another key, another model).
	ErrForged = errors.New("reply id not issued by this deployment")
	// ErrExpired: an id older than the time to live, or from the future.
	ErrExpired = errors.New("reply id expired")
	// ErrKey: a key that is too short.
	ErrKey = errors.New("reply id key too short")
)

// Claims is what a valid id says.
type Claims struct {
	// Class is the index of the predicted class.
	Class int
	// Bucket is the hour of the prediction (hours since the Unix epoch).
	Bucket uint32
	// Nonce tells apart the predictions of one class in one bucket.
	Nonce uint64
	// MAC identifies the id (the key of Seen).
	MAC [macSize]byte
}

// Time is the start of the claim's bucket.
func (c Claims) Time() time.Time {
	return time.Unix(int64(c.Bucket)*int64(Bucket/time.Second), 0).UTC()
}

// Signer issues and verifies ids for one model under one key. It is safe
// for concurrent use.
type Signer struct {
	model [sha256.Size]byte
	ttl   time.Duration
	pool  sync.Pool     // *macState
	next  atomic.Uint64 // the next nonce
}

// NewSigner returns a signer for the model whose SHA-256 is modelSHA256
// (hex, as the model's metadata gives it; any other string is hashed) with
// key (at least MinKeyBytes). ttl <= 0 is DefaultTTL.
func NewSigner(key []byte, modelSHA256 string, ttl time.Duration) (*Signer, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrKey, len(key), MinKeyBytes)
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	s := &Signer{ttl: ttl}
	if b, err := hex.DecodeString(modelSHA256); err == nil && len(b) == sha256.Size {
		copy(s.model[:], b)
	} else {
		s.model = sha256.Sum256([]byte(modelSHA256))
	}
	var start [8]byte
	if _, err := rand.Read(start[:]); err != nil {
		return nil, fmt.Errorf("replyid: nonce: %w", err)
	}
	s.next.Store(binary.BigEndian.Uint64(start[:]))
	k := append([]byte(nil), key...)
	s.pool.New = func() any { return &macState{h: hmac.New(sha256.New, k)} }
	return s, nil
}

// TTL is how long ids are accepted.
func (s *Signer) TTL() time.Duration { return s.ttl }

// BucketOf is the bucket of a time.
func BucketOf(t time.Time) uint32 {
	h := t.Unix() / int64(Bucket/time.Second)
	if h < 0 {
		return 0
	}
	return uint32(min(h, math.MaxUint32))
}

// Reserve reserves n nonces and returns the first: the predictions of one
// request take first, first+1, ... first+n-1. Nonces count up from a
// random start per Signer, so no two predictions of a process share one
// and two replicas' ranges overlap with a chance of about issued/2^64.
func (s *Signer) Reserve(n int) uint64 { return s.next.Add(uint64(n)) - uint64(n) }

// Append appends the id of a prediction of class with nonce (from
// Reserve) at time now to dst, as text.
func (s *Signer) Append(dst []byte, nonce uint64, class int, now time.Time) []byte {
	var id [Size]byte
	id[0] = Version
	binary.BigEndian.PutUint32(id[1:], BucketOf(now))
	binary.BigEndian.PutUint16(id[5:], uint16(max(0, min(class, math.MaxUint16))))
	binary.BigEndian.PutUint64(id[7:], nonce)
	s.mac(id[signedLen:], id[:signedLen])
	return base64.RawURLEncoding.AppendEncode(dst, id[:])
}

// Issue is the id of one prediction of class at time now, as a string.
func (s *Signer) Issue(class int, now time.Time) string {
	return string(s.Append(make([]byte, 0, Len), s.Reserve(1), class, now))
}

// macState is one HMAC and its output buffer (pooled: no allocation per
// id).
type macState struct {
	h   hash.Hash
	sum [sha256.Size]byte
	buf [len(domain) + sha256.Size + signedLen]byte
}

func (s *Signer) mac(dst, signed []byte) {
	m := s.pool.Get().(*macState)
	m.h.Reset()
	n := copy(m.buf[:], domain)
	n += copy(m.buf[n:], s.model[:])
	n += copy(m.buf[n:], signed)
	m.h.Write(m.buf[:n])
	copy(dst, m.h.Sum(m.sum[:0]))
	s.pool.Put(m)
}

// Verify checks an id at time now: ErrMalformed, ErrForged or ErrExpired,
// or its claims. An id from the bucket after now's is accepted (clocks of
// replicas differ); one older than the time to live is not.
func (s *Signer) Verify(text string, now time.Time) (Claims, error) {
	var id [Size]byte
	if len(text) != Len {
		return Claims{}, fmt.Errorf("%w: %d characters, want %d", ErrMalformed, len(text), Len)
	}
	n, err := base64.RawURLEncoding.Strict().Decode(id[:], []byte(text))
	if err != nil || n != Size {
		return Claims{}, fmt.Errorf("%w: not base64url", ErrMalformed)
	}
	if id[0] != Version {
		return Claims{}, fmt.Errorf("%w: version %d", ErrMalformed, id[0])
	}
	var want [macSize]byte
	s.mac(want[:], id[:signedLen])
	if !hmac.Equal(want[:], id[signedLen:]) {
		return Claims{}, ErrForged
	}
	c := Claims{
		Bucket: binary.BigEndian.Uint32(id[1:]),
		Class:  int(binary.BigEndian.Uint16(id[5:])),
		Nonce:  binary.BigEndian.Uint64(id[7:]),
	}
	copy(c.MAC[:], id[signedLen:])
	cur := BucketOf(now)
	if c.Bucket > cur+1 {
		return Claims{}, fmt.Errorf("%w: issued at %s, after now", ErrExpired, c.Time().Format(time.RFC3339))
	}
	if now.Sub(c.Time().Add(Bucket)) > s.ttl {
		return Claims{}, fmt.Errorf("%w: issued at %s, accepted for %s", ErrExpired, c.Time().Format(time.RFC3339), s.ttl)
	}
	return c, nil
}
