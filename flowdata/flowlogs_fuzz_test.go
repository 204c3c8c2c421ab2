package flowdata

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// fuzzLog: any bytes read as a flow log (forced, and sniffed) either
// convert or fail with a *ParseError, and the rows read back through a
// RowReader against the common columns never panic.
func fuzzLog(f *testing.F, format Format, seeds ...string) {
	for _, s := range seeds {
		b, err := os.ReadFile(filepath.Join("testdata/flowlogs", s))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	schema := &model.Schema{}
	for _, n := range logCommon {
		schema.Features = append(schema.Features, model.Feature{Name: n, Kind: model.Numeric})
	}
	row := make([]float32, len(logCommon))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, ft := range []Format{format, FormatAuto} {
			if _, _, err := convert(t, "fuzz", data, ft); err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: error %v is not a *ParseError", ft, err)
				}
			}
			rr, err := NewRowReader(bytes.NewReader(data), "fuzz", schema, Options{Format: ft, AllowMissing: true})
			if err != nil {
				continue
			}
			for range 10000 {
				if _, err := rr.Next(row); err != nil {
					if err != io.EOF && !errors.As(err, new(*ParseError)) {
						t.Fatalf("%s: row error %v is not a *ParseError", ft, err)
					}
					break
				}
			}
		}
	})
}

func FuzzZeekConnLog(f *testing.F) {
	fuzzLog(f, FormatZeek, "conn.log", "conn.labeled.log", "conn.json")
}
func FuzzSuricataEVE(f *testing.F) { fuzzLog(f, FormatEVE, "eve.json") }
func FuzzVPCFlowLog(f *testing.F)  { fuzzLog(f, FormatVPCFlow, "vpc-default.log", "vpc-custom.log") }
