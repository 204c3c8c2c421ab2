package outlier

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// floats decodes b as little-endian float64 bit patterns (any value: NaN,
// ±Inf, subnormals, huge).
func floats(b []byte) []float64 {
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

func encode(v ...float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

// FuzzScore feeds arbitrary rows to a fitted batch detector (through the
// reference scorer) and to a warmed-up online detector: neither may panic
// or produce a NaN score; the online one may only refuse with ErrNumeric.
func FuzzScore(f *testing.F) {
	const d = 4
	train := gaussian(rand.New(rand.NewPCG(21, 0)), 400, d)
	batch, err := Fit(columns(train), identity(d), DefaultParams())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encode(1, 2, 3, 4))
	f.Add(encode(math.NaN(), math.Inf(1), math.Inf(-1), 0))
	f.Add(encode(1e300, -1e300, math.SmallestNonzeroFloat64, math.MaxFloat64))
	f.Add(encode(math.NaN(), math.NaN(), math.NaN(), math.NaN(), 5, 6, 7, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := floats(b)
		var rows [][]float64
		for len(v) >= d {
			rows = append(rows, v[:d])
			v = v[d:]
		}
		for _, r := range rows {
			if s := batch.Score(f32Clamped(r)); math.IsNaN(s) || s < -1e-9 {
				t.Fatalf("batch score %v for %v", s, r)
			}
		}
		for _, start := range []int{0, 1 << 20} {
			o, err := NewOnline(d, Params{Components: 2, NStdev: 3, StartClip: start})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := o.Score(train[:50]); err != nil {
				t.Fatal(err)
			}
			scores, err := o.Score(rows)
			if err != nil {
				if !errors.Is(err, ErrNumeric) {
					t.Fatalf("online error %v, want only ErrNumeric", err)
				}
				continue
			}
			for i, s := range scores {
				if math.IsNaN(s) || math.IsInf(s, 0) {
					t.Fatalf("online score %v for %v", s, rows[i])
				}
			}
		}
	})
}

// f32Clamped converts to float32 as the IR's rows are (out-of-range values
// become ±Inf, which the scorer clamps).
func f32Clamped(r []float64) []float32 {
	out := make([]float32, len(r))
	for i, v := range r {
		out[i] = float32(v)
	}
	return out
}

// FuzzFit fits on arbitrary columns, under each Log1p rule (picked by the
// width byte): Fit either fails with a typed error or
// returns a well-shaped model whose scores of its own rows are not NaN.
func FuzzFit(f *testing.F) {
	f.Add(uint8(2), encode(1, 2, 3, 4, 5, 6))
	f.Add(uint8(3), encode(math.NaN(), 1, 1, math.Inf(1), 2, 2, 3, 3, 3))
	f.Add(uint8(1), encode(1e300, -1e300, 0, 5))
	f.Fuzz(func(t *testing.T, dd uint8, b []byte) {
		d := int(dd%6) + 1
		p := DefaultParams()
		p.Log1p = []string{Log1pAuto, Log1pAll, Log1pNone}[int(dd/6)%3]
		v := floats(b)
		n := len(v) / d
		cols := make([][]float32, d)
		for j := range cols {
			cols[j] = make([]float32, n)
			for i := range n {
				cols[j][i] = float32(v[i*d+j])
			}
		}
		m, err := Fit(cols, identity(d), p)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		checkShape(t, m, d)
		row := make([]float32, d)
		for i := range n {
			for j := range row {
				row[j] = cols[j][i]
			}
			if s := m.Score(row); math.IsNaN(s) {
				t.Fatalf("score NaN for %v", row)
			}
		}
	})
}

// FuzzResume decodes an online state from arbitrary numbers: Resume either
// refuses it with ErrModel or returns a detector that scores without
// panicking.
func FuzzResume(f *testing.F) {
	f.Add(uint8(2), int64(100), encode(0, 0, 1, 1, 1, 0.5, 0.5, 1, 5))
	f.Add(uint8(1), int64(-1), encode(math.NaN(), 0, 1))
	f.Fuzz(func(t *testing.T, dd uint8, seen int64, b []byte) {
		d := int(dd%4) + 1
		v := floats(b)
		need := d + d + d*d + 1
		if len(v) < need {
			return
		}
		m := &model.Outlier{
			Features:   identity(d),
			Mean:       v[:d],
			Scale:      v[d : 2*d],
			Components: 1,
			Projection: make([]float64, d),
			InvCov:     []float64{1},
			Threshold:  v[2*d+d*d],
			Online:     &model.OnlineState{NStdev: 3, StartClip: 10, Seen: seen, Cov: v[2*d : 2*d+d*d]},
		}
		o, err := Resume(m)
		if err != nil {
			if !errors.Is(err, ErrModel) {
				t.Fatalf("error %v, want ErrModel", err)
			}
			return
		}
		row := make([]float64, d)
		for j := range row {
			row[j] = float64(j)
		}
		o.Score([][]float64{row, row})
	})
}
