package trainer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/trainer"
)

func ExampleTrain() {
	dir, _ := os.MkdirTemp("", "flowsense-example")
	defer os.RemoveAll(dir)
	flows := filepath.Join(dir, "flows.csv")
	f, _ := os.Create(flows)
	synth.Write(f, synth.Options{Rows: 4000, Seed: 1})
	f.Close()

	cfg := trainer.DefaultConfig()
	cfg.Data = []string{flows}
	cfg.Boost.Rounds = 20
	res, err := trainer.Train(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("classes:", res.Model.Classes)
	fmt.Println("benign:", res.Model.Classes[res.Model.Benign[0]])
	fmt.Println("test rows:", res.Metrics.NTest)
	fmt.Println("accuracy above 0.9:", res.Metrics.Accuracy > 0.9)
	fmt.Println("outlier detector:", res.Model.Outlier != nil)
	// Output:
	// classes: [BENIGN Brute Force Exfiltration PortScan SYN Flood Slow DoS]
	// benign: BENIGN
	// test rows: 1000
	// accuracy above 0.9: true
	// outlier detector: true
}
