package replyid

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testKey   = bytes.Repeat([]byte("k"), MinKeyBytes)
	testModel = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	t0        = time.Date(2026, 12, 3, 7, 30, 0, 0, time.UTC)
)

// alphabet is the base64url alphabet.
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func signer(t testing.TB, key []byte, model string) *Signer {
	t.Helper()
	s, err := NewSigner(key, model, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	s := signer(t, testKey, testModel)
	id := s.Issue(3, t0)
	if len(id) != Len {
		t.Fatalf("id %q: %d characters, want %d", id, len(id), Len)
	}
	c, err := s.Verify(id, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if c.Class != 3 || c.Bucket != BucketOf(t0) {
		t.Errorf("claims %+v", c)
	}
	// every prediction its own id, also of the same class in the same hour
	seen := map[string]bool{id: true}
	for i := range 1000 {
		other := s.Issue(3, t0)
		if seen[other] {
			t.Fatalf("prediction %d: an id issued before", i)
		}
		seen[other] = true
	}
	first := s.Reserve(2)
	if next := s.Reserve(1); next != first+2 {
		t.Errorf("Reserve(2) = %d, then %d: want consecutive ranges", first, next)
	}
	fixed := string(s.Append(nil, 7, 3, t0))
	for name, other := range map[string]string{
		"another nonce":  string(s.Append(nil, 8, 3, t0)),
		"another class":  string(s.Append(nil, 7, 2, t0)),
		"another bucket": string(s.Append(nil, 7, 3, t0.Add(Bucket))),
	} {
		if other == fixed {
			t.Errorf("%s: the same id", name)
		}
	}
	if again := string(s.Append(nil, 7, 3, t0.Add(time.Minute))); again != fixed {
		t.Errorf("the same nonce, class and hour: %q then %q", fixed, again)
	}
}

func TestRefused(t *testing.T) {
	s := signer(t, testKey, testModel)
	id := s.Issue(1, t0)
	raw, _ := base64.RawURLEncoding.DecodeString(id)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	cases := map[string]struct {
		id  string
		s   *Signer
		now time.Time
		err error
	}{
		"empty":         {id: "", err: ErrMalformed},
		"short":         {id: id[:Len-1], err: ErrMalformed},
		"not base64url": {id: "!" + id[1:], err: ErrMalformed},
		"padding bits":  {id: id[:Len-1] + string(alphabet[strings.IndexByte(alphabet, id[Len-1])^1]), err: ErrMalformed},
		"version":       {id: flip(0), err: ErrMalformed},
		"bucket":        {id: flip(4), err: ErrForged},
		"class":         {id: flip(6), err: ErrForged},
		"row":           {id: flip(10), err: ErrForged},
		"mac":           {id: flip(Size - 1), err: ErrForged},
		"another key":   {id: id, s: signer(t, bytes.Repeat([]byte("x"), MinKeyBytes), testModel), err: ErrForged},
		"another model": {id: id, s: signer(t, testKey, "another model"), err: ErrForged},
		"expired":       {id: id, now: t0.Add(DefaultTTL + 2*Bucket), err: ErrExpired},
		"future":        {id: id, now: t0.Add(-3 * Bucket), err: ErrExpired},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v, now := tc.s, tc.now
			if v == nil {
				v = s
			}
			if now.IsZero() {
				now = t0
			}
			if _, err := v.Verify(tc.id, now); !errors.Is(err, tc.err) {
				t.Errorf("Verify: %v, want %v", err, tc.err)
			}
		})
	}
	if _, err := s.Verify(id, t0.Add(DefaultTTL)); err != nil {
		t.Errorf("within the time to live: %v", err)
	}
	if _, err := NewSigner(testKey[:MinKeyBytes-1], testModel, 0); !errors.Is(err, ErrKey) {
		t.Errorf("short key: %v, want ErrKey", err)
	}
}

func TestSeen(t *testing.T) {
	s := signer(t, testKey, testModel)
	claim := func(_ float32, at time.Time) Claims {
		c, err := s.Verify(s.Issue(0, at), at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b, c := claim(1, t0), claim(2, t0), claim(3, t0)
	seen := NewSeen(0, 4)
	if err := seen.Claim([]Claims{a, b}, t0); err != nil {
		t.Fatal(err)
	}
	var de *DuplicateError
	if err := seen.Claim([]Claims{c, a}, t0); !errors.As(err, &de) || de.Index != 1 || de.Earlier != -1 {
		t.Fatalf("replay: %v", err)
	}
	if seen.Len() != 2 {
		t.Fatalf("a refused claim kept %d ids, want 2 (all or none)", seen.Len())
	}
	if err := seen.Claim([]Claims{c, c}, t0); !errors.As(err, &de) || de.Index != 1 || de.Earlier != 0 {
		t.Fatalf("twice in one call: %v", err)
	}
	if err := seen.Claim([]Claims{c}, t0); err != nil {
		t.Fatal(err)
	}
	d, e := claim(4, t0), claim(5, t0)
	if err := seen.Claim([]Claims{d, e}, t0); !errors.Is(err, ErrFull) {
		t.Fatalf("over the bound: %v, want ErrFull", err)
	}
	later := t0.Add(DefaultTTL + 2*Bucket)
	f := claim(6, later)
	if err := seen.Claim([]Claims{f}, later); err != nil || seen.Len() != 1 {
		t.Fatalf("after the ids expired: %v, %d remembered, want 1", err, seen.Len())
	}
}

func FuzzVerify(f *testing.F) {
	s := signer(f, testKey, testModel)
	f.Add(s.Issue(0, t0))
	f.Add("")
	f.Add(string(bytes.Repeat([]byte("A"), Len)))
	f.Fuzz(func(t *testing.T, id string) {
		c, err := s.Verify(id, t0)
		if err != nil {
			return
		}
		if again := s.Append(nil, c.Nonce, c.Class, c.Time()); string(again) != id {
			t.Fatalf("accepted %q, which re-issues as %q", id, again)
		}
	})
}

// BenchmarkIssue and BenchmarkVerify are the cost per flow; compare
// with BenchmarkSHA256_78features, the SHA-256 of a row of 78 float32s (the
// digest an id does not carry; see the package's design note).
func BenchmarkSHA256_78features(b *testing.B) {
	row := make([]byte, 78*4)
	for b.Loop() {
		sha256.Sum256(row)
	}
}

func BenchmarkIssue(b *testing.B) {
	s := signer(b, testKey, testModel)
	buf := make([]byte, 0, Len)
	b.ReportAllocs()
	for b.Loop() {
		buf = s.Append(buf[:0], s.Reserve(1), 1, t0)
	}
}

func BenchmarkVerify(b *testing.B) {
	s := signer(b, testKey, testModel)
	id := s.Issue(1, t0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(id, t0); err != nil {
			b.Fatal(err)
		}
	}
}
