//go:build realdata

package host_test

import (
	"context"
	"sync"
	"testing"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/realdata"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer"
)

func need(t testing.TB, rel string) string { return realdata.File(t, rel) }

// dataset is one real dataset's default model: trained with flowsense's
// default parameters, as `flowsense train` would.
type dataset struct {
	train, test []string // relative to the datasets directory
	read        flowdata.Options
}

var datasets = map[string]dataset{
	"NSL-KDD kdd5": {[]string{"nsl-kdd/KDDTrain+.txt.gz"}, []string{"nsl-kdd/KDDTest+.txt.gz"}, flowdata.Options{LabelMap: "kdd5"}},
	"CIC-IDS2017":  {[]string{"cicids2017/train.csv.gz"}, []string{"cicids2017/test.csv.gz"}, flowdata.Options{}},
	"APA-DDoS": {[]string{"apa-ddos/train.csv.gz"}, []string{"apa-ddos/test.csv.gz"},
		flowdata.Options{Drop: []string{"ip.src", "ip.dst", "frame.time"}}},
	// trained on the 10% file (a stratified hold-out for its metrics),
	// checked on the labelled test file
	"KDD99 10% kdd5": {[]string{"kddcup99/kddcup.data_10_percent.gz"}, []string{"kddcup99/corrected.gz"}, flowdata.Options{LabelMap: "kdd5"}},
}

type trained struct {
	m    *model.Model
	rows []float32 // the test rows, row-major
	err  error
}

var (
	trainedMu    sync.Mutex
	trainedCache = map[string]*trained{}
)

// trainedModel trains a dataset's default model once per process and reads
// its test rows against the model's schema.
func trainedModel(t testing.TB, name string) (*model.Model, []float32) {
	t.Helper()
	ds := datasets[name]
	var train, test []string
	for _, f := range ds.train {
		train = append(train, need(t, f))
	}
	for _, f := range ds.test {
		test = append(test, need(t, f))
	}
	trainedMu.Lock()
	defer trainedMu.Unlock()
	if tr, ok := trainedCache[name]; ok {
		if tr.err != nil {
			t.Fatal(tr.err)
		}
		return tr.m, tr.rows
	}
	tr := &trained{}
	trainedCache[name] = tr
	cfg := trainer.DefaultConfig()
	cfg.Data = train
	if name != "KDD99 10% kdd5" {
		cfg.Test = test
	}
	cfg.Read = ds.read
	res, err := trainer.Train(context.Background(), cfg)
	if err != nil {
		tr.err = err
		t.Fatal(err)
	}
	tr.m = res.Model
	opt := ds.read
	opt.Schema = &tr.m.Schema
	d, err := flowdata.Read(test, opt)
	if err != nil {
		tr.err = err
		t.Fatal(err)
	}
	nf := len(d.Columns)
	tr.rows = make([]float32, d.Rows*nf)
	for j, c := range d.Columns {
		for i, v := range c {
			tr.rows[i*nf+j] = v
		}
	}
	return tr.m, tr.rows
}
