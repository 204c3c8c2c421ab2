//go:build realdata

package trainer

import (
	"context"
	"slices"
	"testing"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/realdata"
)

// figures are an accuracy and a macro-F1 on a test file.
type figures struct {
	accuracy, macroF1 float64
}

// defaultSeed is gbdt.DefaultParams().Seed, the seed a user gets.
const defaultSeed = 1

// spreadSeeds are the seeds whose figures are logged as the spread.
var spreadSeeds = []uint64{1, 2, 3, 4, 5}

// TestRealBars trains with the default configuration on every labelled set
// of ../shared/data and checks the default seed against two bars (issue
// 10): the best peer on the same files (random forest, HistGradientBoosting
// with codes or native categorical, XGBoost hist 200 x depth 6, one thread,
// bench/accuracy.py; the figures), and the figure of the defaults
// before issue 10 less 0.002. Seeds 1-5 are trained too and their spread
// logged with the default seed's rank (not checked: the bars are
// the default seed's).
func TestRealBars(t *testing.T) {
	tests := map[string]struct {
		train, test string
		read        flowdata.Options
		peer        figures // best peer per metric
		before      figures // the defaults before issue 10, seed 1
	}{
		"NSL-KDD kdd5": {"nsl-kdd/KDDTrain+.txt.gz", "nsl-kdd/KDDTest+.txt.gz",
			flowdata.Options{LabelMap: "kdd5"}, figures{0.7714, 0.5434}, figures{0.7961, 0.5930}},
		"NSL-KDD binary": {"nsl-kdd/KDDTrain+.txt.gz", "nsl-kdd/KDDTest+.txt.gz",
			flowdata.Options{LabelMap: "binary"}, figures{0.8121, 0.8119}, figures{0.8082, 0.8080}},
		"CIC-IDS2017": {"cicids2017/train.csv.gz", "cicids2017/test.csv.gz",
			flowdata.Options{}, figures{0.98388, 0.98266}, figures{0.98397, 0.9873}},
		"APA-DDoS": {"apa-ddos/train.csv.gz", "apa-ddos/test.csv.gz",
			flowdata.Options{Drop: []string{"ip.src", "ip.dst", "frame.time"}}, figures{1, 1}, figures{1, 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var accs, f1s []float64
			var def figures
			for _, seed := range spreadSeeds {
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
				accs, f1s = append(accs, m.Accuracy), append(f1s, m.MacroF1)
				if seed == defaultSeed {
					def = figures{m.Accuracy, m.MacroF1}
				}
				tr := m.Training
				t.Logf("%s seed %d: accuracy %.4f macro-F1 %.4f; %d trees, best round %d of %d (%s), %s; trained in %.2fs",
					name, seed, m.Accuracy, m.MacroF1, len(res.Model.Ensemble.Trees), tr.BestRound, tr.Rounds, tr.Stop, weightSummary(res.Boost), m.TrainSeconds)
			}
			rank := 1
			for _, a := range accs {
				if a > def.accuracy {
					rank++
				}
			}
			t.Logf("%s seeds %v: accuracy %.4f to %.4f, mean %.4f; macro-F1 %.4f to %.4f, mean %.4f; seed %d ranks %d of %d by accuracy",
				name, spreadSeeds, slices.Min(accs), slices.Max(accs), mean(accs), slices.Min(f1s), slices.Max(f1s), mean(f1s), defaultSeed, rank, len(accs))
			check := func(what string, got, peer, before float64) {
				if got < peer {
					t.Errorf("seed %d %s %.5f below the best peer's %.5f", defaultSeed, what, got, peer)
				}
				if got < before-0.002 {
					t.Errorf("seed %d %s %.5f more than 0.002 below the defaults' %.5f before issue 10", defaultSeed, what, got, before)
				}
			}
			check("accuracy", def.accuracy, tc.peer.accuracy, tc.before.accuracy)
			check("macro-F1", def.macroF1, tc.peer.macroF1, tc.before.macroF1)
		})
	}
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
