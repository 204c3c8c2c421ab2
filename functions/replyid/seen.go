package replyid

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultMaxSeen is the default bound of a Seen: about 25 MB of ids.
const DefaultMaxSeen = 1 << 20

var (
	// ErrDuplicate: an id whose feedback was already counted.
	ErrDuplicate = errors.New("reply id already used")
	// ErrFull: Seen holds its maximum of ids; nothing more is counted until
	// the oldest expire.
	ErrFull = errors.New("too many reply ids remembered")
)

// DuplicateError names the duplicate among the claims given to Claim.
type DuplicateError struct {
	// Index is the position of the duplicate in the slice.
	Index int
	// Earlier is the position of its first use in the same slice, or -1
	// when it was used by an earlier call.
	Earlier int
}

func (e *DuplicateError) Error() string {
	if e.Earlier >= 0 {
		return fmt.Sprintf("item %d: %v (item %d has the same id)", e.Index, ErrDuplicate, e.Earlier)
	}
	return fmt.Sprintf("item %d: %v", e.Index, ErrDuplicate)
}

func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// Seen remembers used ids, by bucket, for the time to live of their
// signer, and at most max of them. It is safe for concurrent use.
type Seen struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	n       int
	buckets map[uint32]map[[macSize]byte]struct{}
}

// NewSeen returns an empty Seen for ids accepted ttl (DefaultTTL if <= 0),
// holding at most max ids (DefaultMaxSeen if <= 0).
func NewSeen(ttl time.Duration, max int) *Seen {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if max <= 0 {
		max = DefaultMaxSeen
	}
	return &Seen{ttl: ttl, max: max, buckets: map[uint32]map[[macSize]byte]struct{}{}}
}

// Len is the number of ids remembered.
func (s *Seen) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Claim marks every claim used, all or none: a *DuplicateError (wrapping
// ErrDuplicate) if any was used before or twice in cs, ErrFull if they do
// not fit. Buckets expired at now are forgotten first.
func (s *Seen) Claim(cs []Claims, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	var first map[[macSize]byte]int
	if len(cs) > 1 {
		first = make(map[[macSize]byte]int, len(cs))
	}
	for i, c := range cs {
		if _, ok := s.buckets[c.Bucket][c.MAC]; ok {
			return &DuplicateError{Index: i, Earlier: -1}
		}
		if first != nil {
			if j, ok := first[c.MAC]; ok {
				return &DuplicateError{Index: i, Earlier: j}
			}
			first[c.MAC] = i
		}
	}
	if s.n+len(cs) > s.max {
		return fmt.Errorf("%w: %d remembered, at most %d", ErrFull, s.n, s.max)
	}
	for _, c := range cs {
		b := s.buckets[c.Bucket]
		if b == nil {
			b = map[[macSize]byte]struct{}{}
			s.buckets[c.Bucket] = b
		}
		b[c.MAC] = struct{}{}
	}
	s.n += len(cs)
	return nil
}

// expire forgets the buckets whose ids a signer with the same time to
// live no longer accepts.
func (s *Seen) expire(now time.Time) {
	for b, ids := range s.buckets {
		c := Claims{Bucket: b}
		if now.Sub(c.Time().Add(Bucket)) > s.ttl {
			s.n -= len(ids)
			delete(s.buckets, b)
		}
	}
}
