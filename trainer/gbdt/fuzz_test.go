package gbdt

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// fuzzData decodes bytes into a small dataset: a header byte for the shape,
// then float32 cells; special bytes become NaN, ±Inf, huge values and
// constant columns.
func fuzzData(b []byte) *Data {
	if len(b) < 3 {
		return nil
	}
	nf := int(b[0]%4) + 1
	classes := int(b[1]%4) + 2
	cat := b[2]
	b = b[3:]
	rows := len(b) / (nf + 1)
	if rows < 1 || rows > 300 {
		return nil
	}
	d := &Data{Columns: make([][]float32, nf), Kinds: make([]model.Kind, nf), Categories: make([]int, nf),
		Y: make([]int32, rows), Classes: classes}
	for f := range d.Columns {
		d.Columns[f] = make([]float32, rows)
		if cat&(1<<f) != 0 {
			d.Kinds[f] = model.Categorical
			d.Categories[f] = int(cat>>4) + 1
		}
	}
	for r := 0; r < rows; r++ {
		cell := b[r*(nf+1) : (r+1)*(nf+1)]
		d.Y[r] = int32(int(cell[0]) % classes)
		for f := 0; f < nf; f++ {
			x := cell[1+f]
			var v float32
			switch {
			case x == 255:
				v = float32(math.NaN())
			case x == 254:
				v = float32(math.Inf(1))
			case x == 253:
				v = float32(math.Inf(-1))
			case x == 252:
				v = math.MaxFloat32
			case x == 251:
				v = -math.SmallestNonzeroFloat32
			case f == 3:
				v = 7 // a constant column when nf == 4
			default:
				v = float32(int(x)-100) / 8
			}
			d.Columns[f][r] = v
		}
	}
	return d
}

func FuzzTrain(f *testing.F) {
	seed := make([]byte, 3+5*40)
	for i := range seed {
		seed[i] = byte(i * 37)
	}
	seed[0], seed[1], seed[2] = 3, 1, 0x32
	f.Add(seed)
	f.Add([]byte{0, 0, 0, 1, 2, 0, 3})
	f.Add([]byte{1, 2, 0xff, 0, 255, 254, 1, 253, 252, 2, 251, 255, 0, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := fuzzData(b)
		if d == nil {
			return
		}
		p := DefaultParams()
		p.Rounds = 4
		p.MinChildSamples = 1
		p.MaxBins = int(binary.LittleEndian.Uint16(append(b[:2:2], 0, 0)))%300 + 2
		if len(b)%2 == 0 {
			p.Multiclass = MultiPerClass
			p.Subsample, p.ColSample = 0.7, 0.6
		}
		res, tr, err := train(context.Background(), d, p, nil)
		if err != nil {
			t.Fatalf("Train: %v", err)
		}
		m := wrap(t, d, res.Ensemble)
		e := &m.Ensemble
		raw := make([]float64, e.Outputs)
		row := make([]float32, len(d.Columns))
		for i := range d.Y {
			for f := range d.Columns {
				row[f] = d.Columns[f][i]
			}
			e.Raw(row, raw)
			for j, v := range raw {
				if got := tr.scores[i*e.Outputs+j]; got != v {
					t.Fatalf("row %d output %d: predictor %v, trainer %v", i, j, v, got)
				}
			}
		}
	})
}
