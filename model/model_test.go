package model

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sample builds a small valid model: features dur (numeric), proto
// (categorical tcp/udp/icmp) and bytes (numeric); classes benign, dos,
// scan; a vector-leaf tree, a per-class tree with a category split, and an
// outlier detector on dur and bytes.
func sample() *Model {
	return &Model{
		Format: FormatVersion,
		Schema: Schema{Features: []Feature{
			{Name: "dur", Kind: Numeric},
			{Name: "proto", Kind: Categorical, Categories: []string{"icmp", "tcp", "udp"}},
			{Name: "bytes", Kind: Numeric},
		}},
		Classes: []string{"benign", "dos", "scan"},
		Benign:  []int{0},
		Ensemble: Ensemble{
			Objective: Softmax,
			Outputs:   3,
			BaseScore: []float32{0.5, 0, 0},
			Trees: []Tree{
				{ // dur < 10 ? (bytes <= 100 ? L1 : L2) : L3; missing dur -> right
					Output:      -1,
					Feature:     []int32{0, 2, -1, -1, -1},
					Threshold:   []float32{10, 100, 0, 0, 0},
					Op:          []Op{Less, LessEqual, Less, Less, Less},
					DefaultLeft: []bool{false, true, false, false, false},
					Left:        []int32{1, 3, -1, -1, -1},
					Right:       []int32{2, 4, -1, -1, -1},
					Value: []float32{
						0, 0, 0,
						0, 0, 0,
						-1, 2, -1, // node 2: long flows look like dos
						1, -1, 0, // node 3: short and small: benign
						-1, -1, 2, // node 4: short and big: scan
					},
				},
				{ // proto in {udp} ? +3 : -0.5, for class "dos"; missing -> left
					Output:      1,
					Feature:     []int32{1, -1, -1},
					Threshold:   []float32{0, 0, 0},
					Op:          []Op{InSet, Less, Less},
					DefaultLeft: []bool{true, false, false},
					Left:        []int32{1, -1, -1},
					Right:       []int32{2, -1, -1},
					Value:       []float32{0, 3, -0.5},
					CatBegin:    []int32{0, -1, -1},
					CatBits:     []uint32{3, 1 << 2},
				},
			},
		},
		Outlier: &Outlier{
			Features:   []int32{0, 2},
			Mean:       []float64{5, 50},
			Scale:      []float64{2, 10},
			Components: 2,
			Projection: []float64{1, 0, 0, 1},
			InvCov:     []float64{1, 0, 0, 1},
			Threshold:  9,
		},
		Reference: []Histogram{
			{Edges: []float64{1, 5}, Counts: []int64{1, 2, 3}, Missing: 1},
			{Counts: []int64{4, 5, 6, 0}},
			{Edges: []float64{10}, Counts: []int64{7, 8}},
		},
		Meta: Metadata{TrainerVersion: "test", Created: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC),
			Params: map[string]string{"rounds": "1"}, Metrics: map[string]float64{"accuracy": 1}},
	}
}

func encode(t testing.TB, m *Model) []byte {
	t.Helper()
	b, err := m.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	m := sample()
	b := encode(t, m)
	got, err := Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if b2 := encode(t, got); !bytes.Equal(b, b2) {
		t.Fatalf("re-encoding differs:\n%s\n----\n%s", b, b2)
	}
	if !strings.Contains(string(b), `"op": [`) || !strings.Contains(string(b), `"<="`) {
		t.Errorf("ops are not written by name:\n%s", b)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.json")
	b, err := sample().MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(filepath.Join(dir, "nope.json")); err == nil {
		t.Fatal("reading a missing file succeeded")
	}
}

func TestPredict(t *testing.T) {
	m := sample()
	nan := float32(math.NaN())
	tests := map[string]struct {
		row     []float32
		class   string
		verdict Verdict
	}{
		"short small tcp is benign":     {[]float32{5, 1, 50}, "benign", Benign},
		"long flow is dos":              {[]float32{20, 1, 50}, "dos", Malicious},
		"short big flow is scan":        {[]float32{5, 1, 500}, "scan", Malicious},
		"udp pushes towards dos":        {[]float32{5, 2, 50}, "dos", Malicious},
		"missing dur goes right (dos)":  {[]float32{nan, 1, 50}, "dos", Malicious},
		"missing proto goes left (dos)": {[]float32{5, nan, 50}, "dos", Malicious},
		"unknown code takes default":    {[]float32{5, 7, 50}, "dos", Malicious},
		"negative code takes default":   {[]float32{5, -1, 50}, "dos", Malicious},
		"benign but far is anomalous":   {[]float32{-5, 1, 100}, "benign", Anomalous},
		"threshold equality is benign":  {[]float32{5, 1, 80}, "benign", Benign}, // score (30/10)^2 = 9, not > 9
	}
	var r Result
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if err := m.Predict(tc.row, &r); err != nil {
				t.Fatal(err)
			}
			if got := m.Classes[r.Class]; got != tc.class || r.Verdict != tc.verdict {
				t.Errorf("got %s/%s (p=%v score=%v), want %s/%s", got, r.Verdict, r.Probabilities, r.OutlierScore, tc.class, tc.verdict)
			}
			var sum float64
			for _, p := range r.Probabilities {
				sum += p
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Errorf("probabilities sum to %v", sum)
			}
		})
	}
	if err := m.Predict([]float32{1, 2}, &r); !errors.Is(err, ErrRowWidth) {
		t.Errorf("short row: got %v, want ErrRowWidth", err)
	}
}

func TestPredictExactValues(t *testing.T) {
	m := sample()
	var r Result
	if err := m.Predict([]float32{5, 1, 50}, &r); err != nil {
		t.Fatal(err)
	}
	// raw = base + tree0 node3 + tree1 (tcp not in {udp}: right, -0.5 to dos)
	raw := []float64{0.5 + 1, 0 - 1 - 0.5, 0 + 0}
	mx := raw[0]
	var sum float64
	for _, v := range raw {
		sum += math.Exp(v - mx)
	}
	for i, v := range raw {
		if want := math.Exp(v-mx) / sum; math.Abs(r.Probabilities[i]-want) > 1e-15 {
			t.Errorf("p[%d] = %v, want %v", i, r.Probabilities[i], want)
		}
	}
	if want := 0.0; r.OutlierScore != want {
		t.Errorf("score %v, want %v (row at the mean)", r.OutlierScore, want)
	}
	inf := float32(math.Inf(1))
	m.Outlier.Log1p = []bool{true, false}
	m.Outlier.Mean[0] = math.Log1p(5)
	if s := m.Outlier.Score([]float32{5, 0, 50}); s != 0 {
		t.Errorf("log1p input at the transformed mean scores %v, want 0", s)
	}
	want := math.Pow((-math.Log1p(5)-math.Log1p(5))/2, 2)
	if s := m.Outlier.Score([]float32{-5, 0, 50}); math.Abs(s-want) > 1e-12 {
		t.Errorf("signed log1p: score %v, want %v", s, want)
	}
	if s := m.Outlier.Score([]float32{inf, 0, -inf}); s != 0 {
		t.Errorf("infinite inputs score %v, want 0 (scored as the mean)", s)
	}
}

func TestPredictLogistic(t *testing.T) {
	m := sample()
	m.Classes = []string{"normal", "attack"}
	m.Ensemble = Ensemble{Objective: Logistic, Outputs: 1, BaseScore: []float32{0}, Trees: []Tree{{
		Output: 0, Feature: []int32{0, -1, -1}, Threshold: []float32{10, 0, 0}, Op: []Op{Less, Less, Less},
		DefaultLeft: []bool{true, false, false}, Left: []int32{1, -1, -1}, Right: []int32{2, -1, -1}, Value: []float32{0, -2, 3},
	}}}
	if err := Validate(m); err != nil {
		t.Fatal(err)
	}
	var r Result
	m.Predict([]float32{20, 0, 50}, &r)
	if want := 1 / (1 + math.Exp(-3)); r.Class != 1 || math.Abs(r.Probabilities[1]-want) > 1e-15 || r.Verdict != Malicious {
		t.Errorf("got class %d p=%v verdict %s", r.Class, r.Probabilities, r.Verdict)
	}
}

func TestPredictAllocs(t *testing.T) {
	m := sample()
	var r Result
	row := []float32{5, 1, 50}
	m.Predict(row, &r)
	if n := testing.AllocsPerRun(100, func() { m.Predict(row, &r) }); n != 0 {
		t.Errorf("Predict allocates %v times per call with a reused Result", n)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := map[string]struct {
		edit func(m *Model)
		want error
		path string
	}{
		"newer format":            {func(m *Model) { m.Format = FormatVersion + 1 }, ErrVersion, "format"},
		"no features":             {func(m *Model) { m.Schema.Features = nil }, ErrInvalid, "schema.features"},
		"duplicate feature":       {func(m *Model) { m.Schema.Features[2].Name = "dur" }, ErrInvalid, "schema.features[2].name"},
		"categorical without cat": {func(m *Model) { m.Schema.Features[1].Categories = nil }, ErrInvalid, "schema.features[1].categories"},
		"numeric with categories": {func(m *Model) { m.Schema.Features[0].Categories = []string{"a"} }, ErrInvalid, "schema.features[0].categories"},
		"one class":               {func(m *Model) { m.Classes = m.Classes[:1] }, ErrInvalid, "classes"},
		"benign out of range":     {func(m *Model) { m.Benign = []int{3} }, ErrRange, "benign[0]"},
		"outputs mismatch":        {func(m *Model) { m.Ensemble.Outputs = 2 }, ErrShape, "ensemble.outputs"},
		"base score short":        {func(m *Model) { m.Ensemble.BaseScore = m.Ensemble.BaseScore[:2] }, ErrShape, "ensemble.base_score"},
		"feature out of range":    {func(m *Model) { m.Ensemble.Trees[0].Feature[1] = 3 }, ErrRange, "ensemble.trees[0].feature[1]"},
		"child out of range":      {func(m *Model) { m.Ensemble.Trees[0].Left[1] = 9 }, ErrRange, "ensemble.trees[0].left[1]"},
		"child is root":           {func(m *Model) { m.Ensemble.Trees[0].Right[1] = 0 }, ErrRange, "ensemble.trees[0].left[1]"},
		"cycle":                   {func(m *Model) { m.Ensemble.Trees[0].Left[1] = 1 }, ErrCycle, "ensemble.trees[0].left[1]"},
		"shared child":            {func(m *Model) { m.Ensemble.Trees[0].Right[1] = 2 }, ErrCycle, "ensemble.trees[0].left[1]"},
		"unreachable node": {func(m *Model) {
			tr := &m.Ensemble.Trees[1]
			tr.Feature = append(tr.Feature, -1)
			tr.Threshold = append(tr.Threshold, 0)
			tr.Op = append(tr.Op, Less)
			tr.DefaultLeft = append(tr.DefaultLeft, false)
			tr.Left = append(tr.Left, -1)
			tr.Right = append(tr.Right, -1)
			tr.Value = append(tr.Value, 0)
			tr.CatBegin = append(tr.CatBegin, -1)
		}, ErrCycle, "ensemble.trees[1]"},
		"NaN threshold":           {func(m *Model) { m.Ensemble.Trees[0].Threshold[0] = float32(math.NaN()) }, ErrNonFinite, "ensemble.trees[0].threshold[0]"},
		"Inf leaf":                {func(m *Model) { m.Ensemble.Trees[0].Value[6] = float32(math.Inf(1)) }, ErrNonFinite, "ensemble.trees[0].value[6]"},
		"value length":            {func(m *Model) { m.Ensemble.Trees[0].Value = m.Ensemble.Trees[0].Value[:5] }, ErrShape, "ensemble.trees[0].value"},
		"leaf with children":      {func(m *Model) { m.Ensemble.Trees[0].Left[2] = 3 }, ErrShape, "ensemble.trees[0].left[2]"},
		"less on categorical":     {func(m *Model) { m.Ensemble.Trees[1].Op[0] = Less }, ErrInvalid, "ensemble.trees[1].op[0]"},
		"set on numeric":          {func(m *Model) { m.Ensemble.Trees[0].Op[0] = InSet }, ErrInvalid, "ensemble.trees[0].op[0]"},
		"unknown op":              {func(m *Model) { m.Ensemble.Trees[0].Op[0] = 7 }, ErrInvalid, "ensemble.trees[0].op[0]"},
		"set size mismatch":       {func(m *Model) { m.Ensemble.Trees[1].CatBits[0] = 4 }, ErrShape, "ensemble.trees[1].cat_begin[0]"},
		"set offset out of range": {func(m *Model) { m.Ensemble.Trees[1].CatBegin[0] = 5 }, ErrRange, "ensemble.trees[1].cat_begin[0]"},
		"set runs past bits":      {func(m *Model) { m.Ensemble.Trees[1].CatBits = m.Ensemble.Trees[1].CatBits[:1] }, ErrRange, "ensemble.trees[1].cat_begin[0]"},
		"tree output range":       {func(m *Model) { m.Ensemble.Trees[1].Output = 3 }, ErrRange, "ensemble.trees[1].output"},
		"outlier on categorical":  {func(m *Model) { m.Outlier.Features[0] = 1 }, ErrInvalid, "outlier.features[0]"},
		"outlier components":      {func(m *Model) { m.Outlier.Components = 3 }, ErrRange, "outlier.components"},
		"outlier zero scale":      {func(m *Model) { m.Outlier.Scale[1] = 0 }, ErrInvalid, "outlier.scale[1]"},
		"outlier NaN mean":        {func(m *Model) { m.Outlier.Mean[0] = math.NaN() }, ErrNonFinite, "outlier.mean[0]"},
		"outlier projection size": {func(m *Model) { m.Outlier.Projection = m.Outlier.Projection[:3] }, ErrShape, "outlier.projection"},
		"log1p flags":             {func(m *Model) { m.Outlier.Log1p = []bool{true} }, ErrShape, "outlier.log1p"},
		"clip inverted":           {func(m *Model) { m.Outlier.Clip = &Clip{Low: []float64{1, 1}, High: []float64{0, 2}} }, ErrInvalid, "outlier.clip.low[0]"},
		"reference count":         {func(m *Model) { m.Reference = m.Reference[:2] }, ErrShape, "reference"},
		"reference edges order":   {func(m *Model) { m.Reference[0].Edges = []float64{5, 1} }, ErrInvalid, "reference[0].edges[1]"},
		"reference cat bins":      {func(m *Model) { m.Reference[1].Counts = []int64{1} }, ErrShape, "reference[1].counts"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := sample()
			tc.edit(m)
			err := Validate(m)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Validate: got %v, want %v", err, tc.want)
			}
			// Where JSON can carry the fault, Decode must report the same.
			if b, jerr := m.MarshalIndent(); jerr == nil {
				if _, derr := Decode(bytes.NewReader(b)); derr == nil || derr.Error() != err.Error() {
					t.Fatalf("Decode: got %v, want %v", derr, err)
				}
			}
			var me *Error
			if !errors.As(err, &me) || me.Path != tc.path {
				t.Fatalf("error %q: path %q, want %q", err, pathOf(err), tc.path)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message spans lines: %q", err)
			}
		})
	}
}

func pathOf(err error) string {
	var me *Error
	if errors.As(err, &me) {
		return me.Path
	}
	return "<none>"
}

func TestDecodeNonFinite(t *testing.T) {
	// JSON has no NaN or Inf, so a float that overflows float32 is how
	// a file smuggles an infinity into a threshold.
	b := encode(t, sample())
	b = bytes.Replace(b, []byte(`"threshold": [`+"\n"+`     10,`), []byte(`"threshold": [`+"\n"+`     1e39,`), 1)
	if !bytes.Contains(b, []byte("1e39")) {
		t.Fatalf("test did not patch the file:\n%s", b)
	}
	_, err := Decode(bytes.NewReader(b))
	if !errors.Is(err, ErrNonFinite) && !errors.Is(err, ErrSyntax) {
		t.Fatalf("got %v, want a non-finite or syntax error", err)
	}
}

func TestDecodeSyntax(t *testing.T) {
	tests := map[string]struct {
		in   string
		want error
	}{
		"empty":            {"", ErrSyntax},
		"not json":         {"model v1", ErrSyntax},
		"truncated":        {string(encode(t, sample()))[:200], ErrSyntax},
		"no format":        {`{"classes":["a","b"]}`, ErrVersion},
		"format zero":      {`{"format":0}`, ErrVersion},
		"newer":            {`{"format":99,"whatever":{}}`, ErrVersion},
		"unknown field":    {strings.Replace(string(encode(t, sample())), `"classes"`, `"klasses"`, 1), ErrSyntax},
		"wrong type":       {strings.Replace(string(encode(t, sample())), `"outputs": 3`, `"outputs": "3"`, 1), ErrSyntax},
		"trailing garbage": {string(encode(t, sample())) + "{}", ErrSyntax},
		"bad op name":      {strings.Replace(string(encode(t, sample())), `"<="`, `">="`, 1), ErrSyntax},
		"bad kind":         {strings.Replace(string(encode(t, sample())), `"categorical"`, `"ordinal"`, 1), ErrSyntax},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	_, err := Decode(strings.NewReader("{\n  \"format\": 1,\n  \"classes\": [1]\n}"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("type error does not name its line: %v", err)
	}
}

func TestDecodeTooLarge(t *testing.T) {
	lim := DefaultLimits
	lim.FileBytes = 100
	_, err := DecodeLimits(bytes.NewReader(encode(t, sample())), lim)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	lim = DefaultLimits
	lim.Trees = 1
	if _, err := DecodeLimits(bytes.NewReader(encode(t, sample())), lim); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge for trees", err)
	}
}

func TestEncoder(t *testing.T) {
	m := sample()
	m.Schema.Features[1].Unknown = UnknownMissing
	e := NewEncoder(&m.Schema)
	if e.Index("proto") != 1 || e.Index("nope") != -1 {
		t.Fatal("Index")
	}
	tests := map[string]struct {
		i    int
		in   string
		want float32 // NaN compared by NaN-ness
		err  error
	}{
		"number":        {0, " 1.5 ", 1.5, nil},
		"exponent":      {0, "5.90E+07", 5.9e7, nil},
		"empty":         {0, "", float32(math.NaN()), nil},
		"NaN":           {0, "NaN", float32(math.NaN()), nil},
		"Infinity":      {0, "Infinity", float32(math.Inf(1)), nil},
		"-Infinity":     {0, "-Infinity", float32(math.Inf(-1)), nil},
		"overflow":      {0, "1e300", float32(math.Inf(1)), nil},
		"text":          {0, "abc", 0, ErrNotNumber},
		"category":      {1, "udp", 2, nil},
		"unknown cat":   {1, "sctp", float32(math.NaN()), nil},
		"empty cat":     {1, "", float32(math.NaN()), nil},
		"numeric third": {2, "7", 7, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := e.Value(tc.i, tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if (got != got) != (tc.want != tc.want) || (got == got && got != tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	m.Schema.Features[1].Unknown = UnknownError
	e = NewEncoder(&m.Schema)
	if _, err := e.Value(1, "sctp"); !errors.Is(err, ErrUnknownCategory) {
		t.Errorf("UnknownError policy: got %v", err)
	}
	if _, err := e.Number(1, 5); !errors.Is(err, ErrUnknownCategory) {
		t.Errorf("UnknownError policy for a code: got %v", err)
	}
	if v, err := e.Number(1, 2); err != nil || v != 2 {
		t.Errorf("valid code: %v %v", v, err)
	}
}
