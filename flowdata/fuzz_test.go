package flowdata

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// FuzzParseNumber checks that the fast number path and the pre-filter agree
// with model.ParseNumber.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "0.00", "-12", "491", "1.", ".5", "+3", "-0", "5.90E+07", "Infinity", "NaN", "", " 1 ",
		"123456789012345", "1234567890123456", "0.000000000000001", "1.2.3", "abc", "0x1p-2", "1_000", "?", "\u00a01", "INFINITY", "-nan", "1e400", "1e-400", "0x1p-2", " ?", "1e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := model.ParseNumber(s)
		if v, ok := fastNumber([]byte(s)); ok {
			if werr != nil || math.Float32bits(v) != math.Float32bits(want) {
				t.Fatalf("fastNumber(%q) = %v, ParseNumber = %v, %v", s, v, want, werr)
			}
		}
		if !maybeNumber([]byte(s)) && werr == nil {
			t.Fatalf("maybeNumber(%q) false but ParseNumber reads %v", s, want)
		}
		if v, ok := slowNumber([]byte(s)); ok != (werr == nil) || ok && math.Float32bits(v) != math.Float32bits(want) && !(v != v && want != want) {
			t.Fatalf("slowNumber(%q) = %v, %v; ParseNumber = %v, %v", s, v, ok, want, werr)
		}
		got, gerr := parseNumber([]byte(s))
		if (gerr == nil) != (werr == nil) || werr == nil && math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("parseNumber(%q) = %v, %v; ParseNumber = %v, %v", s, got, gerr, want, werr)
		}
	})
}

var fuzzFormats = []Format{FormatAuto, FormatCSV, FormatCICFlowMeter, FormatKDD}

// FuzzRead reads arbitrary bytes in every format: it must never panic or
// hang, and a dataset it returns must be consistent.
func FuzzRead(f *testing.F) {
	f.Add([]byte(cicReextracted), uint8(0))
	f.Add([]byte(cicOriginal), uint8(2))
	f.Add([]byte(cic2018), uint8(0))
	f.Add([]byte(kddRow("0", "tcp", "http", "normal.", false)+kddRow("1", "udp", "x", "smurf.", false)), uint8(3))
	f.Add([]byte("a,b,Label\n1,\"x\ny\",z\n2,,\"q\"\"\"\r\n"), uint8(1))
	f.Add([]byte("\ufeffa,Label\r\n,\r\n1,x"), uint8(5))
	f.Add(gz(f, []byte(kddRow("0", "tcp", "http", "normal", true))), uint8(16))
	f.Add(gz(f, []byte(cicOriginal))[:60], uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, mode uint8) {
		if len(b) > 1<<16 {
			return
		}
		p := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		opt := Options{Format: fuzzFormats[mode%4], SkipBad: mode&4 != 0}
		if mode&8 != 0 {
			opt.LabelMap = LabelMapBinary
		}
		d, err := Read([]string{p}, opt)
		// Tiny chunks, many workers: the same answer.
		old := blockSize
		blockSize = 1 + int(mode>>4)
		e, err2 := Read([]string{p}, opt)
		blockSize = old
		if fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("chunks of %d bytes: error %v, with big chunks %v", 1+int(mode>>4), err2, err)
		}
		if err != nil {
			return
		}
		checkShape(t, d)
		if !sameDataset(d, e) {
			t.Fatalf("chunks of %d bytes: another dataset", 1+int(mode>>4))
		}
		// Read against its own schema, row by row.
		rr, err := NewRowReader(bytes.NewReader(b), "f", &d.Schema, opt)
		if err != nil {
			t.Fatalf("Read works but NewRowReader fails: %v", err)
		}
		row := make([]float32, len(d.Schema.Features))
		n := 0
		for {
			if _, err := rr.Next(row); err != nil {
				break
			}
			n++
		}
		if n > d.Rows+d.Skipped {
			t.Fatalf("RowReader read %d rows, Read %d (+%d skipped)", n, d.Rows, d.Skipped)
		}
	})
}

func sameDataset(a, b *Dataset) bool {
	if !reflect.DeepEqual(a.Schema, b.Schema) || !slices.Equal(a.Y, b.Y) || !slices.Equal(a.Classes, b.Classes) ||
		a.Rows != b.Rows || a.Skipped != b.Skipped || fmt.Sprint(a.SkippedErrors) != fmt.Sprint(b.SkippedErrors) ||
		!reflect.DeepEqual(a.Dropped, b.Dropped) || !reflect.DeepEqual(a.Files, b.Files) {
		return false
	}
	for j := range a.Columns {
		if !slices.EqualFunc(a.Columns[j], b.Columns[j], func(x, y float32) bool {
			return math.Float32bits(x) == math.Float32bits(y) || x != x && y != y
		}) {
			return false
		}
	}
	return true
}

// FuzzRoundTrip reads a CSV, writes it back with WriteCSV and reads that
// against the first dataset's schema: same values, same labels.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("a,b,Label\n1,x,p\n2.5,\"y,z\",q\n,Infinity,p\n"))
	f.Add([]byte("port,mixed,Label\n80,1,a\n-0,x,b\n1e30,\"\"\"q\",a\n"))
	f.Add([]byte(cicOriginal))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		dir := t.TempDir()
		p := filepath.Join(dir, "in.csv")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := Read([]string{p}, Options{Format: FormatCSV})
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := d.WriteCSV(&out); err != nil {
			t.Fatalf("WriteCSV: %v", err)
		}
		q := filepath.Join(dir, "out.csv")
		if err := os.WriteFile(q, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		e, err := Read([]string{q}, Options{Format: FormatCSV, Schema: &d.Schema, Label: d.LabelName})
		if err != nil {
			t.Fatalf("reading back:\n%s\n%v", out.Bytes(), err)
		}
		if e.Rows != d.Rows || !slices.Equal(e.Classes, d.Classes) || !slices.Equal(e.Y, d.Y) {
			t.Fatalf("rows %d/%d classes %q/%q", e.Rows, d.Rows, e.Classes, d.Classes)
		}
		for j := range d.Columns {
			if !slices.EqualFunc(e.Columns[j], d.Columns[j], func(a, b float32) bool {
				return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
			}) {
				t.Fatalf("column %q: %v, then %v\n%s", d.Schema.Features[j].Name, d.Columns[j], e.Columns[j], out.Bytes())
			}
		}
	})
}
