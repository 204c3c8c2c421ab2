package tune

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/flowsense/flowsense/trainer"
	"github.com/flowsense/flowsense/trainer/gbdt"
)

// Metrics a search can maximise.
const (
	MetricMacroF1  = "macro_f1"
	MetricAccuracy = "accuracy"
)

// Config is a search.
type Config struct {
	// Trials is the number of configurations drawn (rung 0's size).
	Trials int
	// Folds is K of the stratified K-fold cross-validation (at least 2).
	Folds int
	// Parallel is the number of fits run at once (0: GOMAXPROCS). It never
	// changes the result.
	Parallel int
	// Seed seeds the draws of the configurations and the folds.
	Seed uint64
	// Eta is the halving factor: each rung keeps the best 1/Eta and gives
	// them Eta times the rounds (at least 2).
	Eta int
	// MinRounds are rung 0's boosting rounds; no rung exceeds MaxRounds.
	MinRounds, MaxRounds int
	// Metric is MetricMacroF1 or MetricAccuracy.
	Metric string
	// Base holds the parameters not searched (seed, early stopping,
	// multiclass mode). With BaseFirst, trial 0 is Base itself (with each
	// rung's rounds), so that the search weighs the defaults it is to beat
	// by the same cross-validation as its draws.
	Base      gbdt.Params
	BaseFirst bool
	// TrialIndex and TrialCount cut the search into slices: this search
	// runs trials i with i mod TrialCount == TrialIndex. TrialCount 0 or 1
	// is the whole search.
	TrialIndex, TrialCount int
	// Progress, when set, is called after every configuration's fit on all
	// folds, from one goroutine at a time.
	Progress func(Event)
}

// DefaultConfig is the default search: 27 configurations (the first the
// defaults), 3 folds, eta 3, 10 to 270 rounds, macro-F1.
func DefaultConfig() Config {
	return Config{Trials: 27, Folds: 3, Seed: 1, Eta: 3, MinRounds: 10, MaxRounds: 270,
		Metric: MetricMacroF1, Base: gbdt.DefaultParams(), BaseFirst: true}
}

func (c Config) validate() error {
	switch {
	case c.Trials < 1:
		return configErr("trials %d, need at least 1", c.Trials)
	case c.Folds < 2:
		return configErr("folds %d, need at least 2", c.Folds)
	case c.Parallel < 0:
		return configErr("parallel %d, need >= 0", c.Parallel)
	case c.Eta < 2:
		return configErr("eta %d, need at least 2", c.Eta)
	case c.MinRounds < 1 || c.MaxRounds < c.MinRounds:
		return configErr("rounds %d to %d, need 1 <= min <= max", c.MinRounds, c.MaxRounds)
	case c.Metric != MetricMacroF1 && c.Metric != MetricAccuracy:
		return configErr("metric %q, want %s or %s", c.Metric, MetricMacroF1, MetricAccuracy)
	case c.TrialCount < 0 || (c.TrialCount > 1 && (c.TrialIndex < 0 || c.TrialIndex >= c.TrialCount)):
		return configErr("trial index %d of %d", c.TrialIndex, c.TrialCount)
	case c.TrialCount > c.Trials:
		return configErr("%d slices of %d trials: a slice would be empty", c.TrialCount, c.Trials)
	}
	if err := c.Base.Validate(); err != nil {
		return configErr("base parameters: %v", err)
	}
	return nil
}

// Event is one configuration scored on one rung.
type Event struct {
	Done, Total int // fits of configurations done and planned in this rung
	Rung        int
	Trial       Trial
}

// Trial is a configuration scored on one rung.
type Trial struct {
	ID     int         `json:"id"` // its draw number in [0, Trials)
	Rung   int         `json:"rung"`
	Params gbdt.Params `json:"params"` // Rounds is the rung's
	// Score is the mean of FoldScores, the metric on each validation fold.
	Score      float64   `json:"score"`
	FoldScores []float64 `json:"fold_scores"`
}

// Rung is one round of successive halving.
type Rung struct {
	Rounds int `json:"rounds"`
	// Trials are the configurations fitted, best first.
	Trials []Trial `json:"trials"`
}

// Search is a finished search.
type Search struct {
	Metric string `json:"metric"`
	Rungs  []Rung `json:"rungs"`
	// Best is the best configuration of the last rung.
	Best Trial `json:"best"`
}

// Table is a training set the search cross-validates on: gbdt's columns,
// kinds and labels (Weights is ignored).
type Table = gbdt.Data

// Run searches d.
func Run(ctx context.Context, d *Table, cfg Config) (*Search, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ids := sliceIDs(cfg)
	folds := makeFolds(d, cfg.Folds, cfg.Seed)
	for _, f := range folds {
		if len(f.valid.Y) == 0 {
			return nil, configErr("%d folds of %d rows leave a fold empty", cfg.Folds, len(d.Y))
		}
	}
	par := cfg.Parallel
	if par == 0 {
		par = runtime.GOMAXPROCS(0)
	}
	threads := max(1, runtime.GOMAXPROCS(0)/par)

	alive := make([]Trial, len(ids))
	for i, id := range ids {
		alive[i] = Trial{ID: id, Params: sample(cfg.Seed, id, cfg.Base)}
		if id == 0 && cfg.BaseFirst {
			alive[i].Params = cfg.Base
		}
		alive[i].Params.Threads = threads
	}
	s := &Search{Metric: cfg.Metric}
	rounds := cfg.MinRounds
	for rung := 0; ; rung++ {
		for i := range alive {
			alive[i].Rung = rung
			alive[i].Params.Rounds = rounds
		}
		if err := scoreAll(ctx, alive, folds, d.Classes, cfg, par, rung); err != nil {
			return nil, err
		}
		ranked := slices.Clone(alive)
		slices.SortStableFunc(ranked, better)
		for i := range ranked {
			ranked[i].Params.Threads = 0
		}
		s.Rungs = append(s.Rungs, Rung{Rounds: rounds, Trials: ranked})
		if len(alive) == 1 || rounds >= cfg.MaxRounds {
			s.Best = ranked[0]
			return s, nil
		}
		alive = slices.Clone(ranked[:max(1, len(ranked)/cfg.Eta)])
		for i := range alive {
			alive[i].Params.Threads = threads
		}
		rounds = min(cfg.MaxRounds, rounds*cfg.Eta)
	}
}

// better orders trials best first: higher score, then lower id.
func better(a, b Trial) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

func sliceIDs(cfg Config) []int {
	var ids []int
	for i := range cfg.Trials {
		if cfg.TrialCount <= 1 || i%cfg.TrialCount == cfg.TrialIndex {
			ids = append(ids, i)
		}
	}
	return ids
}

// scoreAll fits every trial on every fold, par fits at a time, and sets
// their scores. Each result lands in its own slot, so the outcome does not
// depend on scheduling.
func scoreAll(ctx context.Context, trials []Trial, folds []fold, classes int, cfg Config, par, rung int) error {
	type job struct{ t, f int }
	scores := make([][]float64, len(trials))
	left := make([]int, len(trials))
	for i := range trials {
		scores[i] = make([]float64, len(folds))
		left[i] = len(folds)
	}
	jobs := make(chan job)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		wg       sync.WaitGroup
	)
	for range min(par, len(trials)*len(folds)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				sc, err := fitScore(ctx, trials[j.t].Params, &folds[j.f], classes, cfg.Metric)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				scores[j.t][j.f] = sc
				left[j.t]--
				if left[j.t] == 0 {
					trials[j.t].FoldScores = scores[j.t]
					trials[j.t].Score = mean(scores[j.t])
					done++
					if cfg.Progress != nil && firstErr == nil {
						ev := Event{Done: done, Total: len(trials), Rung: rung, Trial: trials[j.t]}
						ev.Trial.Params.Threads = 0
						cfg.Progress(ev)
					}
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for t := range trials {
		for f := range folds {
			select {
			case jobs <- job{t, f}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return context.Cause(ctx)
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// fold is one split of the training set: fit on train, score on valid.
type fold struct {
	train, valid gbdt.Data
}

// makeFolds deals the rows of each class, shuffled with seed, round-robin
// into k folds (stratified K-fold).
func makeFolds(d *Table, k int, seed uint64) []fold {
	byClass := make([][]int, d.Classes)
	for i, c := range d.Y {
		byClass[c] = append(byClass[c], i)
	}
	rng := rand.New(rand.NewPCG(seed, 0xf01d))
	assign := make([]int, len(d.Y))
	next := 0 // continue the deal across classes, so small classes spread
	for _, rows := range byClass {
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		for _, r := range rows {
			assign[r] = next % k
			next++
		}
	}
	out := make([]fold, k)
	for f := range out {
		var tr, va []int
		for i, a := range assign {
			if a == f {
				va = append(va, i)
			} else {
				tr = append(tr, i)
			}
		}
		out[f] = fold{train: subset(d, tr), valid: subset(d, va)}
	}
	return out
}

// subset is the rows of d as training data for gbdt.
func subset(d *Table, rows []int) gbdt.Data {
	return gbdt.Data{Kinds: d.Kinds, Categories: d.Categories, Classes: d.Classes,
		Columns: trainer.Gather(d.Columns, rows), Y: trainer.GatherY(d.Y, rows)}
}

// fitScore trains p on f.train and scores it on f.valid.
func fitScore(ctx context.Context, p gbdt.Params, f *fold, classes int, metric string) (float64, error) {
	res, err := gbdt.Train(ctx, &f.train, p, nil)
	if err != nil {
		return 0, err
	}
	e := &res.Ensemble
	n := len(f.valid.Y)
	pred := make([]int32, n)
	row := make([]float32, len(f.valid.Columns))
	raw := make([]float64, e.Outputs)
	probs := make([]float64, classes)
	for i := range n {
		for j, c := range f.valid.Columns {
			row[j] = c[i]
		}
		e.Raw(row, raw)
		e.Probabilities(raw, probs)
		best := 0
		for c, v := range probs {
			if v > probs[best] {
				best = c
			}
		}
		pred[i] = int32(best)
	}
	return score(metric, f.valid.Y, pred, classes), nil
}

// score is accuracy, or macro-F1 over the classes that occur in truth or
// prediction (as eval.Evaluate and scikit-learn average it).
func score(metric string, y, pred []int32, classes int) float64 {
	if metric == MetricAccuracy {
		ok := 0
		for i := range y {
			if y[i] == pred[i] {
				ok++
			}
		}
		return float64(ok) / float64(len(y))
	}
	tp := make([]int, classes)
	support := make([]int, classes)
	predicted := make([]int, classes)
	for i := range y {
		support[y[i]]++
		predicted[pred[i]]++
		if y[i] == pred[i] {
			tp[y[i]]++
		}
	}
	sum, n := 0.0, 0
	for c := range classes {
		if support[c]+predicted[c] == 0 {
			continue
		}
		sum += 2 * float64(tp[c]) / float64(support[c]+predicted[c])
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
