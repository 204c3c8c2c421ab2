package functionstest

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/internal/atomicfile"
	"github.com/flowsense/flowsense/trainer"
)

var regenModel = flag.Bool("regen-model", false, "retrain testdata/model.json from synthetic flows")

// TestGenerateModel rewrites testdata/model.json under -regen-model: a
// small model (10 rounds, depth 3) trained on 3,000 synthetic flows (seed
// 7) with the Mahalanobis detector. Without the flag it checks that the
// stored model still decodes and compiles.
func TestGenerateModel(t *testing.T) {
	if *regenModel {
		dir := t.TempDir()
		flows := filepath.Join(dir, "flows.csv")
		var buf bytes.Buffer
		if err := synth.Write(&buf, synth.Options{Rows: 3000, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(flows, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := trainer.DefaultConfig()
		cfg.Data = []string{flows}
		cfg.Boost.Rounds = 10
		cfg.Boost.MaxDepth = 3
		cfg.Name = "functions-test"
		res, err := trainer.Train(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		res.Model.Meta.Created = res.Model.Meta.Created.UTC().Truncate(1e9)
		b, err := res.Model.MarshalIndent()
		if err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.WriteFile(filepath.Join("testdata", "model.json"), b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ModelWasm(); err != nil {
		t.Fatal(err)
	}
}
