//go:build realdata

package trainer

import (
	"context"
	"testing"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/realdata"
)

// bar is one accuracy requirement from the issue: the best of
// scikit-learn's random forest, HistGradientBoosting, XGBoost, KNN and
// logistic regression on the same files (bench/BASELINES.md), reached with
// flowsense's default parameters.
type bar struct {
	accuracy, macroF1 float64
}

// seeds are the training seeds the bars are averaged over. One seed's
// figures move by up to ±0.012 on NSL-KDD binary (its test set is unlike
// its training set) and ±0.005 on CIC-IDS2017 macro-F1 (classes of 3 to 18
// test rows), more than the margins of the bars, so a bar applies to the
// expected figure of the defaults, estimated by the mean over three seeds;
// every seed's figures are logged. The default seed is 1.
var seeds = []uint64{1, 2, 3}

func TestRealBars(t *testing.T) {
	tests := map[string]struct {
		train, test string
		read        flowdata.Options
		bar         bar
	}{
		"NSL-KDD kdd5": {"nsl-kdd/KDDTrain+.txt.gz", "nsl-kdd/KDDTest+.txt.gz",
			flowdata.Options{LabelMap: "kdd5"}, bar{accuracy: 0.771, macroF1: 0.543}},
		"NSL-KDD binary": {"nsl-kdd/KDDTrain+.txt.gz", "nsl-kdd/KDDTest+.txt.gz",
			flowdata.Options{LabelMap: "binary"}, bar{accuracy: 0.812}},
		"CIC-IDS2017": {"cicids2017/train.csv.gz", "cicids2017/test.csv.gz",
			flowdata.Options{}, bar{accuracy: 0.984, macroF1: 0.983}},
		"APA-DDoS": {"apa-ddos/train.csv.gz", "apa-ddos/test.csv.gz",
			flowdata.Options{Drop: []string{"ip.src", "ip.dst", "frame.time"}}, bar{accuracy: 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var acc, f1 float64
			for _, seed := range seeds {
				cfg := DefaultConfig()
				cfg.Data = []string{realdata.File(t, tc.train)}
				cfg.Test = []string{realdata.File(t, tc.test)}
				cfg.Read = tc.read
				cfg.Boost.Seed = seed
				res, err := Train(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				m := res.Metrics
				acc += m.Accuracy / float64(len(seeds))
				f1 += m.MacroF1 / float64(len(seeds))
				t.Logf("%s seed %d: accuracy %.4f macro-F1 %.4f weighted-F1 %.4f ROC-AUC %.4f; %d train / %d test rows, %d trees, trained in %.2fs",
					name, seed, m.Accuracy, m.MacroF1, m.WeightedF1, m.ROCAUC, m.NTrain, m.NTest, len(res.Model.Ensemble.Trees), m.TrainSeconds)
			}
			t.Logf("%s mean of seeds %v: accuracy %.4f (bar %.3f) macro-F1 %.4f (bar %.3f)", name, seeds, acc, tc.bar.accuracy, f1, tc.bar.macroF1)
			if acc < tc.bar.accuracy {
				t.Errorf("mean accuracy %.4f below the bar %.3f", acc, tc.bar.accuracy)
			}
			if f1 < tc.bar.macroF1 {
				t.Errorf("mean macro-F1 %.4f below the bar %.3f", f1, tc.bar.macroF1)
			}
		})
	}
}
