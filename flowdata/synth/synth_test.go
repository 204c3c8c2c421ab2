package synth

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestWriteDeterministic(t *testing.T) {
	base := Options{Rows: 2000, Seed: 7}
	a := generate(t, base)
	if b := generate(t, base); !bytes.Equal(a, b) {
		t.Fatal("same options gave different bytes")
	}
	cases := map[string]Options{
		"other seed":  {Rows: 2000, Seed: 8},
		"other mix":   {Rows: 2000, Seed: 7, Mix: map[string]float64{Benign: 1, PortScan: 1}},
		"novel rows":  {Rows: 2000, Seed: 7, Novel: 0.05},
		"scaled mix":  {Rows: 2000, Seed: 7, Mix: map[string]float64{Benign: 7, SYNFlood: 0.7, PortScan: 0.7, BruteForce: 0.6, SlowDoS: 0.5, Exfiltration: 0.5}},
		"default mix": {Rows: 2000, Seed: 7, Mix: DefaultMix()},
	}
	for name, opt := range cases {
		t.Run(name, func(t *testing.T) {
			b := generate(t, opt)
			same := bytes.Equal(a, b)
			// Weights are relative: a scaled copy of the default mix is
			// the default mix.
			wantSame := name == "scaled mix" || name == "default mix"
			if same != wantSame {
				t.Errorf("output identical to the base: %v, want %v", same, wantSame)
			}
		})
	}
}

func TestWriteShape(t *testing.T) {
	cases := map[string]struct {
		opt  Options
		want map[string]float64 // expected shares
	}{
		"default": {
			opt:  Options{Rows: 10_000, Seed: 1},
			want: DefaultMix(),
		},
		"custom mix": {
			opt:  Options{Rows: 3001, Seed: 2, Mix: map[string]float64{Benign: 2, SlowDoS: 1, Exfiltration: 1}},
			want: map[string]float64{Benign: 0.5, SlowDoS: 0.25, Exfiltration: 0.25},
		},
		"novel": {
			opt:  Options{Rows: 5000, Seed: 3, Mix: map[string]float64{Benign: 1}, Novel: 0.1},
			want: map[string]float64{Benign: 0.9, NovelClass: 0.1},
		},
		"one row": {
			opt:  Options{Rows: 1, Seed: 4, Mix: map[string]float64{PortScan: 1}},
			want: map[string]float64{PortScan: 1},
		},
		"no rows": {
			opt:  Options{Rows: 0, Seed: 5},
			want: map[string]float64{},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			tb := parse(t, generate(t, c.opt))
			if !slices.Equal(tb.header, Header()) {
				t.Fatalf("header = %q, want %q", tb.header, Header())
			}
			if tb.header[len(tb.header)-1] != LabelColumn {
				t.Errorf("last column %q, want %q", tb.header[len(tb.header)-1], LabelColumn)
			}
			if len(tb.rows) != c.opt.Rows {
				t.Fatalf("%d rows, want %d", len(tb.rows), c.opt.Rows)
			}
			got := map[string]int{}
			for _, rec := range tb.rows {
				got[rec[len(rec)-1]]++
			}
			for class, n := range got {
				if _, ok := c.want[class]; !ok {
					t.Errorf("%d rows of unexpected class %q", n, class)
				}
			}
			for class, share := range c.want {
				want := share * float64(c.opt.Rows)
				if math.Abs(float64(got[class])-want) >= 1 {
					t.Errorf("%s: %d rows, want %.1f", class, got[class], want)
				}
			}
		})
	}
}

// TestWriteOrder checks that the classes are interleaved, not written in
// blocks.
func TestWriteOrder(t *testing.T) {
	tb := parse(t, generate(t, Options{Rows: 10_000, Seed: 1}))
	seen := map[string]bool{}
	for _, rec := range tb.rows[:200] {
		seen[rec[len(rec)-1]] = true
	}
	if len(seen) != len(Classes()) {
		t.Errorf("first 200 of 10000 rows hold classes %v, want all %d", seen, len(Classes()))
	}
}

func TestWriteConsistent(t *testing.T) {
	tb := parse(t, generate(t, Options{Rows: 15_000, Seed: 11, Novel: 0.02}))
	var blanks, nans, infs, failures int
	for i, rec := range tb.rows {
		for _, s := range rec {
			switch s {
			case "":
				blanks++
			case "NaN":
				nans++
			case "Infinity":
				infs++
			}
		}
		for _, msg := range checkRow(row{tb, rec}) {
			if failures++; failures <= 20 {
				t.Errorf("row %d (%s): %s", i+1, rec[len(rec)-1], msg)
			}
		}
	}
	// Readers must meet empty, NaN and Infinity cells, but rarely.
	for name, n := range map[string]int{"empty": blanks, "NaN": nans, "Infinity": infs} {
		if share := float64(n) / float64(len(tb.rows)); n == 0 || share > 0.2 {
			t.Errorf("%d %s cells in %d rows, want some but few", n, name, len(tb.rows))
		}
	}
}

// TestClassesDiffer checks that the attack shapes are what they claim to be,
// on medians per class, so that the data has something to learn.
func TestClassesDiffer(t *testing.T) {
	tb := parse(t, generate(t, Options{Rows: 20_000, Seed: 3, Novel: 0.02}))
	median := func(class, col string) float64 {
		var vs []float64
		for _, rec := range tb.rows {
			if rec[len(rec)-1] != class {
				continue
			}
			if v, ok := (row{tb, rec}).num(col); ok && !math.IsNaN(v) {
				vs = append(vs, v)
			}
		}
		slices.Sort(vs)
		if len(vs) == 0 {
			t.Fatalf("no %s values for %s", col, class)
		}
		return vs[len(vs)/2]
	}
	more := func(a, b string, col string, factor float64) {
		t.Helper()
		if ma, mb := median(a, col), median(b, col); !(ma > factor*mb) {
			t.Errorf("median %s: %s %v, %s %v; want the first > %v x the second", col, a, ma, b, mb, factor)
		}
	}
	more(SlowDoS, Benign, "Flow Duration", 10)
	more(SlowDoS, Benign, "Flow IAT Mean", 10)
	more(Benign, SlowDoS, "Flow Bytes/s", 10)
	more(Exfiltration, Benign, "Total Length of Fwd Packet", 10)
	more(Exfiltration, Benign, "Dst Port", 2)
	more(Benign, SYNFlood, "Total Bwd packets", 1)
	more(Benign, PortScan, "Flow Duration", 10)
	more(BruteForce, Benign, "Total Fwd Packet", 1)
	more(NovelClass, Benign, "Total Fwd Packet", 100)
	more(NovelClass, Exfiltration, "Bwd Packet Length Mean", 100)
}

// TestNovelFar checks that novel rows lie far from benign traffic: by the
// squared Mahalanobis distance from the benign rows in log space, nearly all
// of them score beyond the benign rows' 99.5th percentile.
func TestNovelFar(t *testing.T) {
	tb := parse(t, generate(t, Options{Rows: 20_000, Seed: 5, Novel: 0.02}))
	cols := []string{"Flow Duration", "Total Fwd Packet", "Total Bwd packets", "Total Length of Fwd Packet",
		"Total Length of Bwd Packet", "Fwd Packet Length Mean", "Bwd Packet Length Mean", "Flow IAT Mean",
		"Flow IAT Std", "Packet Length Std", "Down/Up Ratio", "Average Packet Size"}
	vec := func(rec []string) ([]float64, bool) {
		v := make([]float64, len(cols))
		for i, c := range cols {
			x, ok := (row{tb, rec}).num(c)
			if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, false
			}
			v[i] = math.Log1p(x)
		}
		return v, true
	}
	var benign, novel [][]float64
	for _, rec := range tb.rows {
		v, ok := vec(rec)
		switch label := rec[len(rec)-1]; {
		case !ok:
		case label == Benign:
			benign = append(benign, v)
		case label == NovelClass:
			novel = append(novel, v)
		}
	}
	d := len(cols)
	mean := make([]float64, d)
	for _, v := range benign {
		for i, x := range v {
			mean[i] += x / float64(len(benign))
		}
	}
	cov := make([]float64, d*d)
	for _, v := range benign {
		for i := range d {
			for j := range d {
				cov[i*d+j] += (v[i] - mean[i]) * (v[j] - mean[j]) / float64(len(benign)-1)
			}
		}
	}
	for i := range d {
		cov[i*d+i] += 1e-6
	}
	l := cholesky(t, cov, d)
	score := func(v []float64) float64 {
		// Solve L y = v - mean; the squared distance is |y|^2.
		y := make([]float64, d)
		var s float64
		for i := range d {
			r := v[i] - mean[i]
			for k := range i {
				r -= l[i*d+k] * y[k]
			}
			y[i] = r / l[i*d+i]
			s += y[i] * y[i]
		}
		return s
	}
	var bs []float64
	for _, v := range benign {
		bs = append(bs, score(v))
	}
	slices.Sort(bs)
	limit := bs[len(bs)*995/1000]
	far := 0
	for _, v := range novel {
		if score(v) > limit {
			far++
		}
	}
	if len(novel) == 0 || float64(far) < 0.95*float64(len(novel)) {
		t.Errorf("%d of %d novel rows beyond the benign 99.5th percentile %.1f, want >= 95%%", far, len(novel), limit)
	}
}

// cholesky returns the lower-triangular L with L Lt = a (d x d, row-major).
func cholesky(t *testing.T, a []float64, d int) []float64 {
	t.Helper()
	l := make([]float64, d*d)
	for i := range d {
		for j := range i + 1 {
			s := a[i*d+j]
			for k := range j {
				s -= l[i*d+k] * l[j*d+k]
			}
			if i == j {
				if s <= 0 {
					t.Fatalf("covariance not positive definite at %d", i)
				}
				l[i*d+i] = math.Sqrt(s)
			} else {
				l[i*d+j] = s / l[j*d+j]
			}
		}
	}
	return l
}

func TestWriteOptionErrors(t *testing.T) {
	cases := map[string]struct {
		opt   Options
		field string
		err   error
	}{
		"negative rows":  {Options{Rows: -1}, "Rows", ErrOption},
		"too many rows":  {Options{Rows: MaxRows + 1}, "Rows", ErrOption},
		"novel one":      {Options{Rows: 1, Novel: 1}, "Novel", ErrOption},
		"novel negative": {Options{Rows: 1, Novel: -0.1}, "Novel", ErrOption},
		"novel NaN":      {Options{Rows: 1, Novel: math.NaN()}, "Novel", ErrOption},
		"unknown class":  {Options{Rows: 1, Mix: map[string]float64{"DDoS": 1}}, "Mix", ErrUnknownClass},
		"novel in mix":   {Options{Rows: 1, Mix: map[string]float64{NovelClass: 1}}, "Mix", ErrUnknownClass},
		"negative":       {Options{Rows: 1, Mix: map[string]float64{Benign: 1, PortScan: -1}}, `Mix["PortScan"]`, ErrOption},
		"NaN weight":     {Options{Rows: 1, Mix: map[string]float64{Benign: math.NaN()}}, `Mix["BENIGN"]`, ErrOption},
		"inf weight":     {Options{Rows: 1, Mix: map[string]float64{Benign: math.Inf(1)}}, `Mix["BENIGN"]`, ErrOption},
		"all zero":       {Options{Rows: 1, Mix: map[string]float64{Benign: 0}}, "Mix", ErrOption},
		"empty mix":      {Options{Rows: 1, Mix: map[string]float64{}}, "Mix", ErrOption},
		"overflowing":    {Options{Rows: 1, Mix: map[string]float64{Benign: math.MaxFloat64, PortScan: math.MaxFloat64}}, "Mix", ErrOption},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, c.opt)
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Field != c.field {
				t.Errorf("err = %#v, want an *OptionError for field %s", err, c.field)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// failWriter fails after accepting n bytes.
type failWriter struct{ n int }

var errDisk = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errDisk
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteWriterError(t *testing.T) {
	cases := map[string]int{"at once": 0, "mid header": 100, "later": 200_000}
	for name, n := range cases {
		t.Run(name, func(t *testing.T) {
			err := Write(&failWriter{n: n}, Options{Rows: 5000, Seed: 1})
			if !errors.Is(err, errDisk) {
				t.Fatalf("err = %v, want %v", err, errDisk)
			}
		})
	}
}

func TestSpread(t *testing.T) {
	cases := map[string]struct{ n, lo, hi, total int64 }{
		"empty":           {0, 5, 9, 100},
		"one":             {1, 0, 0, 42},
		"two":             {2, 3, 50, 60},
		"two lo too big":  {2, 40, 50, 60},
		"even":            {5, 10, 10, 50},
		"typical":         {10, 0, 1460, 8000},
		"hi too small":    {10, 0, 10, 1000},
		"lo too big":      {10, 900, 1000, 1000},
		"hi beyond total": {4, 0, 5000, 100},
		"negative total":  {3, 0, 5, -7},
		"zero total":      {6, 0, 0, 0},
		"big":             {300_000, 0, 1460, 300_000 * 1200},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { checkSpread(t, c.n, c.lo, c.hi, c.total) })
	}
	// And a sweep of small cases.
	for n := int64(0); n < 8; n++ {
		for total := int64(0); total < 40; total += 3 {
			for lo := int64(0); lo < 12; lo += 2 {
				for hi := int64(0); hi < 45; hi += 4 {
					checkSpread(t, n, lo, hi, total)
				}
			}
		}
	}
}

func checkSpread(t *testing.T, n, lo, hi, total int64) {
	t.Helper()
	m := spread(n, lo, hi, total)
	if n <= 0 {
		if m.n != 0 || m.total != 0 {
			t.Errorf("spread(%d, %d, %d, %d) = %+v, want empty", n, lo, hi, total, m)
		}
		return
	}
	var count, sum int64
	mn, mx := int64(math.MaxInt64), int64(math.MinInt64)
	for _, g := range m.groups() {
		if g[1] == 0 {
			continue
		}
		count += g[1]
		sum += g[0] * g[1]
		mn, mx = min(mn, g[0]), max(mx, g[0])
	}
	if count != n || sum != max(total, 0) || mn != m.lo || mx != m.hi || m.total != sum {
		t.Errorf("spread(%d, %d, %d, %d) = %+v: count %d, sum %d, min %d, max %d", n, lo, hi, total, m, count, sum, mn, mx)
	}
	if mn < 0 {
		t.Errorf("spread(%d, %d, %d, %d) has a negative member", n, lo, hi, total)
	}
}

func TestAccessorsReturnCopies(t *testing.T) {
	c := Classes()
	c[0] = "changed"
	if Classes()[0] != Benign {
		t.Error("Classes returned shared storage")
	}
	h := Header()
	h[0] = "changed"
	if Header()[0] != "Flow ID" {
		t.Error("Header returned shared storage")
	}
	m := DefaultMix()
	m[Benign] = 0
	if DefaultMix()[Benign] != 0.70 {
		t.Error("DefaultMix returned shared storage")
	}
	var sum float64
	for _, class := range Classes() {
		sum += DefaultMix()[class]
	}
	if math.Abs(sum-1) > 1e-12 || len(DefaultMix()) != len(Classes()) {
		t.Errorf("DefaultMix %v does not cover Classes %v with shares summing to 1", DefaultMix(), Classes())
	}
	for _, id := range IdentifierColumns() {
		if !slices.Contains(Header(), id) {
			t.Errorf("identifier column %q not in the header", id)
		}
	}
}

// TestGolden pins the first rows of seed 1, so that any change to the
// output is seen and deliberate. Regenerate with go test -run Golden -update.
func TestGolden(t *testing.T) {
	for _, c := range []struct {
		file string
		opt  Options
	}{
		{"seed1_rows20.csv", Options{Rows: 20, Seed: 1}},
		{"seed1_rows20_novel.csv", Options{Rows: 20, Seed: 1, Novel: 0.25}},
	} {
		t.Run(c.file, func(t *testing.T) {
			got := generate(t, c.opt)
			path := filepath.Join("testdata", c.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run Golden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run with -update if the change is intended):\n%s", path, firstDiff(got, want))
			}
		})
	}
}

func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range max(len(g), len(w)) {
		var a, b []byte
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if !bytes.Equal(a, b) {
			return "line " + strconv.Itoa(i+1) + ":\n got  " + string(a) + "\n want " + string(b)
		}
	}
	return ""
}
