package wasm_test

import (
	"context"
	"math"
	"os"
	"os/exec"
	"testing"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm"
)

func TestScratch(t *testing.T) {
	for _, name := range []string{"kdd5", "cic"} {
		m, err := model.ReadFile("/tmp/models/" + name + "/model.json")
		if err != nil {
			t.Fatal(err)
		}
		b, err := wasm.Compile(m)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile("/tmp/models/"+name+".wasm", b, 0o644)
		t.Logf("%s: %d bytes", name, len(b))
		if out, err := exec.Command("/usr/bin/wasm-validate", "/tmp/models/"+name+".wasm").CombinedOutput(); err != nil {
			t.Fatalf("%s %s", err, out)
		}
		mod, err := wasm.Load(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		nf := len(m.Schema.Features)
		rows := make([]float32, 1000*nf)
		for i := range rows {
			rows[i] = float32(i%7) * float32(i%13)
		}
		out := make([]wasm.Result, 1000)
		if err := mod.Classify(context.Background(), rows, out); err != nil {
			t.Fatal(err)
		}
		var r model.Result
		bad := 0
		for i := range out {
			m.Predict(rows[i*nf:(i+1)*nf], &r)
			if r.Class != out[i].Class || math.Abs(r.OutlierScore-out[i].OutlierScore) > 1e-5*math.Abs(r.OutlierScore) {
				bad++
				if bad < 5 {
					t.Errorf("row %d: native %d %v %v wasm %d %v %v", i, r.Class, r.Probabilities, r.OutlierScore, out[i].Class, out[i].Probabilities, out[i].OutlierScore)
				}
			}
			for j := range r.Probabilities {
				if math.Abs(r.Probabilities[j]-out[i].Probabilities[j]) > 1e-6 {
					bad++
				}
			}
		}
		t.Logf("bad %d", bad)
	}
}
