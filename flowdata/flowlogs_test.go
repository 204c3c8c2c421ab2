package flowdata

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/model"
)

var update = flag.Bool("update", false, "rewrite the flow-log goldens under testdata/flowlogs")

// convert runs a flow log through its converter, as Read and RowReader do.
func convert(t testing.TB, name string, data []byte, f Format) ([]byte, int, error) {
	t.Helper()
	r, o, first, err := logSource(bytes.NewReader(data), name, &Options{Format: f})
	if err != nil {
		return nil, 0, err
	}
	if o.Format != FormatCSV {
		if isLogFormat(f) {
			t.Fatalf("%s: read as %q, want csv", name, o.Format)
		}
		return nil, first, nil // auto, and not a flow log
	}
	out, err := io.ReadAll(r)
	return out, first, err
}

// TestFlowLogGolden: each sample log, sniffed (auto) and named, converts to
// the CSV in its .csv golden, with a line per input line (blank for
// comments, headers and records that are not flows), so that a row's line
// is its record's.
func TestFlowLogGolden(t *testing.T) {
	for _, c := range []struct {
		file  string
		f     Format
		first int
	}{
		{"conn.log", FormatZeek, 1}, {"conn.labeled.log", FormatZeek, 1}, {"conn.json", FormatZeek, 0},
		{"eve.json", FormatEVE, 0}, {"vpc-default.log", FormatVPCFlow, 0}, {"vpc-custom.log", FormatVPCFlow, 1},
	} {
		path := filepath.Join("testdata/flowlogs", c.file)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := sniffLog(data); got != c.f {
			t.Errorf("%s: sniffed %q, want %q", c.file, got, c.f)
		}
		for _, f := range []Format{FormatAuto, c.f} {
			got, first, err := convert(t, c.file, data, f)
			if err != nil {
				t.Fatalf("%s (%s): %v", c.file, f, err)
			}
			if first != c.first {
				t.Errorf("%s: first line %d, want %d", c.file, first, c.first)
			}
			if in, out := bytes.Count(data, []byte{'\n'}), bytes.Count(got, []byte{'\n'}); out != in+1-first {
				t.Errorf("%s: %d lines in, %d out", c.file, in, out)
			}
			golden := path + ".csv"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s (%s):\n%s\nwant\n%s", c.file, f, got, want)
			}
		}
	}
}

// TestFlowLogRead: a labelled conn.log trains (Read), the others are read
// against a schema of the common columns (RowReader), line numbers of
// errors pointing into the log.
func TestFlowLogRead(t *testing.T) {
	ds, err := Read([]string{"testdata/flowlogs/conn.labeled.log"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Rows != 5 || len(ds.Classes) != 2 {
		t.Fatalf("%d rows, classes %v", ds.Rows, ds.Classes)
	}
	var names []string
	for _, f := range ds.Schema.Features {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != strings.Join(LogColumns(FormatZeek), ",") {
		t.Errorf("features %v", names)
	}
	schema := &model.Schema{}
	for _, n := range logCommon {
		schema.Features = append(schema.Features, model.Feature{Name: n, Kind: model.Numeric})
	}
	for file, want := range map[string][][]float32{
		"conn.json":       {{3389, 6, 4.266, 10, 6, 730, 342, 0x16}, {137, 17, 1499.99, 3, 0, 234, 0, nan32}},
		"eve.json":        {{80, 6, 14, 5, 4, 432, 832, 0x1b}, {53, 17, 10, 1, 1, 71, 87, nan32}, {0, 1, 0.5, 1, 1, 98, 98, nan32}},
		"vpc-default.log": {{22, 6, 60000, 20, nan32, 4249, nan32, nan32}, {3389, 6, 60000, 20, nan32, 4249, nan32, nan32}, {0, 1, 115000, 4, nan32, 336, nan32, nan32}},
		"vpc-custom.log":  {{5001, 6, 58000, 8, nan32, 568, nan32, 2}, {43416, 6, 58000, 7, nan32, 376, nan32, 18}, {5001, 6, 58000, 70, nan32, 100701, nan32, 3}},
	} {
		f, err := os.Open(filepath.Join("testdata/flowlogs", file))
		if err != nil {
			t.Fatal(err)
		}
		rr, err := NewRowReader(f, file, schema, Options{})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		row := make([]float32, len(schema.Features))
		for i := 0; ; i++ {
			_, err := rr.Next(row)
			if err == io.EOF {
				if i != len(want) {
					t.Errorf("%s: %d rows, want %d", file, i, len(want))
				}
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if i >= len(want) {
				t.Fatalf("%s: more rows than %d", file, len(want))
			}
			for j, v := range row {
				w := want[i][j]
				if v != w && !(v != v && w != w) && abs32(v-w) > 1e-3*abs32(w) {
					t.Errorf("%s row %d %s = %v, want %v", file, i, logCommon[j], v, w)
				}
			}
		}
		f.Close()
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// TestFlowLogErrors: bad records are errors naming the file, the log's
// line and the field, wrapping a sentinel.
func TestFlowLogErrors(t *testing.T) {
	conn, _ := os.ReadFile("testdata/flowlogs/conn.log")
	lines := strings.Split(string(conn), "\n")
	withLine := func(i int, s string) []byte {
		l := append([]string(nil), lines...)
		l[i] = s
		return []byte(strings.Join(l, "\n"))
	}
	cases := []struct {
		name string
		f    Format
		data []byte
		want error
		text string
	}{
		{"zeek short record", FormatZeek, withLine(9, "1521911721.4\tC\t10.1.1.1\t1"), ErrFieldCount, "x:10:4: wrong number of fields"},
		{"zeek bad count", FormatZeek, withLine(9, strings.Replace(lines[9], "\t79\t", "\tseventy\t", 1)), ErrFlowLog, `x:10:10: column "orig_bytes"`},
		{"zeek bad proto", FormatZeek, withLine(9, strings.Replace(lines[9], "\ttcp\t", "\tquic\t", 1)), ErrFlowLog, `x:10:7: column "proto"`},
		{"zeek record before fields", FormatZeek, []byte("1\t2\t3\n"), ErrFlowLog, "x:1: "},
		{"zeek not conn", FormatZeek, []byte("#separator \\x09\n#fields\tts\tquery\n"), ErrFlowLog, "not a conn.log"},
		{"zeek json syntax", FormatZeek, []byte("{\"id.orig_h\":\"a\",\"proto\":\"tcp\"}\n{\"id.orig_h\": tcp}\n"), ErrFlowLog, "x:2:16: "},
		{"eve bad times", FormatEVE, []byte(`{"event_type":"flow","proto":"TCP","flow":{"start":"yesterday","end":"today"}}`), ErrFlowLog, `x:1: column "flow.start"`},
		{"eve no flow object", FormatEVE, []byte(`{"event_type":"flow","proto":"TCP"}`), ErrFlowLog, "without its flow object"},
		{"eve bad flags", FormatEVE, []byte(`{"event_type":"flow","proto":"TCP","flow":{},"tcp":{"tcp_flags":"zz"}}`), ErrFlowLog, "not a hex byte"},
		{"vpc fields", FormatVPCFlow, []byte("2 1 eni 1.1.1.1 2.2.2.2 1 2 6 3 4 5 6 ACCEPT\n"), ErrFieldCount, "x:1:13: "},
		{"vpc protocol", FormatVPCFlow, []byte("2 1 eni 1.1.1.1 2.2.2.2 1 2 tcp 3 4 5 6 ACCEPT OK\n"), ErrFlowLog, `x:1:8: column "protocol"`},
		{"vpc end before start", FormatVPCFlow, []byte("2 1 eni 1.1.1.1 2.2.2.2 1 2 6 3 4 9 6 ACCEPT OK\n"), ErrFlowLog, "end not before start"},
		{"vpc header without bytes", FormatVPCFlow, []byte("version srcaddr dstaddr dstport protocol packets\n2 a b 1 6 1\n"), ErrFlowLog, "no bytes field"},
	}
	for _, c := range cases {
		_, _, err := convert(t, "x", c.data, c.f)
		var pe *ParseError
		if !errors.Is(err, c.want) || !errors.As(err, &pe) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: %v; want %v containing %q", c.name, err, c.want, c.text)
		}
	}
	// through Read, the position is the log's
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.log")
	os.WriteFile(p, withLine(9, strings.Replace(lines[9], "\t79\t", "\tseventy\t", 1)), 0o644)
	_, err := Read([]string{p}, Options{Label: "conn_state"})
	if err == nil || !strings.Contains(err.Error(), "bad.log:10:10:") || strings.Count(err.Error(), "bad.log") != 1 {
		t.Errorf("Read: %v", err)
	}
}
