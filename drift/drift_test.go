package drift

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/model"
)

// col is one column of a hand-made dataset: numbers, or codes into vocab.
type col struct {
	name  string
	vals  []float32
	vocab []string // categorical when set
}

func dataset(cols ...col) *flowdata.Dataset {
	d := &flowdata.Dataset{}
	for _, c := range cols {
		f := model.Feature{Name: c.name}
		if c.vocab != nil {
			f.Kind, f.Categories = model.Categorical, c.vocab
		}
		d.Schema.Features = append(d.Schema.Features, f)
		d.Columns = append(d.Columns, c.vals)
		d.Rows = len(c.vals)
	}
	return d
}

// normal draws n values from N(mu, 1) with a fixed seed.
func normal(seed uint64, n int, mu float64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(mu + r.NormFloat64())
	}
	return out
}

// cycle repeats values to n rows.
func cycle(n int, values ...float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = values[i%len(values)]
	}
	return out
}

func TestSelection(t *testing.T) {
	tests := map[string]struct {
		ref, cur col
		kind     Kind
		test     Test
	}{
		"small numeric":                       {col{name: "x", vals: normal(1, 500, 0)}, col{name: "x", vals: normal(2, 400, 0)}, Numerical, KS},
		"small numeric, 1000 rows is small":   {col{name: "x", vals: normal(1, 1000, 0)}, col{name: "x", vals: normal(2, 400, 0)}, Numerical, KS},
		"large numeric":                       {col{name: "x", vals: normal(1, 1001, 0)}, col{name: "x", vals: normal(2, 400, 0)}, Numerical, WassersteinN},
		"small binary":                        {col{name: "x", vals: cycle(300, 0, 1, 1)}, col{name: "x", vals: cycle(300, 1, 0)}, Categorical, Z},
		"small binary float":                  {col{name: "x", vals: cycle(300, 0.5, 1.5)}, col{name: "x", vals: cycle(300, 1.5, 0.5)}, Numerical, Z},
		"small few values":                    {col{name: "x", vals: cycle(300, 1, 2, 3)}, col{name: "x", vals: cycle(300, 1, 2, 3, 4)}, Categorical, ChiSquareTest},
		"small five float values":             {col{name: "x", vals: cycle(300, 0.1, 0.2, 0.3, 0.4, 0.5)}, col{name: "x", vals: cycle(300, 0.1, 0.2)}, Numerical, ChiSquareTest},
		"small six float values":              {col{name: "x", vals: cycle(300, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)}, col{name: "x", vals: cycle(300, 0.1, 0.2)}, Numerical, KS},
		"small integers, few in reference":    {col{name: "x", vals: cycle(300, 1, 2, 3)}, col{name: "x", vals: cycle(300, 4, 5, 6, 7, 8, 9)}, Categorical, ChiSquareTest},
		"current with missing is not integer": {col{name: "x", vals: cycle(300, 1, 2, 3)}, col{name: "x", vals: cycle(300, 4, 5, 6, 7, 8, float32(math.NaN()))}, Numerical, KS},
		"large integers, few in reference":    {col{name: "x", vals: cycle(5000, 1, 2, 3)}, col{name: "x", vals: cycle(300, 4, 5, 6, 7, 8, 9)}, Categorical, JS},
		"large few float values":              {col{name: "x", vals: cycle(5000, 0.5, 1.5, 2.5)}, col{name: "x", vals: cycle(300, 0.5)}, Numerical, JS},
		"large binary":                        {col{name: "x", vals: cycle(5000, 0, 1)}, col{name: "x", vals: cycle(300, 0, 1)}, Categorical, JS},
		"small categorical":                   {col{name: "c", vals: cycle(200, 0, 1, 2), vocab: []string{"icmp", "tcp", "udp"}}, col{name: "c", vals: cycle(200, 0, 1, 2), vocab: []string{"icmp", "tcp", "udp"}}, Categorical, ChiSquareTest},
		"small categorical two":               {col{name: "c", vals: cycle(200, 0, 1), vocab: []string{"tcp", "udp"}}, col{name: "c", vals: cycle(200, 0), vocab: []string{"udp"}}, Categorical, Z},
		"large categorical":                   {col{name: "c", vals: cycle(2000, 0, 1), vocab: []string{"tcp", "udp"}}, col{name: "c", vals: cycle(200, 0), vocab: []string{"tcp"}}, Categorical, JS},
		"missing values do not count as rows": {col{name: "x", vals: append(normal(1, 900, 0), cycle(500, float32(math.NaN()))...)}, col{name: "x", vals: normal(2, 400, 0)}, Numerical, KS},
		"infinities are missing":              {col{name: "x", vals: append(normal(1, 900, 0), cycle(500, float32(math.Inf(1)))...)}, col{name: "x", vals: normal(2, 400, 0)}, Numerical, KS},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := Compare(dataset(tc.ref), dataset(tc.cur), Options{})
			if err != nil {
				t.Fatal(err)
			}
			c := r.Columns[0]
			if c.Kind != tc.kind || c.Test != tc.test {
				t.Errorf("kind %s test %s, want %s %s", c.Kind, c.Test, tc.kind, tc.test)
			}
			if (c.PValue != nil) != (tc.test == KS || tc.test == Z || tc.test == ChiSquareTest) {
				t.Errorf("p-value presence wrong for %s", c.Test)
			}
		})
	}
}

// The categorical path matches categories by name, whatever each file's
// codes: the same distribution coded differently does not drift.
func TestCategoriesMatchedByName(t *testing.T) {
	ref := dataset(col{name: "c", vals: cycle(3000, 0, 1, 1, 2), vocab: []string{"icmp", "tcp", "udp"}})
	cur := dataset(col{name: "c", vals: cycle(3000, 2, 0, 0, 1), vocab: []string{"tcp", "udp", "icmp"}})
	r, err := Compare(ref, cur, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Columns[0]; c.Drifted || float64(c.Statistic) != 0 {
		t.Errorf("recoded identical column: %+v", c)
	}
	// A category only the current file has drives the chi-square to infinity.
	ref = dataset(col{name: "c", vals: cycle(300, 0, 1), vocab: []string{"tcp", "udp"}})
	cur = dataset(col{name: "c", vals: cycle(300, 0, 1, 2), vocab: []string{"tcp", "udp", "icmp"}})
	r, err = Compare(ref, cur, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Columns[0]; !c.Drifted || c.Test != ChiSquareTest || !math.IsInf(float64(c.Statistic), 1) || float64(*c.PValue) != 0 {
		t.Errorf("new category: %+v", c)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("an infinite statistic must still encode: %v", err)
	}
	if !bytes.Contains(b, []byte(`"statistic":null`)) {
		t.Errorf("infinite statistic not null: %s", b)
	}
}

func TestIdenticalDataDoesNotDrift(t *testing.T) {
	for name, rows := range map[string]int{"small reference": 800, "large reference": 6000} {
		t.Run(name, func(t *testing.T) {
			d := dataset(
				col{name: "a", vals: normal(3, rows, 0)},
				col{name: "b", vals: cycle(rows, 0, 1, 1)},
				col{name: "c", vals: cycle(rows, 0, 1, 2, 2), vocab: []string{"x", "y", "z"}},
				col{name: "d", vals: cycle(rows, 1, 2, 3, 4)},
			)
			r, err := Compare(d, d, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.DatasetDrift || r.DriftedColumns != 0 || r.DriftShare != 0 || r.NumColumns != 4 {
				t.Errorf("identical data: %+v", r)
			}
			for _, c := range r.Columns {
				if c.PValue != nil && float64(*c.PValue) != 1 {
					t.Errorf("%s: p-value %v on identical data", c.Column, *c.PValue)
				}
				if c.PValue == nil && float64(c.Statistic) != 0 {
					t.Errorf("%s: distance %v on identical data", c.Column, c.Statistic)
				}
			}
		})
	}
}

func TestDatasetShare(t *testing.T) {
	tests := map[string]struct {
		shifted, total int
		drift          bool
	}{
		"none":          {0, 4, false},
		"one of four":   {1, 4, false},
		"half":          {2, 4, true},
		"two of five":   {2, 5, false},
		"three of five": {3, 5, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var ref, cur []col
			for j := 0; j < tc.total; j++ {
				mu := 0.0
				if j < tc.shifted {
					mu = 2
				}
				n := string(rune('a' + j))
				ref = append(ref, col{name: n, vals: normal(uint64(10+j), 2000, 0)})
				cur = append(cur, col{name: n, vals: normal(uint64(50+j), 2000, mu)})
			}
			r, err := Compare(dataset(ref...), dataset(cur...), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.DriftedColumns != tc.shifted || r.DatasetDrift != tc.drift {
				t.Errorf("drifted %d dataset %v, want %d %v", r.DriftedColumns, r.DatasetDrift, tc.shifted, tc.drift)
			}
			for i, c := range r.Columns {
				if (i < tc.shifted) != c.Drifted {
					t.Errorf("column %d (%s) drifted=%v: drifted columns must come first", i, c.Column, c.Drifted)
				}
			}
		})
	}
}

// synthFile writes n synthetic flows with a class mix.
func synthFile(t testing.TB, dir, name string, rows int, seed uint64, mix map[string]float64) string {
	t.Helper()
	var b bytes.Buffer
	if err := synth.Write(&b, synth.Options{Rows: rows, Seed: seed, Mix: mix}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := writeFile(p, b.Bytes()); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t testing.TB, path string) *flowdata.Dataset {
	t.Helper()
	d, err := flowdata.Read([]string{path}, flowdata.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSyntheticShift(t *testing.T) {
	dir := t.TempDir()
	benign := map[string]float64{synth.Benign: 1}
	attacks := map[string]float64{synth.SYNFlood: 1, synth.PortScan: 1, synth.SlowDoS: 1}
	for name, rows := range map[string]int{"small reference": 900, "large reference": 5000} {
		t.Run(name, func(t *testing.T) {
			ref := readFile(t, synthFile(t, dir, name+"-ref.csv", rows, 1, benign))
			same := readFile(t, synthFile(t, dir, name+"-same.csv", rows, 2, benign))
			shifted := readFile(t, synthFile(t, dir, name+"-shift.csv", rows, 3, attacks))
			r, err := Compare(ref, same, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("same mix: share %.3f (%d of %d)", r.DriftShare, r.DriftedColumns, r.NumColumns)
			if r.DatasetDrift {
				t.Errorf("same class mix, another seed: dataset drift (share %.3f)", r.DriftShare)
			}
			r, err = Compare(ref, shifted, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("attacks: share %.3f (%d of %d)", r.DriftShare, r.DriftedColumns, r.NumColumns)
			if !r.DatasetDrift {
				t.Errorf("benign against attacks: no dataset drift (share %.3f)", r.DriftShare)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	num := func(name string) col { return col{name: name, vals: normal(1, 50, 0)} }
	tests := map[string]struct {
		ref, cur *flowdata.Dataset
		is       error
		mention  []string
	}{
		"columns differ":  {dataset(num("a"), num("b"), num("c")), dataset(num("a"), num("d")), ErrColumns, []string{"only in the reference: b, c", "only in the current data: d"}},
		"kinds differ":    {dataset(num("a")), dataset(col{name: "a", vals: cycle(50, 0), vocab: []string{"x"}}), ErrKind, []string{`"a"`, "numeric in the reference, categorical"}},
		"empty reference": {dataset(col{name: "a", vals: cycle(5, float32(math.NaN()))}), dataset(num("a")), ErrEmpty, []string{`"a"`, "reference"}},
		"empty current":   {dataset(num("a")), dataset(col{name: "a", vals: cycle(5, float32(math.Inf(-1)))}), ErrEmpty, []string{"current"}},
		"bad code":        {dataset(col{name: "a", vals: cycle(5, 3), vocab: []string{"x"}}), dataset(col{name: "a", vals: cycle(5, 0), vocab: []string{"x"}}), ErrInput, []string{"vocabulary"}},
		"nil":             {nil, dataset(num("a")), ErrInput, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Compare(tc.ref, tc.cur, Options{})
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestProgress(t *testing.T) {
	d := dataset(col{name: "a", vals: normal(1, 10, 0)}, col{name: "b", vals: normal(2, 10, 0)})
	var calls []string
	_, err := Compare(d, d, Options{Progress: func(done, total int, name string) {
		calls = append(calls, name)
		if total != 2 || done != len(calls) {
			t.Errorf("progress %d/%d", done, total)
		}
	}})
	slices.Sort(calls) // columns are tested in parallel
	if err != nil || strings.Join(calls, ",") != "a,b" {
		t.Errorf("progress calls %v, err %v", calls, err)
	}
}

func TestParallelDeterministic(t *testing.T) {
	var cols []col
	for j := 0; j < 9; j++ {
		cols = append(cols, col{name: string(rune('a' + j)), vals: normal(uint64(j), 1500+j, float64(j%3))})
	}
	ref := dataset(cols...)
	cur := dataset(append(cols[3:], cols[:3]...)...) // same columns, another order
	var out []string
	for _, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		r, err := Compare(ref, cur, Options{})
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(r)
		out = append(out, string(b))
	}
	if out[0] != out[1] {
		t.Errorf("reports differ with GOMAXPROCS:\n%s\n%s", out[0], out[1])
	}
}
