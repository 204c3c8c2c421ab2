package gbdt

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
)

// prebinned bins d through NewBins and Add, chunk rows at a time, from the
// sample rows (every row when nil).
func prebinned(t *testing.T, d *Data, p Params, sampleRows []int, chunk int) *Data {
	t.Helper()
	n := len(d.Y)
	sample := d.Columns
	if sampleRows != nil {
		sample = make([][]float32, len(d.Columns))
		for f, c := range d.Columns {
			for _, r := range sampleRows {
				sample[f] = append(sample[f], c[r])
			}
		}
	} else {
		sampleRows = make([]int, n)
		for i := range sampleRows {
			sampleRows[i] = i
		}
	}
	bins, err := NewBins(sample, sampleRows, n, d.Kinds, d.Categories, p.MaxBins, p.Seed, 2)
	if err != nil {
		t.Fatal(err)
	}
	for first := 0; first < n; first += chunk {
		src := make([]int32, 0, chunk)
		for r := first; r < min(first+chunk, n); r++ {
			src = append(src, int32(r))
		}
		if err := bins.Add(d.Columns, src); err != nil {
			t.Fatal(err)
		}
	}
	if bins.Rows() != n {
		t.Fatalf("%d rows binned of %d", bins.Rows(), n)
	}
	return &Data{Columns: make([][]float32, len(d.Columns)), Kinds: d.Kinds, Categories: d.Categories,
		Y: d.Y, Classes: d.Classes, Weights: d.Weights, Bins: bins}
}

// TestBinsSameModel: rows binned ahead through NewBins (from every row)
// and Add, a chunk at a time, train the same ensemble as the columns do,
// past binSample rows (the edges' seeded sample) and through the class
// weighting trial and the refit.
func TestBinsSameModel(t *testing.T) {
	p := DefaultParams()
	p.Rounds = 6
	p.Refit = true
	d := synth(binSample+7000, 7, 2, 3, 11)
	d.Columns[0][5] = float32(math.Inf(1)) // posInf comes from Add
	a, err := Train(context.Background(), d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(context.Background(), prebinned(t, d, p, nil, 4099), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a.Ensemble)
	jb, _ := json.Marshal(b.Ensemble)
	if !a.Refit || string(ja) != string(jb) {
		t.Errorf("refit %v; binned ahead, the ensemble differs", a.Refit)
	}
}

// TestBinsFromSample: edges chosen on a part of the rows bin every row by
// them, and train.
func TestBinsFromSample(t *testing.T) {
	p := small()
	p.Rounds = 5
	d := synth(9000, 5, 1, 2, 4)
	var rows []int
	for r := 0; r < 9000; r += 3 {
		rows = append(rows, r)
	}
	pd := prebinned(t, d, p, rows, 1000)
	b := pd.Bins.b
	for f := range d.Columns {
		for r, x := range d.Columns[f] {
			if got, want := b.bin(f, r), b.binOf(f, x); got != want {
				t.Fatalf("feature %d row %d: bin %d, want %d", f, r, got, want)
			}
		}
	}
	if _, err := Train(context.Background(), pd, p, nil); err != nil {
		t.Fatal(err)
	}
	short := prebinned(t, d, p, rows, 1000)
	short.Y = short.Y[:8000]
	var de *DataError
	if _, err := Train(context.Background(), short, p, nil); !errors.As(err, &de) || de.Field != "Bins" {
		t.Fatalf("bins of 9000 rows for 8000 labels: err %v", err)
	}
	if err := pd.Bins.Add(d.Columns, []int32{0}); err == nil {
		t.Fatal("a row past the announced count was binned")
	}
	if _, err := NewBins(d.Columns[:1], []int{2, 1}, 9000, nil, nil, 255, 1, 1); err == nil {
		t.Fatal("descending sample rows accepted")
	}
}
