package flowdata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sampleFile writes a multi-chunk csv of n rows: a number, a category and a
// label, so that the sample and the chunks cross chunk boundaries and
// categories are recoded.
func sampleFile(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("n,cat,Label\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d.5,c%d,l%d\n", i, (i*17)%23, i%3)
	}
	return writeFile(t, "s.csv", b.String(), false)
}

func TestSampleAllRowsIsRead(t *testing.T) {
	p := sampleFile(t, 120000)
	full := mustRead(t, []string{p}, Options{})
	for _, size := range []int{120000, 500000} {
		s := mustRead(t, []string{p}, Options{Sample: size, SampleSeed: 3})
		if s.Rows != full.Rows || !slices.Equal(s.Y, full.Y) || len(s.SampleRows) != full.Rows {
			t.Fatalf("sample %d: rows %d, %d sampled, labels equal %v", size, s.Rows, len(s.SampleRows), slices.Equal(s.Y, full.Y))
		}
		for j := range full.Columns {
			if !slices.EqualFunc(s.Columns[j], full.Columns[j], sameFloat) {
				t.Fatalf("sample %d: column %d differs", size, j)
			}
		}
		if !slices.Equal(s.Schema.Features[1].Categories, full.Schema.Features[1].Categories) {
			t.Fatalf("sample %d: categories differ", size)
		}
	}
}

func TestSampleIsUniformSubset(t *testing.T) {
	const n, size = 120000, 10000
	p := sampleFile(t, n)
	full := mustRead(t, []string{p}, Options{})
	read := func(seed uint64) *Dataset {
		d, err := Read([]string{p}, Options{Sample: size, SampleSeed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b, c := read(7), read(7), read(8)
	if len(a.SampleRows) != size || !slices.IsSorted(a.SampleRows) || a.Rows != n || len(a.Y) != n {
		t.Fatalf("%d sampled rows (sorted %v) of %d, %d labels", len(a.SampleRows), slices.IsSorted(a.SampleRows), a.Rows, len(a.Y))
	}
	if !slices.Equal(a.SampleRows, b.SampleRows) || slices.Equal(a.SampleRows, c.SampleRows) {
		t.Fatal("the sample is not a function of the seed")
	}
	for k, r := range a.SampleRows {
		for j := range full.Columns {
			if !sameFloat(a.Columns[j][k], full.Columns[j][r]) {
				t.Fatalf("sampled row %d (row %d) column %d: %v, want %v", k, r, j, a.Columns[j][k], full.Columns[j][r])
			}
		}
	}
	// uniform: each tenth of the file holds about a tenth of the sample
	var tenth [10]int
	for _, r := range a.SampleRows {
		tenth[r*10/n]++
	}
	for i, c := range tenth {
		if c < size/10-150 || c > size/10+150 { // about 5 standard deviations
			t.Errorf("tenth %d of the file holds %d of %d sampled rows", i, c, size)
		}
	}
}

func TestSampleRefusesMixedColumn(t *testing.T) {
	p := writeFile(t, "m.csv", "a,Label\n1,x\ntext,y\n", false) // 1 needs its text: read whole
	if _, err := Read([]string{p}, Options{Sample: 10}); !errors.Is(err, ErrUnsampled) {
		t.Fatalf("err %v, want ErrUnsampled", err)
	}
}

func TestChunksAreTheRows(t *testing.T) {
	p := sampleFile(t, 120000)
	full := mustRead(t, []string{p}, Options{})
	got := make([][]float32, len(full.Columns))
	next, calls := 0, 0
	d, err := Read([]string{p}, Options{Schema: &full.Schema, Chunks: func(first int, cols [][]float32) error {
		if first != next {
			return fmt.Errorf("chunk at row %d, want %d", first, next)
		}
		for j, c := range cols {
			got[j] = append(got[j], c...)
		}
		next += len(cols[0])
		calls++
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Columns != nil || d.Rows != full.Rows || calls < 2 {
		t.Fatalf("columns kept %v, rows %d of %d, %d chunks", d.Columns != nil, d.Rows, full.Rows, calls)
	}
	for j := range full.Columns {
		if !slices.EqualFunc(got[j], full.Columns[j], sameFloat) {
			t.Fatalf("column %d differs", j)
		}
	}
	stop := errors.New("stop")
	if _, err := Read([]string{p}, Options{Schema: &full.Schema, Chunks: func(int, [][]float32) error { return stop }}); !errors.Is(err, stop) {
		t.Fatalf("err %v, want the callback's", err)
	}
	if _, err := Read([]string{p}, Options{Chunks: func(int, [][]float32) error { return nil }}); !errors.Is(err, ErrOption) {
		t.Fatalf("Chunks without Schema: err %v", err)
	}
}

// FuzzReadSample reads arbitrary bytes whole, sampled and in chunks: the
// sampled read fails where the whole one does (or with ErrUnsampled), and
// otherwise holds the whole read's rows, labels and schema; the chunks
// against the whole read's schema are its rows.
func FuzzReadSample(f *testing.F) {
	f.Add([]byte("a,cat,Label\n1,x,p\n2,y,q\n,z,p\n3.5,x,q\n"), uint8(2))
	f.Add([]byte("a,Label\n1,x\ntext,y\n"), uint8(1))
	f.Add([]byte(kddRow("0", "tcp", "http", "normal.", false)+kddRow("1", "udp", "x", "smurf.", false)), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, size uint8) {
		if len(b) > 1<<14 {
			return
		}
		p := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		full, ferr := Read([]string{p}, Options{SkipBad: true})
		s, serr := Read([]string{p}, Options{SkipBad: true, Sample: int(size%8) + 1, SampleSeed: 5})
		if ferr != nil {
			if serr == nil {
				t.Fatalf("the whole read fails (%v), the sampled one does not", ferr)
			}
			return
		}
		if errors.Is(serr, ErrUnsampled) {
			return
		}
		if serr != nil {
			t.Fatalf("the whole read succeeds, the sampled one fails: %v", serr)
		}
		if s.Rows != full.Rows || !slices.Equal(s.Y, full.Y) || len(s.SampleRows) != min(full.Rows, int(size%8)+1) {
			t.Fatalf("rows %d/%d, %d sampled", s.Rows, full.Rows, len(s.SampleRows))
		}
		for j := range full.Columns {
			if !slices.Equal(s.Schema.Features[j].Categories, full.Schema.Features[j].Categories) {
				t.Fatalf("feature %d: categories differ", j)
			}
			for k, r := range s.SampleRows {
				if !sameFloat(s.Columns[j][k], full.Columns[j][r]) {
					t.Fatalf("feature %d, sampled row %d (row %d): %v, want %v", j, k, r, s.Columns[j][k], full.Columns[j][r])
				}
			}
		}
		got := make([][]float32, len(full.Columns))
		_, err := Read([]string{p}, Options{SkipBad: true, Schema: &full.Schema, Chunks: func(first int, cols [][]float32) error {
			for j, c := range cols {
				got[j] = append(got[j], c...)
			}
			return nil
		}})
		if err != nil {
			t.Fatalf("chunks against the data's own schema: %v", err)
		}
		for j := range full.Columns {
			if !slices.EqualFunc(got[j], full.Columns[j], sameFloat) {
				t.Fatalf("chunks: feature %d differs", j)
			}
		}
	})
}
