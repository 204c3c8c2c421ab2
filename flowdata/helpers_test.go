package flowdata

import (
	"bytes"
	"compress/gzip"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// writeFile writes content to a file named name in a fresh temporary
// directory, gzip-compressed when zip is set, and returns its path.
func writeFile(t testing.TB, name, content string, zip bool) string {
	t.Helper()
	b := []byte(content)
	if zip {
		b = gz(t, b)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustRead(t testing.TB, paths []string, opt Options) *Dataset {
	t.Helper()
	d, err := Read(paths, opt)
	if err != nil {
		t.Fatalf("Read(%v): %v", paths, err)
	}
	checkShape(t, d)
	return d
}

// checkShape fails when the dataset's parts disagree with each other.
func checkShape(t testing.TB, d *Dataset) {
	t.Helper()
	if len(d.Columns) != len(d.Schema.Features) {
		t.Fatalf("%d columns for %d features", len(d.Columns), len(d.Schema.Features))
	}
	for j, c := range d.Columns {
		if len(c) != d.Rows {
			t.Fatalf("column %d has %d values for %d rows", j, len(c), d.Rows)
		}
		f := d.Schema.Features[j]
		if f.Kind != 1 {
			continue
		}
		for i, v := range c {
			if !math.IsNaN(float64(v)) && (v < 0 || int(v) >= len(f.Categories) || v != float32(int(v))) {
				t.Fatalf("column %q row %d: code %v outside %d categories", f.Name, i, v, len(f.Categories))
			}
		}
	}
	if !d.HasLabels {
		if len(d.Y) != 0 {
			t.Fatalf("no labels but %d Y", len(d.Y))
		}
		return
	}
	if len(d.Y) != d.Rows {
		t.Fatalf("%d labels for %d rows", len(d.Y), d.Rows)
	}
	for i, y := range d.Y {
		if y < 0 || int(y) >= len(d.Classes) {
			t.Fatalf("row %d: class %d outside %d classes", i, y, len(d.Classes))
		}
	}
	for i := 1; i < len(d.Classes); i++ {
		if d.Classes[i-1] >= d.Classes[i] {
			t.Fatalf("classes not sorted and distinct: %q", d.Classes)
		}
	}
}

// col returns the column of the named feature.
func col(t testing.TB, d *Dataset, name string) []float32 {
	t.Helper()
	for j, f := range d.Schema.Features {
		if f.Name == name {
			return d.Columns[j]
		}
	}
	t.Fatalf("no feature %q among %v", name, featureNames(d))
	return nil
}

func featureNames(d *Dataset) []string {
	var s []string
	for _, f := range d.Schema.Features {
		s = append(s, f.Name)
	}
	return s
}

// labels returns the label of every row.
func labels(d *Dataset) []string {
	var s []string
	for _, y := range d.Y {
		s = append(s, d.Classes[y])
	}
	return s
}

// category returns the category text of a categorical value.
func category(t testing.TB, d *Dataset, name string, i int) string {
	t.Helper()
	for j, f := range d.Schema.Features {
		if f.Name == name {
			v := d.Columns[j][i]
			if math.IsNaN(float64(v)) {
				return "<NaN>"
			}
			return f.Categories[int(v)]
		}
	}
	t.Fatalf("no feature %q", name)
	return ""
}

func sameFloat(a, b float32) bool {
	return a == b || math.IsNaN(float64(a)) && math.IsNaN(float64(b))
}

// kddRow returns an NSL-KDD-shaped record (43 fields) with the given
// protocol, service, label and difficulty; dur is the duration.
func kddRow(dur, proto, service, label string, difficulty bool) string {
	s := dur + "," + proto + "," + service + ",SF,491,0"
	for j := 6; j < 41; j++ {
		s += ",0.5"
	}
	s += "," + label
	if difficulty {
		s += ",20"
	}
	return s + "\n"
}
