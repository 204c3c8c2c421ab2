package runs_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/flowsense/flowsense/internal/runs"
)

func Example() {
	dir, _ := os.MkdirTemp("", "runs")
	defer os.RemoveAll(dir)
	sha := strings.Repeat("0", 64)
	for i, lr := range []string{"0.3", "0.1"} {
		t := time.Date(2026, 11, 21, 10, i, 0, 0, time.UTC)
		r := &runs.Run{
			ID: runs.NewID(t), Time: t, Kind: "train",
			Params:  map[string]string{"learning_rate": lr, "rounds": "50"},
			Metrics: map[string]float64{"accuracy": 0.9 + float64(i)/100},
			Data:    []runs.File{{Path: "flows.csv", SHA256: sha}},
		}
		if _, err := runs.Write(dir, r); err != nil {
			fmt.Println(err)
			return
		}
	}
	all, _ := runs.List(dir)
	c := runs.Compare(all[0], all[1])
	for _, p := range c.Params {
		fmt.Printf("%s: %s -> %s\n", p.Name, p.A, p.B)
	}
	for _, m := range c.Metrics {
		fmt.Printf("%s: %.2f -> %.2f (%+.2f)\n", m.Name, m.A, m.B, m.Delta)
	}
	// Output:
	// learning_rate: 0.3 -> 0.1
	// accuracy: 0.90 -> 0.91 (+0.01)
}
