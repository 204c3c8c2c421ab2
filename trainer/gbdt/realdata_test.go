//go:build realdata

package gbdt_test

import (
	"context"
	"testing"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/realdata"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer/gbdt"
)

func dataFile(tb testing.TB, rel string) string { return realdata.File(tb, rel) }

// task is a train/test pair read the way the CLI reads it.
type task struct {
	train, test string
	labelMap    string
	drop        []string
}

var (
	kdd5   = task{"nsl-kdd/KDDTrain+.txt.gz", "nsl-kdd/KDDTest+.txt.gz", "kdd5", nil}
	cicids = task{"cicids2017/train.csv.gz", "cicids2017/test.csv.gz", "",
		[]string{"id", "Flow ID", "Src IP", "Src Port", "Dst IP", "Timestamp", "Attempted Category"}}
)

func readTrain(tb testing.TB, tk task) *flowdata.Dataset {
	tb.Helper()
	ds, err := flowdata.Read([]string{dataFile(tb, tk.train)}, flowdata.Options{LabelMap: tk.labelMap, Drop: tk.drop})
	if err != nil {
		tb.Fatalf("read %s: %v", tk.train, err)
	}
	return ds
}

func toData(ds *flowdata.Dataset) *gbdt.Data {
	d := &gbdt.Data{Columns: ds.Columns, Y: ds.Y, Classes: len(ds.Classes)}
	for _, f := range ds.Schema.Features {
		d.Kinds = append(d.Kinds, f.Kind)
		d.Categories = append(d.Categories, len(f.Categories))
	}
	return d
}

// evaluate returns accuracy and macro-F1 (over the classes that occur in
// the truth or the predictions, as scikit-learn computes it) of e on the
// test file, read against the training schema.
func evaluate(tb testing.TB, tk task, tr *flowdata.Dataset, e *model.Ensemble) (acc, macroF1 float64) {
	tb.Helper()
	te, err := flowdata.Read([]string{dataFile(tb, tk.test)}, flowdata.Options{LabelMap: tk.labelMap, Drop: tk.drop, Schema: &tr.Schema})
	if err != nil {
		tb.Fatalf("read %s: %v", tk.test, err)
	}
	index := map[string]int{}
	for i, c := range tr.Classes {
		index[c] = i
	}
	k := len(tr.Classes)
	conf := make([][]int, k+1) // last row: test classes unknown to training
	for i := range conf {
		conf[i] = make([]int, k)
	}
	raw := make([]float64, e.Outputs)
	probs := make([]float64, k)
	var row []float32
	correct := 0
	for i := 0; i < te.Rows; i++ {
		row = te.Row(i, row)
		e.Raw(row, raw)
		e.Probabilities(raw, probs)
		pred := 0
		for j, p := range probs {
			if p > probs[pred] {
				pred = j
			}
		}
		truth, ok := index[te.Classes[te.Y[i]]]
		if !ok {
			truth = k
		}
		conf[truth][pred]++
		if truth == pred {
			correct++
		}
	}
	classes := 0
	for c := 0; c < k; c++ {
		tp := float64(conf[c][c])
		var fp, fn float64
		for j := 0; j <= k; j++ {
			if j != c {
				fp += float64(conf[j][c])
			}
		}
		for j := 0; j < k; j++ {
			if j != c {
				fn += float64(conf[c][j])
			}
		}
		if tp+fp+fn == 0 {
			continue
		}
		classes++
		macroF1 += 2 * tp / (2*tp + fp + fn)
	}
	return float64(correct) / float64(te.Rows), macroF1 / float64(classes)
}

// BenchmarkTrain_NSLKDD_kdd5 is Train alone on NSL-KDD (125,973 x 41, 3
// categorical, 5 classes) with the default parameters.
func BenchmarkTrain_NSLKDD_kdd5(b *testing.B) {
	d := toData(readTrain(b, kdd5))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := gbdt.Train(context.Background(), d, gbdt.DefaultParams(), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProcess_NSLKDD_kdd5 is the whole job the performance target is
// about: read the training file, train, read and evaluate the test file.
func BenchmarkProcess_NSLKDD_kdd5(b *testing.B) {
	dataFile(b, kdd5.train)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tr := readTrain(b, kdd5)
		res, err := gbdt.Train(context.Background(), toData(tr), gbdt.DefaultParams(), nil)
		if err != nil {
			b.Fatal(err)
		}
		evaluate(b, kdd5, tr, &res.Ensemble)
	}
}

// BenchmarkTrain_CICIDS2017 is Train alone on the CIC-IDS2017 sample
// (32,565 x 84, 16 classes).
func BenchmarkTrain_CICIDS2017(b *testing.B) {
	d := toData(readTrain(b, cicids))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := gbdt.Train(context.Background(), d, gbdt.DefaultParams(), nil); err != nil {
			b.Fatal(err)
		}
	}
}
