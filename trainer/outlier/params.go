package outlier

import (
	"fmt"
	"math"
)

// Params configure both detectors. Fields that one form does not use are
// ignored by it, as noted per field.
type Params struct {
	// Components is the number of principal components kept (alibi-detect's
	// n_components). 0 keeps them all: the full Mahalanobis distance. It is
	// capped at the number of inputs (for Fit, of non-constant inputs).
	Components int
	// NStdev is the online detector's clipping width (alibi-detect's
	// std_clip / Seldon's n_stdev): once clipping has started, each input
	// is clipped to mean ± NStdev·stdev before it updates the mean and
	// covariance. Ignored by Fit.
	NStdev float64
	// StartClip is the number of rows the online detector must have seen
	// before it clips (clipping applies to a batch when more than StartClip
	// rows came before it, as in alibi-detect). Ignored by Fit.
	StartClip int
	// MaxN, when positive, makes the online detector weigh its history as
	// if it had seen at most MaxN rows (alibi-detect's max_n). The IR has
	// no field for it: Model does not export it, Resume sets it to 0.
	// Ignored by Fit.
	MaxN int64

	// Log1p chooses the inputs Fit passes through the IR's signed log1p,
	// sign(x)·ln(1+|x|), before standardising (model.Outlier.Log1p):
	// Log1pNone (or "") none, Log1pAll every input, Log1pAuto the inputs
	// whose benign training values span three orders of magnitude
	// (see doc.go).
	// Ignored by the online detector, which follows alibi-detect.
	Log1p string

	// Threshold rules. At most one may be non-zero; Fit uses the one set
	// (an error if none is), Online uses Threshold only, as its starting
	// threshold (InferThreshold replaces it).
	//
	// ThresholdQuantile, in (0, 1): the threshold is this quantile of the
	// benign training scores (linear interpolation, numpy's default).
	ThresholdQuantile float64
	// ThresholdStdev, positive: the threshold is mean + ThresholdStdev·std
	// of the benign training scores.
	ThresholdStdev float64
	// Threshold, positive: an explicit threshold.
	Threshold float64
	// ThresholdFolds, when at least 2, makes Fit apply the quantile or
	// stdev rule to cross-validated scores: the benign rows are cut into
	// ThresholdFolds folds and each row is scored by a detector fitted
	// without its fold, so the threshold is set on scores of rows the
	// detector has not seen, as live benign traffic will be. Scores of the
	// rows a detector was fitted on are smaller (the fit is tuned to
	// them), and a threshold set on them flags more unseen benign rows
	// than its quantile says. Below 2 (or with fewer than 20 rows per
	// fold) the training scores are used. Ignored by the online detector.
	// Off by default: on the shared sets the training scores' quantile
	// already flags under 1% of the test files' benign rows (RATIONALE.md).
	ThresholdFolds int
}

// Log1p rules (Params.Log1p).
const (
	Log1pNone = "none"
	Log1pAll  = "all"
	Log1pAuto = "auto"
)

// DefaultParams returns the parameters chosen by measurement on KDD Cup 99,
// NSL-KDD and CIC-IDS2017 (see doc.go): every component (the full
// Mahalanobis distance), the signed log1p of the inputs that span three
// orders of magnitude (Log1pAuto), the 0.99 quantile of the benign
// training scores as the threshold, and alibi-detect's online defaults
// NStdev 3, StartClip 100.
func DefaultParams() Params {
	return Params{
		Components:        0,
		Log1p:             Log1pAuto,
		NStdev:            3,
		StartClip:         100,
		ThresholdQuantile: 0.99,
	}
}

// components is the number of components kept for d usable inputs.
func (p Params) components(d int) int {
	if p.Components == 0 {
		return d
	}
	return min(p.Components, d)
}

// validate checks p for the operation op ("fit" requires a threshold rule).
func (p Params) validate(op string) error {
	bad := func(format string, args ...any) error {
		return errorf(op, ErrParams, format, args...)
	}
	switch {
	case p.Components < 0:
		return bad("components %d, want >= 0", p.Components)
	case !(p.NStdev >= 0) || math.IsInf(p.NStdev, 0):
		return bad("n_stdev %v, want finite >= 0", p.NStdev)
	case p.StartClip < 0:
		return bad("start_clip %d, want >= 0", p.StartClip)
	case p.MaxN < 0:
		return bad("max_n %d, want >= 0", p.MaxN)
	case p.Log1p != "" && p.Log1p != Log1pNone && p.Log1p != Log1pAll && p.Log1p != Log1pAuto:
		return bad("log1p %q, want %q, %q or %q", p.Log1p, Log1pNone, Log1pAll, Log1pAuto)
	case p.ThresholdQuantile != 0 && !(p.ThresholdQuantile > 0 && p.ThresholdQuantile < 1):
		return bad("threshold quantile %v, want in (0, 1)", p.ThresholdQuantile)
	case p.ThresholdStdev != 0 && !(p.ThresholdStdev > 0 && !math.IsInf(p.ThresholdStdev, 0)):
		return bad("threshold stdev %v, want finite > 0", p.ThresholdStdev)
	case p.Threshold != 0 && !(p.Threshold > 0 && !math.IsInf(p.Threshold, 0)):
		return bad("threshold %v, want finite > 0", p.Threshold)
	case p.ThresholdFolds < 0:
		return bad("threshold folds %d, want >= 0", p.ThresholdFolds)
	}
	set := 0
	for _, v := range []float64{p.ThresholdQuantile, p.ThresholdStdev, p.Threshold} {
		if v != 0 {
			set++
		}
	}
	if set > 1 {
		return bad("%d threshold rules set, want at most one of quantile, stdev, explicit", set)
	}
	if op == "fit" && set == 0 {
		return bad("no threshold rule set")
	}
	return nil
}

// String renders p for provenance (model.Metadata.Params).
func (p Params) String() string {
	log := p.Log1p
	if log == "" {
		log = Log1pNone
	}
	return fmt.Sprintf("components=%d log1p=%s n_stdev=%g start_clip=%d max_n=%d threshold_quantile=%g threshold_stdev=%g threshold=%g",
		p.Components, log, p.NStdev, p.StartClip, p.MaxN, p.ThresholdQuantile, p.ThresholdStdev, p.Threshold)
}
