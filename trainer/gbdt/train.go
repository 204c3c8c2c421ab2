package gbdt

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/flowsense/flowsense/model"
)

// Data is a training set, feature-major.
type Data struct {
	// Columns holds one column of len(Y) values per feature.
	Columns [][]float32
	// Kinds gives each feature's kind; nil means all numeric.
	Kinds []model.Kind
	// Categories gives each categorical feature's vocabulary size (codes
	// are 0..n-1); ignored for numeric features. May be nil when Kinds is.
	Categories []int
	// Y holds class indices in [0, Classes).
	Y []int32
	// Classes is the number of classes, at least 2.
	Classes int
	// Weights holds optional per-row weights (nil: all 1).
	Weights []float32
	// Release lets Train drop the raw matrix once it is binned: Train sets
	// every Columns[f] to nil after binning (and bins once for the class
	// weighting trial and the refit), so that a caller holding no other
	// reference lets the collector free four bytes a cell while boosting
	// runs on one byte a cell (two above 256 bins). Columns is left nil
	// whether Train succeeds or not, once the data passed its checks.
	Release bool
	// Bins, when set, are the rows already binned (NewBins, then Add for
	// every row): Train bins nothing, and Columns need only say how many
	// features there are (its columns may be nil). Bins were made with
	// the Params.MaxBins and Params.Seed Train is given; bag members
	// (Params.Bag) share them.
	Bins *Bins
}

// Round is one boosting round's progress.
type Round struct {
	Round int // 1-based
	// Train and Valid are the mean (weighted) log-losses after the round,
	// on the training rows and on the held-out validation rows; Valid is
	// NaN when no rows are held out.
	Train, Valid float64
	// ValidError is the share of validation rows misclassified after the
	// round, what early stopping watches; NaN when no rows are held out.
	ValidError float64
	Elapsed    time.Duration // since Train began
	// Weight is the class weighting being trained (see WeightAuto).
	Weight string
	// Member is the 1-based bag member being trained (Params.Bag), 0
	// outside a bag.
	Member int
}

// Result is a trained ensemble with what was learnt on the way.
type Result struct {
	Ensemble model.Ensemble
	// Importance is the total split gain per feature, over the kept trees.
	Importance []float64
	// Curve has one entry per round trained, including rounds after the
	// best that early stopping cut off.
	Curve []Round
	// BestRound is the number of rounds kept in Ensemble.
	BestRound int
	// Rounds is the number of rounds trained.
	Rounds int
	// TrainRows and ValidRows are the row counts used to fit and to stop.
	TrainRows, ValidRows int
	// Stop says why training ended: StopPatience, StopBudget or StopNoValidation.
	Stop string
	// ClassWeight is the class weighting the ensemble was trained with
	// (WeightNone, WeightSqrt or WeightBalanced; "explicit" for
	// Params.ClassWeights), and Weights the choice behind it when
	// Params.ClassWeight is WeightAuto (nil otherwise).
	ClassWeight string
	Weights     []WeightTrial
	// Refit is true when Ensemble was trained again on every row for
	// BestRound rounds after the validation split chose BestRound (and the
	// class weighting).
	Refit bool
	// Members are the models of a bag (Params.Bag > 1), nil otherwise.
	Members []Member

	// validScores are the raw scores of the validation rows at BestRound
	// (k per row), validY their classes; nil without a validation split.
	validScores []float64
	validY      []int32
	trainedBase []float32 // BaseScore before a chosen offset
}

// Reasons training stopped (Result.Stop).
const (
	StopPatience     = "patience"      // the validation error had not fallen for EarlyStopping rounds
	StopBudget       = "budget"        // Rounds were trained
	StopNoValidation = "no-validation" // early stopping off or no rows to hold out: Rounds were trained
)

// minValidationRows: early stopping holds rows out only from at least this
// many rows; below, there is nothing to stop on and Rounds are trained.
const minValidationRows = 100

// block is the fixed row block of loss and gradient passes; fixed so that
// partial sums are added in the same order whatever the thread count.
const block = 4096

// checkData checks d; the values of Columns only when columns (they may
// have been released after binning).
func checkData(d *Data, columns bool) error {
	bad := func(field, format string, args ...any) error {
		return &DataError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	n := len(d.Y)
	switch {
	case d.Classes < 2:
		return bad("Classes", "%d, need at least 2", d.Classes)
	case len(d.Columns) == 0:
		return bad("Columns", "no features")
	case n == 0:
		return bad("Y", "no rows")
	case n > maxRows:
		return bad("Y", "%d rows, limit %d", n, maxRows)
	case d.Kinds != nil && len(d.Kinds) != len(d.Columns):
		return bad("Kinds", "%d kinds for %d columns", len(d.Kinds), len(d.Columns))
	case d.Weights != nil && len(d.Weights) != n:
		return bad("Weights", "%d weights for %d rows", len(d.Weights), n)
	}
	for f, c := range d.Columns {
		if columns && len(c) != n {
			return bad(fmt.Sprintf("Columns[%d]", f), "%d values for %d rows", len(c), n)
		}
		if d.Kinds == nil {
			continue
		}
		switch d.Kinds[f] {
		case model.Numeric:
		case model.Categorical:
			if len(d.Categories) != len(d.Columns) {
				return bad("Categories", "%d sizes for %d columns", len(d.Categories), len(d.Columns))
			}
			if d.Categories[f] < 0 || d.Categories[f] > 65534 {
				return bad(fmt.Sprintf("Categories[%d]", f), "%d categories, need 0 to 65534", d.Categories[f])
			}
		default:
			return bad(fmt.Sprintf("Kinds[%d]", f), "unknown kind %d", d.Kinds[f])
		}
	}
	for i, y := range d.Y {
		if y < 0 || int(y) >= d.Classes {
			return bad(fmt.Sprintf("Y[%d]", i), "class %d of %d", y, d.Classes)
		}
	}
	for i, w := range d.Weights {
		if !(w >= 0) || math.IsInf(float64(w), 0) {
			return bad(fmt.Sprintf("Weights[%d]", i), "%v, need finite >= 0", w)
		}
	}
	return nil
}

// trainer holds the state of one Train call.
type trainer struct {
	p       Params
	d       *Data
	b       *binned
	k       int // outputs: 1 for logistic, classes for softmax
	threads int
	rw      []float32 // row weights (class weight x row weight); nil without Data.Weights
	cw      []float32 // class weights
	scores  []float64 // k per row, every row
	gh      []float32 // 2k per row, training rows
	train   []int32
	valid   []int32
	rng     *rand.Rand
}

// Train fits an ensemble to d. It stops early when ctx is done, returning
// ctx's error. progress, when not nil, is called after every round.
func Train(ctx context.Context, d *Data, p Params, progress func(Round)) (*Result, error) {
	if p.Bag > 1 {
		if err := p.Validate(); err != nil {
			return nil, err
		}
		return trainBag(ctx, d, p, progress)
	}
	if p.ClassWeight == WeightAuto && len(p.ClassWeights) == 0 {
		if err := p.Validate(); err != nil {
			return nil, err
		}
		return trainAuto(ctx, d, p, progress)
	}
	res, t, err := train(ctx, d, p, progress)
	if err != nil || !p.Refit {
		return res, err
	}
	return refit(ctx, d, p, res, t.b)
}

// refit trains again on every row, validation rows included, for
// res.BestRound rounds with the weighting res was trained with, moves a
// chosen score offset over, and returns res with the new ensemble (its
// curve and choices stay those of the run that chose them). b is the
// binned data of that run: binning depends only on d, p.MaxBins and
// p.Seed, which the refit shares.
func refit(ctx context.Context, d *Data, p Params, res *Result, b *binned) (*Result, error) {
	if res.ValidRows == 0 {
		return res, nil
	}
	q := p
	q.Rounds, q.EarlyStopping = res.BestRound, 0
	q.ClassWeight = res.ClassWeight
	if q.ClassWeight == "explicit" {
		q.ClassWeight = p.ClassWeight
	}
	if i := strings.IndexByte(q.ClassWeight, '+'); i >= 0 {
		q.ClassWeight = q.ClassWeight[:i]
	}
	if d.Release || d.Bins != nil {
		// The first run's scores and gradients are garbage now: collect
		// them before the refit allocates its own, or the heap grows by
		// the collector's headroom on top (1.71 -> 1.93 GB at 10 million
		// rows of 78 features).
		debug.FreeOSMemory()
	}
	r2, _, err := trainOn(ctx, d, q, nil, b)
	if err != nil {
		return nil, err
	}
	base := res.Ensemble.BaseScore
	trained := res.trainedBase
	res.Ensemble = r2.Ensemble
	if trained != nil { // carry a chosen offset over
		for j := range res.Ensemble.BaseScore {
			res.Ensemble.BaseScore[j] += base[j] - trained[j]
		}
	}
	res.Importance = r2.Importance
	res.Refit = true
	return res, nil
}

// train is Train, also returning the trainer's state for tests.
func train(ctx context.Context, d *Data, p Params, progress func(Round)) (*Result, *trainer, error) {
	return trainOn(ctx, d, p, progress, nil)
}

// trainOn is train on data already binned (b, made from d with p.MaxBins
// and p.Seed), or binning d when b is nil.
func trainOn(ctx context.Context, d *Data, p Params, progress func(Round), b *binned) (*Result, *trainer, error) {
	start := time.Now()
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	if d == nil {
		return nil, nil, &DataError{Field: "Data", Reason: "nil"}
	}
	if b == nil && d.Bins != nil {
		if d.Bins.added != len(d.Y) || len(d.Bins.b.nbins) != len(d.Columns) {
			return nil, nil, &DataError{Field: "Bins", Reason: fmt.Sprintf("%d rows of %d features binned for %d rows of %d", d.Bins.added, len(d.Bins.b.nbins), len(d.Y), len(d.Columns))}
		}
		b = d.Bins.b
		if b.mfb == nil {
			b.finish(max(d.Bins.threads, 1))
		}
	}
	if err := checkData(d, b == nil); err != nil {
		return nil, nil, err
	}
	if len(p.ClassWeights) > 0 && len(p.ClassWeights) != d.Classes {
		return nil, nil, &ParamError{Param: "ClassWeights", Reason: fmt.Sprintf("%d weights for %d classes", len(p.ClassWeights), d.Classes)}
	}
	t := &trainer{p: p, d: d, threads: p.Threads}
	if t.threads == 0 {
		t.threads = runtime.GOMAXPROCS(0)
	}
	t.rng = rand.New(rand.NewPCG(p.Seed, 0x67626474))
	n := len(d.Y)
	t.k = d.Classes
	if d.Classes == 2 {
		t.k = 1
	}
	t.split()
	t.weights()
	t.b = b
	if b == nil {
		t.b = binData(d, p.MaxBins, t.threads, p.Seed)
		if d.Release {
			clear(d.Columns)
			// Hand the raw matrix back now: the gradients and scores
			// allocated next would otherwise come on top of it in the
			// RSS (a collection is cheap: the columns hold no pointers).
			debug.FreeOSMemory()
		}
	}

	res := &Result{TrainRows: len(t.train), ValidRows: len(t.valid)}
	ens := &res.Ensemble
	ens.Objective, ens.Outputs = model.Softmax, t.k
	if t.k == 1 {
		ens.Objective = model.Logistic
	}
	ens.BaseScore = t.baseScore()
	t.scores = make([]float64, n*t.k)
	for r := 0; r < n; r++ {
		for j := 0; j < t.k; j++ {
			t.scores[r*t.k+j] = float64(ens.BaseScore[j])
		}
	}
	t.gh = make([]float32, n*2*t.k)

	perClass := t.k > 1 && p.Multiclass == MultiPerClass
	treesPerRound := 1
	if perClass {
		treesPerRound = t.k
	}
	var growers []*grower
	if perClass {
		growers = []*grower{newGrower(&t.p, t.b, 1, t.threads)}
	} else {
		growers = []*grower{newGrower(&t.p, t.b, t.k, t.threads)}
	}
	usable := make([]int, 0, len(d.Columns))
	for f := range d.Columns {
		if t.b.nbins[f] >= 2 {
			usable = append(usable, f)
		}
	}
	nf := len(d.Columns)
	var impByRound [][]float64
	bestErr := math.Inf(1)
	best := 0
	stop := p.EarlyStopping > 0 && len(t.valid) > 0
	var inBag, bag []int32 // bag: the subsample's scratch
	isIn := make([]bool, n)
	var bestValid []float64
	res.Stop = StopBudget
	if !stop {
		res.Stop = StopNoValidation
	}
	for round := 1; round <= p.Rounds; round++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("gbdt: round %d: %w", round, err)
		}
		trainLoss := t.gradients()
		if round > 1 {
			res.Curve[round-2].Train = trainLoss
			if progress != nil {
				progress(res.Curve[round-2])
			}
		}
		imp := make([]float64, nf)
		for c := 0; c < treesPerRound; c++ {
			// rows and features for this tree
			if p.Subsample < 1 {
				bag = bag[:0]
				for _, r := range t.train {
					if t.rng.Float64() < p.Subsample {
						bag = append(bag, r)
					}
				}
				if len(bag) == 0 {
					bag = append(bag, t.train[t.rng.IntN(len(t.train))])
				}
				inBag = bag
			} else {
				inBag = t.train // read only: no copy
			}
			feats := usable
			if p.ColSample < 1 && len(usable) > 0 {
				m := int(math.Ceil(p.ColSample * float64(len(usable))))
				perm := t.rng.Perm(len(usable))[:m]
				feats = make([]int, m)
				for i, j := range perm {
					feats[i] = usable[j]
				}
				slices.Sort(feats)
			}
			g := growers[0]
			g.feats = feats
			g.rows = append(g.rows[:0], inBag...)
			g.full = len(inBag) == n
			g.gh = t.gh
			g.ghStride = 2 * t.k
			if perClass {
				g.ghOff = 2 * c
			}
			g.seed = p.Seed ^ uint64(len(ens.Trees)+1)*0x9e3779b97f4a7c15
			nodes := g.grow(imp)
			out := int32(-1)
			if perClass {
				out = int32(c)
			} else if t.k == 1 {
				out = 0
			}
			ens.Trees = append(ens.Trees, toModel(nodes, t.b, out))
			t.update(nodes, g.rows, inBag, isIn, int(out))
		}
		impByRound = append(impByRound, imp)
		validLoss, validErr := math.NaN(), math.NaN()
		if len(t.valid) > 0 {
			validLoss, validErr = t.validLoss(), t.validErrors()
		}
		res.Curve = append(res.Curve, Round{Round: round, Valid: validLoss, ValidError: validErr, Elapsed: time.Since(start)})
		res.Rounds = round
		if stop {
			// The first round of fewest validation errors: the log-loss
			// goes on falling long after the classes stop changing (it
			// rewards confidence), and trees added for it fit the
			// training distribution ever closer.
			if validErr < bestErr || best == 0 {
				bestErr, best = validErr, round
				bestValid = t.validScores(bestValid)
			} else if round-best >= p.EarlyStopping {
				res.Stop = StopPatience
				break
			}
		}
	}
	last := &res.Curve[len(res.Curve)-1]
	last.Train = t.loss(t.train)
	last.Elapsed = time.Since(start)
	if progress != nil {
		progress(*last)
	}
	if !stop {
		best = res.Rounds
		if len(t.valid) > 0 {
			bestValid = t.validScores(bestValid)
		}
	}
	if len(t.valid) > 0 {
		res.validScores = bestValid
		res.validY = make([]int32, len(t.valid))
		for i, r := range t.valid {
			res.validY[i] = d.Y[r]
		}
	}
	res.ClassWeight = t.weightName()
	res.BestRound = best
	ens.Trees = ens.Trees[:best*treesPerRound]
	res.Importance = make([]float64, nf)
	for _, imp := range impByRound[:best] {
		for f, v := range imp {
			res.Importance[f] += v
		}
	}
	return res, t, nil
}

// validScores copies the raw scores of the validation rows into dst.
func (t *trainer) validScores(dst []float64) []float64 {
	dst = dst[:0]
	for _, r := range t.valid {
		dst = append(dst, t.scores[int(r)*t.k:int(r)*t.k+t.k]...)
	}
	return dst
}

// split chooses the stratified validation rows.
func (t *trainer) split() {
	n := len(t.d.Y)
	frac := t.p.ValidationFraction
	if t.p.EarlyStopping == 0 || frac == 0 || n < minValidationRows {
		t.train = make([]int32, n)
		for i := range t.train {
			t.train[i] = int32(i)
		}
		return
	}
	rng := rand.New(rand.NewPCG(t.p.Seed, 0x76616c69))
	byClass := make([][]int32, t.d.Classes)
	for i, y := range t.d.Y {
		byClass[y] = append(byClass[y], int32(i))
	}
	isValid := make([]bool, n)
	for _, rows := range byClass {
		m := int(math.Round(frac * float64(len(rows))))
		if m >= len(rows) {
			m = len(rows) - 1
		}
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		for _, r := range rows[:max(m, 0)] {
			isValid[r] = true
		}
	}
	for i := 0; i < n; i++ {
		if isValid[i] {
			t.valid = append(t.valid, int32(i))
		} else {
			t.train = append(t.train, int32(i))
		}
	}
}

// weights sets the per-row weights: class weight times row weight.
func (t *trainer) weights() {
	d := t.d
	cw := make([]float64, d.Classes)
	for c := range cw {
		cw[c] = 1
	}
	switch {
	case len(t.p.ClassWeights) > 0:
		copy(cw, t.p.ClassWeights)
	case t.p.ClassWeight == WeightBalanced || t.p.ClassWeight == WeightSqrt:
		cnt := make([]float64, d.Classes)
		for _, r := range t.train {
			cnt[d.Y[r]]++
		}
		for c := range cw {
			cw[c] = 0
			if cnt[c] > 0 {
				cw[c] = float64(len(t.train)) / (float64(d.Classes) * cnt[c])
				if t.p.ClassWeight == WeightSqrt {
					cw[c] = math.Sqrt(cw[c])
				}
			}
		}
	}
	// Without row weights a row's weight is its class's: kept per class,
	// not per row (4 bytes a row).
	t.cw = make([]float32, d.Classes)
	for c, w := range cw {
		t.cw[c] = float32(w)
	}
	if d.Weights == nil {
		return
	}
	t.rw = make([]float32, len(d.Y))
	for r, y := range d.Y {
		t.rw[r] = float32(cw[y] * float64(d.Weights[r]))
	}
}

// weight is row r's weight: class weight times row weight.
func (t *trainer) weight(r int) float32 {
	if t.rw != nil {
		return t.rw[r]
	}
	return t.cw[t.d.Y[r]]
}

// weightName names the class weighting the rows were trained with.
func (t *trainer) weightName() string {
	switch {
	case len(t.p.ClassWeights) > 0:
		return "explicit"
	case t.p.ClassWeight == "":
		return WeightNone
	}
	return t.p.ClassWeight
}

// baseScore is the log of the weighted class priors of the training rows
// (log-odds for logistic).
func (t *trainer) baseScore() []float32 {
	prior := make([]float64, t.d.Classes)
	var tot float64
	for _, r := range t.train {
		prior[t.d.Y[r]] += float64(t.weight(int(r)))
		tot += float64(t.weight(int(r)))
	}
	const eps = 1e-7
	for c := range prior {
		if tot > 0 {
			prior[c] /= tot
		} else {
			prior[c] = 1 / float64(len(prior))
		}
		prior[c] = min(max(prior[c], eps), 1-eps)
	}
	if t.k == 1 {
		return []float32{float32(math.Log(prior[1] / prior[0]))}
	}
	base := make([]float32, t.k)
	var mean float64
	for c := range prior {
		mean += math.Log(prior[c]) / float64(t.k)
	}
	for c := range base {
		base[c] = float32(math.Log(prior[c]) - mean)
	}
	return base
}

// rowLoss computes row r's probabilities into p (len k, or 1 for logistic:
// P(class 1)) and returns its unweighted log-loss.
func (t *trainer) rowLoss(r int, p []float64) float64 {
	s := t.scores[r*t.k : r*t.k+t.k]
	y := int(t.d.Y[r])
	const eps = 1e-15
	if t.k == 1 {
		p[0] = sigmoid(s[0])
		q := p[0]
		if y == 0 {
			q = 1 - q
		}
		return -math.Log(max(q, eps))
	}
	mx := s[0]
	for _, v := range s[1:] {
		mx = max(mx, v)
	}
	var sum float64
	for j, v := range s {
		p[j] = expNeg(v - mx)
		sum += p[j]
	}
	inv := 1 / sum
	for j := range p {
		p[j] *= inv
	}
	return -math.Log(max(p[y], eps))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	z := math.Exp(x)
	return z / (1 + z)
}

// gradients fills t.gh for the training rows and returns their mean
// weighted loss before this round.
func (t *trainer) gradients() float64 {
	rows := t.train
	nb := (len(rows) + block - 1) / block
	part := make([]float64, nb)
	wpart := make([]float64, nb)
	parallelFor(t.threads, nb, func(bi int) {
		p := make([]float64, t.k)
		var ls, ws float64
		for _, r32 := range rows[bi*block : min((bi+1)*block, len(rows))] {
			r := int(r32)
			w := float64(t.weight(int(r)))
			ls += w * t.rowLoss(r, p)
			ws += w
			gh := t.gh[r*2*t.k : r*2*t.k+2*t.k]
			y := int(t.d.Y[r])
			if t.k == 1 {
				q := p[0]
				gh[0] = float32((q - float64(y)) * w)
				gh[1] = float32(max(q*(1-q), 1e-16) * w)
				continue
			}
			for j, q := range p {
				g := q
				if j == y {
					g -= 1
				}
				gh[2*j] = float32(g * w)
				gh[2*j+1] = float32(max(q*(1-q), 1e-16) * w)
			}
		}
		part[bi], wpart[bi] = ls, ws
	})
	return sumRatio(part, wpart)
}

func sumRatio(part, wpart []float64) float64 {
	var ls, ws float64
	for i := range part {
		ls += part[i]
		ws += wpart[i]
	}
	if ws == 0 {
		return 0
	}
	return ls / ws
}

// validLoss is the mean log-loss of the validation rows, each row weighing
// its own weight only, not its class weight: with balanced class weights a
// class of a handful of rows would otherwise decide when to stop (one
// Heartbleed row of CIC-IDS2017's validation split weighs as much as 130
// benign ones, and its loss turns up after a few rounds while every other
// class is still improving).
func (t *trainer) validLoss() float64 {
	rows := t.valid
	nb := (len(rows) + block - 1) / block
	part := make([]float64, nb)
	wpart := make([]float64, nb)
	parallelFor(t.threads, nb, func(bi int) {
		p := make([]float64, t.k)
		var ls, ws float64
		for _, r := range rows[bi*block : min((bi+1)*block, len(rows))] {
			w := 1.0
			if t.d.Weights != nil {
				w = float64(t.d.Weights[r])
			}
			ls += w * t.rowLoss(int(r), p)
			ws += w
		}
		part[bi], wpart[bi] = ls, ws
	})
	return sumRatio(part, wpart)
}

// validErrors is the share of validation rows misclassified (argmax).
func (t *trainer) validErrors() float64 {
	bad := 0
	for _, r := range t.valid {
		s := t.scores[int(r)*t.k : int(r)*t.k+t.k]
		pred := 0
		if t.k == 1 {
			if s[0] > 0 {
				pred = 1
			}
		} else {
			for j, v := range s {
				if v > s[pred] {
					pred = j
				}
			}
		}
		if pred != int(t.d.Y[r]) {
			bad++
		}
	}
	return float64(bad) / float64(len(t.valid))
}

// loss is the mean weighted log-loss of rows.
func (t *trainer) loss(rows []int32) float64 {
	nb := (len(rows) + block - 1) / block
	part := make([]float64, nb)
	wpart := make([]float64, nb)
	parallelFor(t.threads, nb, func(bi int) {
		p := make([]float64, t.k)
		var ls, ws float64
		for _, r := range rows[bi*block : min((bi+1)*block, len(rows))] {
			w := float64(t.weight(int(r)))
			ls += w * t.rowLoss(int(r), p)
			ws += w
		}
		part[bi], wpart[bi] = ls, ws
	})
	return sumRatio(part, wpart)
}

// update adds a new tree's leaves to the scores of every row: in-bag rows
// by the partition the grower left, the others by walking the tree.
func (t *trainer) update(nodes []node, part []int32, inBag []int32, isIn []bool, out int) {
	k := t.k
	add := func(r int, v []float32) {
		if out >= 0 {
			t.scores[r*k+out] += float64(v[0])
			return
		}
		s := t.scores[r*k : r*k+k]
		for j, x := range v {
			s[j] += float64(x)
		}
	}
	// every row is in one leaf: leaves in parallel touch distinct rows
	parallelFor(t.threads, len(nodes), func(i int) {
		nd := &nodes[i]
		if nd.feature >= 0 {
			return
		}
		for _, r := range part[nd.begin:nd.end] {
			add(int(r), nd.value)
		}
	})
	if len(inBag) == len(t.train) && len(t.valid) == 0 {
		return
	}
	for _, r := range inBag {
		isIn[r] = true
	}
	walk := func(rows []int32) {
		parallelFor(t.threads, (len(rows)+block-1)/block, func(bi int) {
			for _, r := range rows[bi*block : min((bi+1)*block, len(rows))] {
				if isIn[r] {
					continue
				}
				add(int(r), nodes[leafOf(nodes, t.b, int(r))].value)
			}
		})
	}
	walk(t.train)
	walk(t.valid)
	for _, r := range inBag {
		isIn[r] = false
	}
}
