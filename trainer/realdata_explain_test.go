//go:build realdata

package trainer

import (
	"context"
	"testing"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/realdata"
)

// TestRealExplained trains on every labelled set of ../shared/data with the
// default configuration and checks the additivity of its explanations
// (checkExplained) on 3,000 training rows.
func TestRealExplained(t *testing.T) {
	for name, tc := range map[string]struct {
		train string
		read  flowdata.Options
	}{
		"NSL-KDD kdd5":   {"nsl-kdd/KDDTrain+.txt.gz", flowdata.Options{LabelMap: "kdd5"}},
		"NSL-KDD binary": {"nsl-kdd/KDDTrain+.txt.gz", flowdata.Options{LabelMap: "binary"}},
		"CIC-IDS2017":    {"cicids2017/train.csv.gz", flowdata.Options{}},
		"APA-DDoS":       {"apa-ddos/train.csv.gz", flowdata.Options{Drop: []string{"ip.src", "ip.dst", "frame.time"}}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Data = []string{realdata.File(t, tc.train)}
			cfg.Read = tc.read
			res, err := Train(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			worst := checkExplained(t, res.Model, res.Train, 3000)
			t.Logf("%s: %d trees, %d outputs; largest relative additivity error over 3,000 rows %.3g",
				name, len(res.Model.Ensemble.Trees), res.Model.Ensemble.Outputs, worst)
		})
	}
}
