package cloudevents

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// firstSpecial is the index of the first byte of b that str must look at
// ('"', '\\', control, non-ASCII), or len(b).
func firstSpecial(b []byte) int {
	for i, c := range b {
		if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return i
		}
	}
	return len(b)
}

// TestSpecial8: the word test finds the first special byte of 8, for every
// byte value at every position over a plain background, and for random
// words mixing several (where the usual SWAR tests flag false bytes above
// a true one).
func TestSpecial8(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		m := special8(binary.LittleEndian.Uint64(b))
		got := 8
		if m != 0 {
			got = bits.TrailingZeros64(m) / 8
		}
		if want := firstSpecial(b); got != want {
			t.Fatalf("%q: first special byte %d, want %d", b, got, want)
		}
	}
	for pos := range 8 {
		for c := range 256 {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			check(b)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte{'"', '\\', 0, 0x1f, 0x20, 0x21, '!', '#', '[', ']', 0x7f, 0x80, 0xff, 'a', '0', 0x01}
	for range 200000 {
		var b [8]byte
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		check(b[:])
	}
}

// TestStrLong: str finds the end of strings of every length up to 40 and
// refuses one with a special byte at any position.
func TestStrLong(t *testing.T) {
	for n := range 41 {
		body := make([]byte, n)
		for i := range body {
			body[i] = 'a' + byte(i%26)
		}
		s := append(append([]byte{'"'}, body...), '"', ',', 'x')
		p := fastParser{b: s}
		got, ok := p.str()
		if !ok || string(got) != string(body) || p.i != n+2 {
			t.Fatalf("len %d: %q %v at %d", n, got, ok, p.i)
		}
		for i := 1; i <= n; i++ {
			for _, c := range []byte{'\\', 0x1f, 0x80} {
				bad := append([]byte(nil), s...)
				bad[i] = c
				p := fastParser{b: bad}
				if _, ok := p.str(); ok {
					t.Fatalf("len %d: %q accepted", n, bad)
				}
			}
			cut := append([]byte(nil), s...)
			cut[i] = '"'
			p := fastParser{b: cut}
			if got, ok := p.str(); !ok || len(got) != i-1 || p.i != i+1 {
				t.Fatalf("len %d, quote at %d: %q %v at %d", n, i, got, ok, p.i)
			}
		}
	}
}
