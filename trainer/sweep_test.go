//go:build sweep

package trainer

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/realdata"
	"github.com/flowsense/flowsense/trainer/gbdt"
)

// TestSweep is the seed sweep behind the table of RATIONALE.md's "Why is
// the default one model, not a bag": the default configuration (outlier
// detector off: it does not touch the classifier) with a few gbdt.Params
// overridden, on the shared sets' test files, at each seed, one thread,
// one line per run:
//
//	FLOWSENSE_DATA=../shared/data SWEEP_SETS=kdd5,binary,cic,apa SWEEP_SEEDS=1,2,3,4,5 \
//	  SWEEP_P='Bag=2;ColSample=0.8' SWEEP_TAG=x \
//	  nice go test -tags sweep -run TestSweep -v -timeout 0 ./trainer/ | grep ^RES
//
// Fields: tag, set, seed, accuracy, macro-F1, trees, best round (the first
// bag member's), class weight, training seconds, and each weighting weighed
// (validation accuracy / macro-F1 / rows gained and lost against balanced /
// sign test p). A tool, not a check.
func TestSweep(t *testing.T) {
	sets := map[string]struct {
		train, test string
		read        flowdata.Options
	}{
		"kdd5":   {"nsl-kdd/KDDTrain+.txt.gz", "nsl-kdd/KDDTest+.txt.gz", flowdata.Options{LabelMap: "kdd5"}},
		"binary": {"nsl-kdd/KDDTrain+.txt.gz", "nsl-kdd/KDDTest+.txt.gz", flowdata.Options{LabelMap: "binary"}},
		"cic":    {"cicids2017/train.csv.gz", "cicids2017/test.csv.gz", flowdata.Options{}},
		"apa":    {"apa-ddos/train.csv.gz", "apa-ddos/test.csv.gz", flowdata.Options{Drop: []string{"ip.src", "ip.dst", "frame.time"}}},
		"kdd99":  {"kddcup99/kddcup.data_10_percent.gz", "kddcup99/corrected.gz", flowdata.Options{LabelMap: "kdd5"}},
	}
	names := strings.Split(envOr("SWEEP_SETS", "kdd5,binary,cic,apa"), ",")
	var seeds []uint64
	for _, s := range strings.Split(envOr("SWEEP_SEEDS", "1,2,3,4,5"), ",") {
		v, _ := strconv.ParseUint(s, 10, 64)
		seeds = append(seeds, v)
	}
	tag := envOr("SWEEP_TAG", "x")
	for _, name := range names {
		tc := sets[name]
		for _, seed := range seeds {
			cfg := DefaultConfig()
			cfg.Outlier = OutlierNone
			cfg.Data = []string{realdata.File(t, tc.train)}
			cfg.Test = []string{realdata.File(t, tc.test)}
			cfg.Read = tc.read
			cfg.Boost.Seed = seed
			cfg.Boost.Threads = 1
			applyP(t, &cfg.Boost, os.Getenv("SWEEP_P"))
			res, err := Train(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			m := res.Metrics
			fmt.Printf("RES %s %s %d %.4f %.4f trees=%d best=%d w=%s t=%.1f trials=%s\n", tag, name, seed, m.Accuracy, m.MacroF1,
				len(res.Model.Ensemble.Trees), res.Boost.BestRound, res.Boost.ClassWeight, m.TrainSeconds, trialStr(res.Boost.Weights))
		}
	}
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func applyP(t *testing.T, p *gbdt.Params, s string) {
	for _, kv := range strings.Split(s, ";") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		f, _ := strconv.ParseFloat(v, 64)
		switch k {
		case "ColSample":
			p.ColSample = f
		case "Subsample":
			p.Subsample = f
		case "LearningRate":
			p.LearningRate = f
		case "MaxDepth":
			p.MaxDepth = int(f)
		case "MaxLeaves":
			p.MaxLeaves = int(f)
		case "Lambda":
			p.Lambda = f
		case "MinChildSamples":
			p.MinChildSamples = int(f)
		case "EarlyStopping":
			p.EarlyStopping = int(f)
		case "ValidationFraction":
			p.ValidationFraction = f
		case "ClassWeight":
			p.ClassWeight = v
		case "Bag":
			p.Bag = int(f)
		case "Refit":
			p.Refit = v == "true"
		default:
			t.Fatalf("unknown param %s", k)
		}
	}
}

// trialStr is the weightings weighed: name:accuracy/macro-F1/+gained-lost/sign-test p.
func trialStr(ws []gbdt.WeightTrial) string {
	var s []string
	for _, w := range ws {
		s = append(s, fmt.Sprintf("%s:%.4f/%.4f/+%d-%d/p%.3g", w.Weight, w.Accuracy, w.MacroF1, w.Gained, w.Lost, w.P))
	}
	return strings.Join(s, ",")
}
