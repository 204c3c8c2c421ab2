package host_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// shape says what a random model contains.
type shape struct {
	features    int
	categorical bool // some categorical features
	classes     int
	logistic    bool // two classes, one output
	trees       int
	depth       int
	vector      bool // vector-leaf trees
	perClass    bool // per-output trees
	outlier     bool
	log1p       bool
	clip        bool
	fullInvCov  bool // off-diagonal inverse covariance, positive definite
	oddInvCov   bool // off-diagonal inverse covariance, not symmetric
	full        bool // every tree a full binary tree of the given depth
	components  int  // detector components (0: random)
	log1pAll    bool // every detector input through log1p
	ncat        int  // at most this many categorical features (0: no limit)
}

// special float32 values rows and thresholds are drawn from, with random
// ones: equality with thresholds, signed zeros, subnormals, the ends of
// float32, infinities and NaN.
var special = []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, 2, 3, 1e-45, -1e-45, 1e-40, 1.17549435e-38,
	math.MaxFloat32, -math.MaxFloat32, 1e30, -1e30, 1e10, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}

func randValue(r *rand.Rand) float32 {
	switch r.IntN(3) {
	case 0:
		return special[r.IntN(len(special))]
	case 1:
		return float32(r.NormFloat64() * 3)
	default:
		return float32(math.Exp(r.NormFloat64()*8)) * float32(1-2*r.IntN(2))
	}
}

func finiteValue(r *rand.Rand) float32 {
	for {
		v := randValue(r)
		if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
			return v
		}
	}
}

// randModel builds a valid model of the given shape.
func randModel(t testing.TB, r *rand.Rand, s shape) *model.Model {
	t.Helper()
	m := &model.Model{Format: model.FormatVersion, Meta: model.Metadata{TrainerVersion: "test", Name: "random"}}
	numeric := []int32{}
	for i := 0; i < s.features; i++ {
		f := model.Feature{Name: fmt.Sprintf("f%d", i)}
		if s.categorical && i%2 == 1 && (s.ncat == 0 || i/2 < s.ncat) {
			f.Kind = model.Categorical
			n := 1 + r.IntN(40)
			for c := 0; c < n; c++ {
				f.Categories = append(f.Categories, fmt.Sprintf("c%d", c))
			}
			f.Unknown = model.Unknown(r.IntN(2))
		} else {
			numeric = append(numeric, int32(i))
		}
		m.Schema.Features = append(m.Schema.Features, f)
	}
	k := s.classes
	if s.logistic {
		k = 2
	}
	for c := 0; c < k; c++ {
		m.Classes = append(m.Classes, fmt.Sprintf("class%d", c))
		if c == 0 || r.IntN(4) == 0 {
			m.Benign = append(m.Benign, c)
		}
	}
	e := &m.Ensemble
	e.Outputs = k
	if s.logistic {
		e.Objective, e.Outputs = model.Logistic, 1
	}
	for j := 0; j < e.Outputs; j++ {
		e.BaseScore = append(e.BaseScore, float32(r.NormFloat64()))
	}
	for i := 0; i < s.trees; i++ {
		out := int32(-1)
		if s.perClass && (!s.vector || r.IntN(2) == 0) {
			out = int32(r.IntN(e.Outputs))
		}
		e.Trees = append(e.Trees, randTree(r, &m.Schema, out, e.Outputs, s.depth, s.full))
	}
	if s.outlier && len(numeric) > 0 {
		d := 1 + r.IntN(len(numeric))
		kc := 1 + r.IntN(d)
		if s.components > 0 {
			d = len(numeric)
			kc = min(s.components, d)
		}
		o := &model.Outlier{Components: kc, Threshold: math.Abs(r.NormFloat64() * 10)}
		for j := 0; j < d; j++ {
			f := numeric[r.IntN(len(numeric))]
			if s.components > 0 {
				f = numeric[j]
			}
			o.Features = append(o.Features, f)
			o.Mean = append(o.Mean, r.NormFloat64()*5)
			o.Scale = append(o.Scale, math.Exp(r.NormFloat64()*2))
		}
		for j := 0; j < d*kc; j++ {
			o.Projection = append(o.Projection, r.NormFloat64())
		}
		for a := 0; a < kc; a++ {
			for b := 0; b < kc; b++ {
				v := 0.0
				if a == b {
					v = math.Exp(r.NormFloat64())
				} else if s.oddInvCov {
					v = r.NormFloat64() * 0.3
				}
				o.InvCov = append(o.InvCov, v)
			}
		}
		if s.fullInvCov { // diagonal + B·Bᵀ/k
			bm := make([]float64, kc*kc)
			for i := range bm {
				bm[i] = r.NormFloat64()
			}
			for a := 0; a < kc; a++ {
				for b := 0; b < kc; b++ {
					var v float64
					for c := 0; c < kc; c++ {
						v += bm[a*kc+c] * bm[b*kc+c]
					}
					o.InvCov[a*kc+b] += v / float64(kc)
				}
			}
		}
		if s.log1p {
			for j := 0; j < d; j++ {
				o.Log1p = append(o.Log1p, s.log1pAll || r.IntN(2) == 0)
			}
		}
		if s.clip {
			o.Clip = &model.Clip{}
			for j := 0; j < d; j++ {
				a, b := r.NormFloat64()*10, r.NormFloat64()*10
				o.Clip.Low = append(o.Clip.Low, min(a, b))
				o.Clip.High = append(o.Clip.High, max(a, b))
			}
		}
		m.Outlier = o
	}
	if err := model.Validate(m); err != nil {
		t.Fatalf("random model is invalid: %v", err)
	}
	return m
}

func randTree(r *rand.Rand, s *model.Schema, out int32, outputs, depth int, full bool) model.Tree {
	t := model.Tree{Output: out}
	w := t.Width(outputs)
	hasSet := false
	var grow func(d int) int32
	grow = func(d int) int32 {
		n := int32(t.Len())
		t.Feature = append(t.Feature, -1)
		t.Threshold = append(t.Threshold, 0)
		t.Op = append(t.Op, model.Less)
		t.DefaultLeft = append(t.DefaultLeft, false)
		t.Left = append(t.Left, -1)
		t.Right = append(t.Right, -1)
		t.CatBegin = append(t.CatBegin, -1)
		for j := 0; j < w; j++ {
			t.Value = append(t.Value, float32(r.NormFloat64()))
		}
		if d >= depth || (!full && d > 0 && r.IntN(4) == 0) {
			return n
		}
		f := r.IntN(len(s.Features))
		t.Feature[n] = int32(f)
		t.DefaultLeft[n] = r.IntN(2) == 0
		if s.Features[f].Kind == model.Categorical {
			hasSet = true
			t.Op[n] = model.InSet
			nc := len(s.Features[f].Categories)
			t.CatBegin[n] = int32(len(t.CatBits))
			t.CatBits = append(t.CatBits, uint32(nc))
			for wd := 0; wd < (nc+31)/32; wd++ {
				bits := r.Uint32()
				if rem := nc - 32*wd; rem < 32 {
					bits &= 1<<rem - 1
				}
				t.CatBits = append(t.CatBits, bits)
			}
		} else {
			t.Op[n] = model.Op(r.IntN(2))
			t.Threshold[n] = finiteValue(r)
		}
		l := grow(d + 1)
		rt := grow(d + 1)
		t.Left[n], t.Right[n] = l, rt
		return n
	}
	grow(0)
	if !hasSet {
		t.CatBegin, t.CatBits = nil, nil
	}
	return t
}

// randRows makes n rows for m: special and random values, category codes
// in and out of range.
func randRows(r *rand.Rand, m *model.Model, n int) []float32 {
	nf := len(m.Schema.Features)
	rows := make([]float32, n*nf)
	for i := range rows {
		f := &m.Schema.Features[i%nf]
		if f.Kind == model.Categorical && r.IntN(4) != 0 {
			rows[i] = float32(r.IntN(len(f.Categories) + 2))
			if r.IntN(8) == 0 {
				rows[i] += 0.5
			}
			continue
		}
		rows[i] = randValue(r)
	}
	return rows
}

// answer is one row's result as any host reports it.
type answer struct {
	class   int
	verdict model.Verdict
	score   float64
	probs   []float64
}

func nativeAnswers(t testing.TB, m *model.Model, rows []float32) []answer {
	t.Helper()
	nf := len(m.Schema.Features)
	out := make([]answer, len(rows)/nf)
	var res model.Result
	for i := range out {
		if err := m.Predict(rows[i*nf:(i+1)*nf], &res); err != nil {
			t.Fatal(err)
		}
		out[i] = answer{res.Class, res.Verdict, res.OutlierScore, append([]float64(nil), res.Probabilities...)}
	}
	return out
}

func wasmAnswers(t testing.TB, mod *host.Module, rows []float32) []answer {
	t.Helper()
	res := make([]model.Result, len(rows)/mod.Features())
	if err := mod.Classify(context.Background(), rows, res); err != nil {
		t.Fatal(err)
	}
	out := make([]answer, len(res))
	for i, r := range res {
		out[i] = answer{r.Class, r.Verdict, r.OutlierScore, r.Probabilities}
	}
	return out
}

// sameScore: within 1e-5 relative; NaN matches NaN (a detector whose
// projection overflows scores NaN natively too).
func sameScore(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-5*max(math.Abs(a), math.Abs(b))
}

// compare fails t unless got agrees with want on every row: same class and
// verdict, probabilities within 1e-6, score within 1e-5 relative.
func compare(t testing.TB, what string, want, got []answer, rows []float32, nf int) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d answers, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range want {
		w, g := want[i], got[i]
		ok := w.class == g.class && w.verdict == g.verdict && sameScore(w.score, g.score) && len(w.probs) == len(g.probs)
		for j := 0; ok && j < len(w.probs); j++ {
			ok = math.Abs(w.probs[j]-g.probs[j]) <= 1e-6
		}
		if !ok {
			bad++
			if bad <= 3 {
				t.Errorf("%s: row %d %v:\nnative class %d verdict %v score %v probs %v\nmodule class %d verdict %v score %v probs %v",
					what, i, rows[i*nf:(i+1)*nf], w.class, w.verdict, w.score, w.probs, g.class, g.verdict, g.score, g.probs)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d rows disagree", what, bad, len(want))
	}
}

func load(t testing.TB, b []byte, opts ...host.Option) *host.Module {
	t.Helper()
	mod, err := host.Load(context.Background(), b, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mod.Close(context.Background()) })
	return mod
}

func compile(t testing.TB, m *model.Model, opts ...compiler.CompileOption) []byte {
	t.Helper()
	b, err := compiler.Compile(m, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validate runs wabt's wasm-validate on b.
func validate(t testing.TB, b []byte, flags ...string) {
	t.Helper()
	if err := wasmValidate(t, b, flags...); err != nil {
		t.Fatal(err)
	}
}

// wasmValidate runs wabt's wasm-validate with flags on b: nil when it
// accepts the module.
func wasmValidate(t testing.TB, b []byte, flags ...string) error {
	t.Helper()
	const tool = "/usr/bin/wasm-validate"
	if _, err := os.Stat(tool); err != nil {
		t.Fatalf("wasm-validate not found: apt-get install wabt (%v)", err)
	}
	p := filepath.Join(t.TempDir(), "m.wasm")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, append(flags, p)...).CombinedOutput(); err != nil {
		return fmt.Errorf("wasm-validate %v rejects the module: %v\n%s", flags, err, out)
	}
	return nil
}

// nodeAnswers runs the module under Node.js (testdata/run.mjs).
func nodeAnswers(t testing.TB, b []byte, rows []float32) []answer {
	t.Helper()
	const node = "/usr/bin/node"
	if _, err := os.Stat(node); err != nil {
		t.Fatalf("node not found at %s: apt-get install nodejs (%v)", node, err)
	}
	dir := t.TempDir()
	wp, rp := filepath.Join(dir, "m.wasm"), filepath.Join(dir, "rows.f32")
	raw := make([]byte, 4*len(rows))
	for i, v := range rows {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(wp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rp, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "run.mjs"), wp, rp)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var res []struct {
		Class   int       `json:"class"`
		Verdict int       `json:"verdict"`
		Score   string    `json:"score"`
		Probs   []float64 `json:"probs"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node output: %v", err)
	}
	ans := make([]answer, len(res))
	for i, r := range res {
		s, err := strconv.ParseFloat(r.Score, 64)
		if err != nil {
			t.Fatalf("node score %q: %v", r.Score, err)
		}
		ans[i] = answer{r.Class, model.Verdict(r.Verdict), s, r.Probs}
	}
	return ans
}
