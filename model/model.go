package model

import (
	"encoding/json"
	"fmt"
	"time"
)

// FormatVersion is the version of the model file format written by this
// package. Decode accepts files whose format is between 1 and FormatVersion
// and rejects newer ones with ErrVersion.
const FormatVersion = 1

// Model is a trained classifier and outlier detector: everything a predictor
// needs to answer for one flow, and what a later reader needs to know where it
// came from. Its JSON encoding is the model file (see FORMAT.md).
type Model struct {
	// Format is the file format version (FormatVersion when written here).
	Format int `json:"format"`
	// Schema lists the features in the order a row carries them.
	Schema Schema `json:"schema"`
	// Classes are the class names; a class index is a position here.
	Classes []string `json:"classes"`
	// Benign lists the indices of the classes that are not attacks.
	Benign []int `json:"benign"`
	// Ensemble is the tree ensemble that scores a row.
	Ensemble Ensemble `json:"ensemble"`
	// Outlier is the Mahalanobis outlier detector, or nil when none was trained.
	Outlier *Outlier `json:"outlier,omitempty"`
	// Reference holds one histogram per feature, in schema order, of the
	// training data: the baseline against which live traffic is checked for
	// drift.
	Reference []Histogram `json:"reference"`
	// Meta records provenance: who trained the model, on what, how well.
	Meta Metadata `json:"meta"`
}

// Kind says how a feature's values are read.
type Kind uint8

// Kinds. The values are frozen: they are written to disk by name.
const (
	// Numeric features are float32 values; NaN means missing.
	Numeric Kind = iota
	// Categorical features are codes into the feature's Categories; the
	// code is carried as a float32 integer, NaN means missing.
	Categorical
)

var kindNames = [...]string{Numeric: "numeric", Categorical: "categorical"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// MarshalText encodes the kind by name.
func (k Kind) MarshalText() ([]byte, error) {
	if int(k) >= len(kindNames) {
		return nil, fmt.Errorf("model: invalid kind %d", k)
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText decodes a kind name.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if string(b) == n {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown feature kind %q", b)
}

// Unknown says what happens to a categorical value that is not in the
// feature's vocabulary.
type Unknown uint8

// Unknown-category policies. Frozen, written by name.
const (
	// UnknownMissing treats an unseen category as a missing value: the
	// trees send it in their default direction.
	UnknownMissing Unknown = iota
	// UnknownError rejects a row that carries an unseen category.
	UnknownError
)

var unknownNames = [...]string{UnknownMissing: "missing", UnknownError: "error"}

func (u Unknown) String() string {
	if int(u) < len(unknownNames) {
		return unknownNames[u]
	}
	return fmt.Sprintf("Unknown(%d)", u)
}

// MarshalText encodes the policy by name.
func (u Unknown) MarshalText() ([]byte, error) {
	if int(u) >= len(unknownNames) {
		return nil, fmt.Errorf("model: invalid unknown-category policy %d", u)
	}
	return []byte(unknownNames[u]), nil
}

// UnmarshalText decodes a policy name.
func (u *Unknown) UnmarshalText(b []byte) error {
	for i, n := range unknownNames {
		if string(b) == n {
			*u = Unknown(i)
			return nil
		}
	}
	return fmt.Errorf("unknown unknown-category policy %q", b)
}

// Schema is the ordered list of features a model reads.
type Schema struct {
	Features []Feature `json:"features"`
}

// Feature describes one input column.
type Feature struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Categories is the vocabulary of a categorical feature: the code of a
	// category is its index here. Empty for numeric features.
	Categories []string `json:"categories,omitempty"`
	// Unknown is the policy for a category not in Categories.
	Unknown Unknown `json:"unknown,omitempty"`
}

// Objective says how the ensemble's raw scores become probabilities.
type Objective uint8

// Objectives. Frozen, written by name.
const (
	// Softmax: one raw score per class, probabilities by softmax.
	Softmax Objective = iota
	// Logistic: two classes, one raw score s, P(class 1) = 1/(1+exp(-s)).
	Logistic
)

var objectiveNames = [...]string{Softmax: "softmax", Logistic: "logistic"}

func (o Objective) String() string {
	if int(o) < len(objectiveNames) {
		return objectiveNames[o]
	}
	return fmt.Sprintf("Objective(%d)", o)
}

// MarshalText encodes the objective by name.
func (o Objective) MarshalText() ([]byte, error) {
	if int(o) >= len(objectiveNames) {
		return nil, fmt.Errorf("model: invalid objective %d", o)
	}
	return []byte(objectiveNames[o]), nil
}

// UnmarshalText decodes an objective name.
func (o *Objective) UnmarshalText(b []byte) error {
	for i, n := range objectiveNames {
		if string(b) == n {
			*o = Objective(i)
			return nil
		}
	}
	return fmt.Errorf("unknown objective %q", b)
}

// Ensemble is an additive tree ensemble. The raw score of output j for a row
// is BaseScore[j] plus, in tree order, the leaf value each tree adding to j
// reaches, summed in float64.
type Ensemble struct {
	Objective Objective `json:"objective"`
	// Outputs is the number of raw scores: the class count for Softmax, 1
	// for Logistic.
	Outputs   int       `json:"outputs"`
	BaseScore []float32 `json:"base_score"`
	Trees     []Tree    `json:"trees"`
}

// Op is the comparison an internal node makes. Frozen: written by name.
type Op uint8

// Comparisons. A row whose value is missing (NaN) goes in the node's
// default direction whatever the comparison.
const (
	// Less sends x to the left child when x < Threshold (XGBoost's rule).
	Less Op = 0
	// LessEqual sends x to the left child when x <= Threshold (LightGBM's).
	LessEqual Op = 1
	// InSet sends a categorical code c to the left child when c's bit is set
	// in the node's category set. A value outside [0, len(Categories)) takes
	// the default direction, like a missing one.
	InSet Op = 2
)

var opNames = [...]string{Less: "<", LessEqual: "<=", InSet: "in"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", o)
}

// MarshalText writes the comparison by its frozen name: "<", "<=" or "in".
func (o Op) MarshalText() ([]byte, error) {
	if int(o) >= len(opNames) {
		return nil, fmt.Errorf("model: invalid op %d", o)
	}
	return []byte(opNames[o]), nil
}

// UnmarshalText reads a comparison name.
func (o *Op) UnmarshalText(b []byte) error {
	for i, n := range opNames {
		if string(b) == n {
			*o = Op(i)
			return nil
		}
	}
	return fmt.Errorf("unknown comparison %q", b)
}

// Tree is one decision tree as a struct of arrays: node i is described by
// the i-th element of each per-node slice. Node 0 is the root.
type Tree struct {
	// Output is the raw score this tree adds to, or -1 when its leaves are
	// vectors adding to every output.
	Output int32 `json:"output"`
	// Feature is the feature index a node tests, or -1 for a leaf.
	Feature   []int32   `json:"feature"`
	Threshold []float32 `json:"threshold"`
	Op        []Op      `json:"op"`
	// DefaultLeft says where a missing value goes.
	DefaultLeft []bool  `json:"default_left"`
	Left        []int32 `json:"left"`
	Right       []int32 `json:"right"`
	// Value holds Width() values per node; only leaves' are read.
	Value []float32 `json:"value"`
	// CatBegin is, per node, the offset in CatBits of an InSet node's
	// category set, and -1 for every other node. A set is a word holding
	// N, the number of categories it covers (the vocabulary size of the
	// tested feature), then ceil(N/32) words of bits: code c is in the set
	// when bit c%32 of word c/32 is set. Both are omitted when the tree has
	// no InSet node.
	CatBegin []int32  `json:"cat_begin,omitempty"`
	CatBits  []uint32 `json:"cat_bits,omitempty"`
	// Cover is, per node, the hessian sum of the training rows that
	// reached it (XGBoost's sum_hessian): the weights TreeSHAP gives a
	// node's children when a feature is not known (see Explainer). Optional:
	// a model without covers predicts the same but cannot be explained.
	Cover []float64 `json:"cover,omitempty"`
}

// Len is the number of nodes.
func (t *Tree) Len() int { return len(t.Feature) }

// Width is the number of values per leaf in an ensemble with the given
// number of outputs.
func (t *Tree) Width(outputs int) int {
	if t.Output < 0 {
		return outputs
	}
	return 1
}

// Outlier is a Mahalanobis outlier detector. For a row x it computes
//
//	v_j = x[Features[j]]
//	v_j = sign(v_j)·ln(1+|v_j|)                   when Log1p[j]
//	v_j = Mean[j] when v_j is NaN or ±Inf
//	v_j = clamp(v_j, Clip.Low[j], Clip.High[j])   when Clip is set
//	u_j = (v_j - Mean[j]) / Scale[j]
//	p   = Projectionᵀ u        (Components values)
//	score = pᵀ InvCov p
//
// all in float64. The score is the squared Mahalanobis distance in the
// principal-component space; a row scores as an outlier when score >
// Threshold. A non-finite input is undefined rather than extreme (flow
// meters write Infinity for the rate of a zero-length flow), so it scores
// as the mean, like a missing one.
type Outlier struct {
	// Features are the schema indices the detector reads (numeric only).
	Features []int32 `json:"features"`
	// Log1p, when set (one flag per input), passes input j through
	// sign(v)·ln(1+|v|) before standardisation: flow features are heavy
	// tailed (bytes, durations, rates spanning orders of magnitude), and a
	// Gaussian model fits their logarithms far better. Mean, Scale and Clip
	// are then in transformed units.
	Log1p []bool `json:"log1p,omitempty"`
	// Mean and Scale standardise each input; Scale is positive.
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
	// Components is the number of principal components kept.
	Components int `json:"components"`
	// Projection is len(Features) x Components, row-major.
	Projection []float64 `json:"projection"`
	// InvCov is Components x Components, row-major.
	InvCov    []float64 `json:"inv_cov"`
	Threshold float64   `json:"threshold"`
	// Clip bounds inputs before scoring; nil for none.
	Clip *Clip `json:"clip,omitempty"`
	// Online is the state of the online form, for a host that keeps
	// updating the detector; nil for a detector fitted in one batch.
	Online *OnlineState `json:"online,omitempty"`
}

// Clip holds per-input bounds, in input units.
type Clip struct {
	Low  []float64 `json:"low"`
	High []float64 `json:"high"`
}

// OnlineState is what the online Mahalanobis detector needs to go on
// updating: its parameters and how many rows it has seen. The running mean
// and covariance (in standardised units) are Cov and the Outlier's Mean.
type OnlineState struct {
	NStdev    float64   `json:"n_stdev"`
	StartClip int       `json:"start_clip"`
	Seen      int64     `json:"seen"`
	Cov       []float64 `json:"cov"`
}

// Histogram is a feature's distribution in the training data.
//
// For a numeric feature, Edges are ascending cut points and Counts has
// len(Edges)+1 bins: bin 0 holds x < Edges[0], bin i holds
// Edges[i-1] <= x < Edges[i], the last holds x >= Edges[len-1].
// For a categorical feature, Edges is empty and Counts has one bin per
// category plus a last bin for unknown categories.
// Missing counts NaN values, which fall in no bin.
type Histogram struct {
	Edges   []float64 `json:"edges,omitempty"`
	Counts  []int64   `json:"counts"`
	Missing int64     `json:"missing"`
}

// Bin is the bin of v in a histogram of this layout: for a categorical
// feature the category code's bin, or the last bin for a code outside the
// categories; for a numeric feature the bin whose edges hold v. NaN has no
// bin (it counts in Missing): Bin returns -1.
func (h *Histogram) Bin(v float32, categorical bool) int {
	if v != v {
		return -1
	}
	if categorical {
		n := len(h.Counts) - 1
		if v >= 0 && v < float32(n) {
			return int(v)
		}
		return n
	}
	// bin i holds Edges[i-1] <= x < Edges[i]: count the edges <= x
	x := float64(v)
	lo, hi := 0, len(h.Edges)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if h.Edges[mid] <= x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// Metadata is provenance. Nothing here changes a prediction.
type Metadata struct {
	Name string `json:"name,omitempty"`
	// Version is the model's own version, given when it was trained (not
	// the trainer's, not the file format's).
	Version        string    `json:"version,omitempty"`
	TrainerVersion string    `json:"trainer_version"`
	Created        time.Time `json:"created"`
	// DataSHA256 is the hex sha256 of each training file's bytes as read
	// from disk, in the order given.
	DataSHA256 []string          `json:"data_sha256,omitempty"`
	Params     map[string]string `json:"params,omitempty"`
	// Metrics are the headline evaluation figures (accuracy, macro_f1, ...).
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Importance is the total split gain per feature, in schema order.
	Importance []float64 `json:"importance,omitempty"`
	// Extra carries whatever else a trainer wants to keep, verbatim.
	Extra json.RawMessage `json:"extra,omitempty"`
}
