package flowdata

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/model"
)

func TestRowReaderMatchesRead(t *testing.T) {
	train := mustRead(t, []string{writeFile(t, "train.csv", cicReextracted, true)}, Options{})
	for name, content := range map[string]string{"original": cicOriginal, "2018": cic2018, "re-extracted": cicReextracted} {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "test.csv", content, true)
			want := mustRead(t, []string{p}, Options{Schema: &train.Schema})
			rr, err := NewRowReader(bytes.NewReader(gz(t, []byte(content))), "upload.csv", &train.Schema, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rr.Format() != FormatCICFlowMeter || !rr.HasLabels() {
				t.Errorf("format %s labels %v", rr.Format(), rr.HasLabels())
			}
			row := make([]float32, len(train.Schema.Features))
			for i := 0; ; i++ {
				label, err := rr.Next(row)
				if err == io.EOF {
					if i != want.Rows {
						t.Errorf("%d rows, Read gives %d", i, want.Rows)
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if !slices.EqualFunc(row, want.Row(i, nil), sameFloat) || label != want.Classes[want.Y[i]] {
					t.Errorf("row %d = %v %q, Read gives %v %q", i, row, label, want.Row(i, nil), want.Classes[want.Y[i]])
				}
			}
			if _, err := rr.Next(row); err != io.EOF {
				t.Errorf("after the end: %v", err)
			}
		})
	}
}

func TestRowReaderErrors(t *testing.T) {
	schema := &model.Schema{Features: []model.Feature{
		{Name: "a", Kind: model.Numeric},
		{Name: "p", Kind: model.Categorical, Categories: []string{"tcp", "udp"}},
	}}
	tests := map[string]struct {
		input  string
		schema *model.Schema
		opt    Options
		dst    int
		err    error // from NewRowReader or the first Next
		rows   int   // rows read without error otherwise
		skip   int
	}{
		"no schema":       {input: "a,p\n1,tcp\n", err: ErrOption, dst: 2},
		"missing feature": {input: "a\n1\n", schema: schema, err: ErrMissingFeature, dst: 2},
		"short buffer":    {input: "a,p\n1,tcp\n", schema: schema, err: ErrOption, dst: 1},
		"not a number":    {input: "a,p\nx,tcp\n", schema: schema, err: model.ErrNotNumber, dst: 2},
		"empty":           {input: "", schema: schema, err: ErrEmpty, dst: 2},
		"skip bad": {input: "p,a,Label\ntcp,1,x\nudp,2\nicmp,3,y\n", schema: schema, opt: Options{SkipBad: true},
			dst: 2, rows: 2, skip: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rr, err := NewRowReader(strings.NewReader(tc.input), "up.csv", tc.schema, tc.opt)
			rows := 0
			if err == nil {
				dst := make([]float32, tc.dst)
				for {
					_, err = rr.Next(dst)
					if err != nil {
						break
					}
					rows++
				}
			}
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
				return
			}
			if err != io.EOF {
				t.Fatalf("got %v, want io.EOF", err)
			}
			if n, errs := rr.Skipped(); rows != tc.rows || n != tc.skip || len(errs) != tc.skip {
				t.Errorf("rows %d skipped %d (%v)", rows, n, errs)
			}
		})
	}
}
