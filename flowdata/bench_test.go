package flowdata

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// kddLike returns n synthetic rows shaped like NSL-KDD (41 features, label,
// difficulty).
func kddLike(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	protos := []string{"tcp", "udp", "icmp"}
	services := []string{"http", "private", "ftp_data", "smtp", "other", "domain_u"}
	flags := []string{"SF", "S0", "REJ", "RSTR"}
	labels := []string{"normal", "neptune", "satan", "smurf", "guess_passwd"}
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d,%s,%s,%s,%d,%d", rng.IntN(100), protos[rng.IntN(3)], services[rng.IntN(6)], flags[rng.IntN(4)], rng.IntN(5000), rng.IntN(20000))
		for j := 6; j < 41; j++ {
			if j >= 24 && j <= 30 || j >= 33 {
				fmt.Fprintf(&b, ",%.2f", rng.Float64())
			} else {
				fmt.Fprintf(&b, ",%d", rng.IntN(3))
			}
		}
		fmt.Fprintf(&b, ",%s,%d\n", labels[rng.IntN(5)], rng.IntN(22))
	}
	return b.Bytes()
}

func BenchmarkParseChunk_kdd_1000rows(b *testing.B) {
	data := kddLike(1000)
	lay, err := newLayout(FormatKDD, kddHeader(43), &Options{})
	if err != nil {
		b.Fatal(err)
	}
	p := newParser(lay, "bench", nil, nil, false)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		out := p.process(data, 1)
		if out.err != nil || out.rows != 1000 {
			b.Fatal(out.err, out.rows)
		}
	}
}

func BenchmarkRead_kdd_100000rows(b *testing.B) {
	path := filepath.Join(b.TempDir(), "kdd.txt")
	if err := os.WriteFile(path, kddLike(100000), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read([]string{path}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRowReader_kdd_10000rows(b *testing.B) {
	content := kddLike(10000)
	path := filepath.Join(b.TempDir(), "kdd.txt")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		b.Fatal(err)
	}
	d, err := Read([]string{path}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	row := make([]float32, len(d.Schema.Features))
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		rr, err := NewRowReader(bytes.NewReader(content), "kdd.txt", &d.Schema, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			if _, err := rr.Next(row); err != nil {
				break
			}
			n++
		}
		if n != 10000 {
			b.Fatalf("%d rows", n)
		}
	}
}
