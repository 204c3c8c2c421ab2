package gbdt

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPackedSums checks that sums of packed quantised gradients unpack to
// the sums of their parts, for any sign mix, and that subtracting a subset
// leaves the rest exactly.
func TestPackedSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := map[string]func() (int64, int64){
		"all negative g": func() (int64, int64) { return -qMax, qMax },
		"all zero":       func() (int64, int64) { return 0, 0 },
		"random": func() (int64, int64) {
			return rng.Int64N(2*qMax+1) - qMax, rng.Int64N(qMax + 1)
		},
	}
	for name, draw := range cases {
		t.Run(name, func(t *testing.T) {
			var sum, part, gs, hs, gp, hp int64
			for i := 0; i < 100000; i++ {
				g, h := draw()
				x := pack(g, h)
				sum += x
				gs += g
				hs += h
				if i%3 == 0 {
					part += x
					gp += g
					hp += h
				}
			}
			if g, h := unpack(sum); g != gs || h != hs {
				t.Fatalf("sum unpacks to (%d, %d), want (%d, %d)", g, h, gs, hs)
			}
			if g, h := unpack(sum - part); g != gs-gp || h != hs-hp {
				t.Fatalf("difference unpacks to (%d, %d), want (%d, %d)", g, h, gs-gp, hs-hp)
			}
		})
	}
}

// TestHistSkipMatchesFull checks that leaving out the most frequent bin and
// filling it from the totals gives the histogram of a full pass.
func TestHistSkipMatchesFull(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, w, nb = 5000, 3, 9
	col := make([]uint8, n)
	q := make([]uint16, n*w)
	tot := make([]int64, w)
	for i := range col {
		if rng.IntN(4) != 0 {
			col[i] = 2
		} else {
			col[i] = uint8(rng.IntN(nb))
		}
		for j := 0; j < w; j++ {
			q[i*w+j] = pack16(rng.Int64N(2*qMax+1)-qMax, rng.Int64N(qMax+1))
			tot[j] += widen(q[i*w+j])
		}
	}
	full := make([]int64, nb*(1+w))
	histRows(full, col, nil, q, w, -1)
	skip := make([]int64, nb*(1+w))
	histRows(skip, col, nil, q, w, 2)
	fillSkipped(skip, 1+w, 2, n, tot)
	for i := range full {
		if full[i] != skip[i] {
			t.Fatalf("entry %d: %d with the skip, %d without", i, skip[i], full[i])
		}
	}
}

// TestHistRowsByRowID: a histogram of some rows, their gradients read by
// row id, is the histogram of those rows gathered in order, for one and
// for several outputs.
func TestHistRowsByRowID(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	const n, nb = 5000, 40
	for _, w := range []int{1, 3} {
		col := make([]uint8, n)
		q := make([]uint16, n*w)
		for i := range col {
			col[i] = uint8(rng.IntN(nb))
			for j := 0; j < w; j++ {
				q[i*w+j] = pack16(rng.Int64N(2*qMax+1)-qMax, rng.Int64N(qMax+1))
			}
		}
		var rows []int32
		var gcol []uint8
		var gq []uint16
		for r := 0; r < n; r++ {
			if rng.IntN(3) == 0 {
				rows = append(rows, int32(r))
				gcol = append(gcol, col[r])
				gq = append(gq, q[r*w:r*w+w]...)
			}
		}
		byID := make([]int64, nb*(1+w))
		histRows(byID, col, rows, q, w, 5)
		gathered := make([]int64, nb*(1+w))
		histRows(gathered, gcol, nil, gq, w, 5)
		if !slices.Equal(byID, gathered) {
			t.Fatalf("w %d: the histogram by row id differs from the gathered rows'", w)
		}
	}
}

// TestPack16: every quantised pair survives its 16 bits: widened, it is
// the packed int64 of the pair.
func TestPack16(t *testing.T) {
	for g := int64(-qMax); g <= qMax; g++ {
		for h := int64(0); h <= qMax; h++ {
			if got, want := widen(pack16(g, h)), pack(g, h); got != want {
				t.Fatalf("g %d h %d: widened %d, want %d", g, h, got, want)
			}
		}
	}
}
