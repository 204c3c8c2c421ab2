package tune

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/trainer"
)

var (
	flowsOnce sync.Once
	flowsPath string
	flowsErr  error
)

// flows is a synthetic flow file shared by the tests of this package.
func flows(tb testing.TB) string {
	tb.Helper()
	flowsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tune")
		if err != nil {
			flowsErr = err
			return
		}
		flowsPath = filepath.Join(dir, "flows.csv")
		f, err := os.Create(flowsPath)
		if err != nil {
			flowsErr = err
			return
		}
		defer f.Close()
		flowsErr = synth.Write(f, synth.Options{Rows: 1000, Seed: 3, Novel: 0.05})
	})
	if flowsErr != nil {
		tb.Fatal(flowsErr)
	}
	return flowsPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if flowsPath != "" {
		os.RemoveAll(filepath.Dir(flowsPath))
	}
	os.Exit(code)
}

// table is the training part of the synthetic flows under the defaults of
// `flowsense tune` (a stratified 0.2 hold-out).
func table(tb testing.TB) *Table {
	tb.Helper()
	t, err := TrainingPart(trainConfig(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func trainConfig(tb testing.TB) trainer.Config {
	cfg := trainer.DefaultConfig()
	cfg.Data = []string{flows(tb)}
	cfg.TestFraction = 0.2
	return cfg
}

// small is a quick search.
func small() Config {
	c := DefaultConfig()
	c.Trials, c.Folds, c.MinRounds, c.MaxRounds = 6, 2, 2, 18
	return c
}
