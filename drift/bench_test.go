package drift

import "testing"

func benchCompare(b *testing.B, refRows, curRows, cols int) {
	var rc, cc []col
	for j := 0; j < cols; j++ {
		n := string(rune('a' + j))
		rc = append(rc, col{name: n, vals: normal(uint64(j), refRows, 0)})
		cc = append(cc, col{name: n, vals: normal(uint64(100+j), curRows, 0.1)})
	}
	ref, cur := dataset(rc...), dataset(cc...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(ref, cur, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// A large reference: Wasserstein on every column (sorting dominates).
func BenchmarkCompare_ref500k_cur100k_8num(b *testing.B) { benchCompare(b, 500_000, 100_000, 8) }

// A small reference against a large current file: the exact KS test.
func BenchmarkCompare_ref1k_cur10k_8num(b *testing.B) { benchCompare(b, 1000, 10_000, 8) }

// A small reference against more than 10,000 rows: the asymptotic KS test.
func BenchmarkCompare_ref1k_cur100k_8num(b *testing.B) { benchCompare(b, 1000, 100_000, 8) }
