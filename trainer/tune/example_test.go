package tune_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/trainer"
	"github.com/flowsense/flowsense/trainer/tune"
)

// Run draws 9 configurations and halves them by 3 up to one: 9 fitted
// with 1 round, the best 3 with 3, the best with 9.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "tune")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "flows.csv")
	f, _ := os.Create(path)
	if err := synth.Write(f, synth.Options{Rows: 600, Seed: 1}); err != nil {
		log.Fatal(err)
	}
	f.Close()

	cfg := trainer.DefaultConfig()
	cfg.Data, cfg.TestFraction = []string{path}, 0.2
	table, err := tune.TrainingPart(cfg) // the rows training would keep
	if err != nil {
		log.Fatal(err)
	}
	sc := tune.DefaultConfig()
	sc.Trials, sc.Eta, sc.Folds, sc.MinRounds, sc.MaxRounds = 9, 3, 2, 1, 100
	s, err := tune.Run(context.Background(), table, sc)
	if err != nil {
		log.Fatal(err)
	}
	for i, r := range s.Rungs {
		fmt.Printf("rung %d: %d configurations, %d rounds\n", i, len(r.Trials), r.Rounds)
	}
	fmt.Println("best is the last rung's:", s.Best.ID == s.Rungs[2].Trials[0].ID)
	// Output:
	// rung 0: 9 configurations, 1 rounds
	// rung 1: 3 configurations, 3 rounds
	// rung 2: 1 configurations, 9 rounds
	// best is the last rung's: true
}
