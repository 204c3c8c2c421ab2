package xgboost_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/model/xgboost"
)

// FuzzRead feeds arbitrary bytes to Read: it never panics, every error is
// an *xgboost.Error, and whatever it accepts passes model.Validate and
// predicts rows of missing, infinite and ordinary values.
func FuzzRead(f *testing.F) {
	f.Add([]byte(tinyDoc))
	f.Add([]byte(tinyDoc[:len(tinyDoc)/3]))
	f.Add([]byte(strings.Replace(tinyDoc, "binary:logistic", "multi:softprob", 1)))
	f.Add([]byte(strings.Replace(tinyDoc, `"num_class": "0"`, `"num_class": "2"`, 1)))
	f.Add([]byte(`{"learner": {}}`))
	f.Add([]byte("{L\x00"))
	if b, err := os.ReadFile(filepath.Join("testdata", "softmax.json")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := xgboost.Read(strings.NewReader(string(b)), xgboost.Options{})
		if err != nil {
			var xe *xgboost.Error
			if !errors.As(err, &xe) {
				t.Fatalf("error %T is not an *xgboost.Error: %v", err, err)
			}
			return
		}
		if err := model.Validate(m); err != nil {
			t.Fatalf("accepted a model that fails validation: %v", err)
		}
		row := make([]float32, len(m.Schema.Features))
		var r model.Result
		for _, v := range []float32{float32(math.NaN()), 0, float32(math.Inf(1)), -1e30} {
			for i := range row {
				row[i] = v
			}
			if err := m.Predict(row, &r); err != nil {
				t.Fatal(err)
			}
			for _, p := range r.Probabilities {
				if !(p >= 0 && p <= 1) {
					t.Fatalf("probability %v", p)
				}
			}
		}
	})
}
