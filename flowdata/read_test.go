package flowdata

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/model"
)

const (
	cicReextracted = "id,Flow ID,Src IP,Src Port,Dst IP,Dst Port,Protocol,Timestamp,Flow Duration,Flow Bytes/s,Flow IAT Mean,Label,Attempted Category\n" +
		"1,a-b-1-2-6,10.0.0.1,5555,10.0.0.2,80,6,2017-07-05 14:10:30,100,1.5,7,BENIGN,-1\n" +
		"2,a-b-1-2-6,10.0.0.3,5556,10.0.0.2,443,6,2017-07-05 14:10:31,200,,8,DDoS,-1\n"
	cicOriginal = "Flow ID, Source IP, Source Port, Destination IP, Destination Port, Protocol, Timestamp, Flow Duration,Flow Bytes/s, Flow IAT Mean, Fwd Header Length, Fwd Header Length, Label\n" +
		"a-b-1-2-6,10.0.0.1,5555,10.0.0.2,80,6,5/7/2017 3:30,100,Infinity,7,20,20,BENIGN\n" +
		"a-b-1-2-6,10.0.0.3,5556,10.0.0.2,443,6,5/7/2017 3:30,200,NaN,8,40,40,DDoS\n"
	cic2018 = "\ufeffDst Port,Protocol,Timestamp,Flow Duration,Flow Byts/s,Flow IAT Mean,Fwd Header Len,Label\r\n" +
		"80,6,2/3/2018 8:47,100,5.90E+07,7,20,Benign\r\n" +
		",,,,,,,\r\n" +
		"\r\n" +
		"443,6,2/3/2018 8:47,200,-1,8,40,Benign\r\n" +
		",,,,,,,\r\n"
)

func TestReadFormats(t *testing.T) {
	tests := map[string]struct {
		content  string
		zip      bool
		opt      Options
		format   Format
		features []string
		labels   []string
		dropped  []string
	}{
		"kdd nsl 43 fields": {
			content:  kddRow("0", "tcp", "http", "normal", true) + kddRow("2", "udp", "private", "neptune", true),
			zip:      true,
			format:   FormatKDD,
			features: kddNames[:],
			labels:   []string{"normal", "neptune"},
			dropped:  []string{"difficulty"},
		},
		"kdd cup 99 trailing dot": {
			content:  kddRow("0", "tcp", "http", "normal.", false) + kddRow("2", "icmp", "ecr_i", "smurf.", false),
			format:   FormatKDD,
			features: kddNames[:],
			labels:   []string{"normal", "smurf"},
		},
		"cicflowmeter re-extracted": {
			content:  cicReextracted,
			zip:      true,
			format:   FormatCICFlowMeter,
			features: []string{"Dst Port", "Protocol", "Flow Duration", "Flow Bytes/s", "Flow IAT Mean"},
			labels:   []string{"BENIGN", "DDoS"},
			dropped:  []string{"id", "Flow ID", "Src IP", "Src Port", "Dst IP", "Timestamp", "Attempted Category"},
		},
		"cicflowmeter original 2017": {
			content:  cicOriginal,
			format:   FormatCICFlowMeter,
			features: []string{"Dst Port", "Protocol", "Flow Duration", "Flow Bytes/s", "Flow IAT Mean", "Fwd Header Length"},
			labels:   []string{"BENIGN", "DDoS"},
			dropped:  []string{"Flow ID", "Source IP", "Source Port", "Destination IP", "Timestamp", "Fwd Header Length"},
		},
		"cicflowmeter 2018 with BOM, CRLF and blank lines": {
			content:  cic2018,
			format:   FormatCICFlowMeter,
			features: []string{"Dst Port", "Protocol", "Flow Duration", "Flow Bytes/s", "Flow IAT Mean", "Fwd Header Length"},
			labels:   []string{"Benign", "Benign"},
			dropped:  []string{"Timestamp"},
		},
		"csv packet fields": {
			content:  "ip.src,tcp.srcport,ip.proto,frame.len,Label\n1.2.3.4,80,6,54,Benign\n1.2.3.5,81,6,66,DDoS-ACK\n",
			opt:      Options{Drop: []string{"ip.src"}},
			format:   FormatCSV,
			features: []string{"tcp.srcport", "ip.proto", "frame.len"},
			labels:   []string{"Benign", "DDoS-ACK"},
			dropped:  []string{"ip.src"},
		},
		"cicflowmeter with an unknown text column": {
			content:  "Flow Duration,SimillarHTTP,Label\n1,0,a\n2,GET /x,b\n",
			format:   FormatCICFlowMeter,
			features: []string{"Flow Duration", "SimillarHTTP"},
			labels:   []string{"a", "b"},
		},
		"csv forced on a cicflowmeter file keeps identifiers": {
			content:  "Flow ID,Flow Duration,Label\nx,1,a\ny,2,b\n",
			opt:      Options{Format: FormatCSV},
			format:   FormatCSV,
			features: []string{"Flow ID", "Flow Duration"},
			labels:   []string{"a", "b"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "in.data", tc.content, tc.zip)
			d := mustRead(t, []string{p}, tc.opt)
			if d.Format != tc.format {
				t.Errorf("format %s, want %s", d.Format, tc.format)
			}
			if got := featureNames(d); !slices.Equal(got, tc.features) {
				t.Errorf("features\n got %q\nwant %q", got, tc.features)
			}
			if got := labels(d); !slices.Equal(got, tc.labels) {
				t.Errorf("labels %q, want %q", got, tc.labels)
			}
			var dropped []string
			for _, dr := range d.Dropped {
				dropped = append(dropped, dr.Column)
			}
			if !slices.Equal(dropped, tc.dropped) {
				t.Errorf("dropped %q, want %q", dropped, tc.dropped)
			}
			if d.Rows != len(tc.labels) || len(d.Files) != 1 || d.Files[0].Rows != d.Rows {
				t.Errorf("rows %d, files %+v", d.Rows, d.Files)
			}
		})
	}
}

func TestCellValues(t *testing.T) {
	p := writeFile(t, "v.csv", "Flow Duration,Flow IAT Mean,Label\n"+
		"Infinity,-Infinity,a\n"+
		"NaN,,a\n"+
		"5.90E+07, 12 ,a\n"+
		"\"1,5\",\"3\",\"b,\"\"c\"\"\"\n", false)
	_, err := Read([]string{p}, Options{})
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, model.ErrNotNumber) || pe.Line != 5 || pe.Column != 1 {
		t.Fatalf("quoted \"1,5\" in a numeric column: got %v, want a not-a-number error at 5:1", err)
	}
	p = writeFile(t, "v.csv", "Flow Duration,Flow IAT Mean,Label\n"+
		"Infinity,-Infinity,a\n"+
		"NaN,,a\n"+
		"5.90E+07, 12 ,a\n"+
		"\"15\",\"3\",\"b,\"\"c\"\"\nd\"\n", false)
	d := mustRead(t, []string{p}, Options{})
	want := [][2]float32{
		{float32(math.Inf(1)), float32(math.Inf(-1))},
		{float32(math.NaN()), float32(math.NaN())},
		{5.9e7, 12},
		{15, 3},
	}
	for i, w := range want {
		for j := range w {
			if !sameFloat(d.Columns[j][i], w[j]) {
				t.Errorf("row %d col %d = %v, want %v", i, j, d.Columns[j][i], w[j])
			}
		}
	}
	if got := labels(d); !slices.Equal(got, []string{"a", "a", "a", "b,\"c\"\nd"}) {
		t.Errorf("labels %q", got)
	}
}

func TestGzipSniffedFromBytes(t *testing.T) {
	content := "a,b,Label\n1,2,x\n3,4,y\n"
	tests := map[string]struct {
		name string
		zip  bool
	}{
		"gzip named .csv":   {"data.csv", true},
		"plain named .gz":   {"data.csv.gz", false},
		"gzip named .gz":    {"data.csv.gz", true},
		"plain without ext": {"data", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := mustRead(t, []string{writeFile(t, tc.name, content, tc.zip)}, Options{})
			if d.Rows != 2 || col(t, d, "b")[1] != 4 {
				t.Errorf("rows %d, b=%v", d.Rows, d.Columns[1])
			}
		})
	}
}

func TestCorruptGzip(t *testing.T) {
	var big strings.Builder
	big.WriteString("a,Label\n")
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&big, "%d,x\n", i*7919%100003)
	}
	z := gz(t, []byte(big.String()))
	tests := map[string][]byte{
		"truncated":    z[:len(z)/2],
		"header only":  z[:10],
		"bad checksum": append(append([]byte(nil), z[:len(z)-8]...), 0, 0, 0, 0, 0, 0, 0, 0),
		"magic only":   {0x1f, 0x8b},
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "x.csv", string(b), false)
			_, err := Read([]string{p}, Options{})
			if !errors.Is(err, ErrGzip) {
				t.Fatalf("got %v, want ErrGzip", err)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestRaggedRow(t *testing.T) {
	tests := map[string]struct {
		content    string
		line, colm int
		got        int
	}{
		"too few":             {"a,b,c,Label\n1,2,3,x\n4,5,y\n", 3, 3, 3},
		"too many":            {"a,b,c,Label\n1,2,3,x\n\n4,5,6,7,y\n", 4, 5, 5},
		"after quoted lines":  {"a,b,Label\n\"1\n2\",2,x\n1,y\n", 4, 2, 2},
		"kdd short record":    {kddRow("0", "tcp", "http", "normal", true) + "0,tcp,http,SF\n", 2, 4, 4},
		"crlf and blank rows": {"a,b,Label\r\n,,\r\n1,2,x\r\n1,2\r\n", 4, 2, 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "r.csv", tc.content, false)
			_, err := Read([]string{p}, Options{})
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrFieldCount) {
				t.Fatalf("got %v, want a *ParseError wrapping ErrFieldCount", err)
			}
			if pe.File != p || pe.Line != tc.line || pe.Column != tc.colm {
				t.Errorf("at %s:%d:%d, want %s:%d:%d", pe.File, pe.Line, pe.Column, p, tc.line, tc.colm)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("got %d,", tc.got)) || strings.Contains(err.Error(), "\n") {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestNotANumberMessage(t *testing.T) {
	p := writeFile(t, "file.csv", "Dst Port,Protocol,Flow Duration,Label\n80,6,1,a\n\n\n80,6,2,a\n80,6,abc,a\n", false)
	_, err := Read([]string{p}, Options{})
	want := p + `:6:3: column "Flow Duration": not a number: "abc"`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if !errors.Is(err, model.ErrNotNumber) {
		t.Errorf("%v does not wrap model.ErrNotNumber", err)
	}
}

func TestLabelColumn(t *testing.T) {
	tests := map[string]struct {
		content string
		opt     Options
		label   string
		classes []string
		err     error
		errHas  string
	}{
		"default Label": {
			content: "a,Label\n1,x\n", label: "Label", classes: []string{"x"},
		},
		"lower-case class": {
			content: "a,class\n1,x\n", label: "class", classes: []string{"x"},
		},
		"named label among several": {
			content: "a,Label,Attempted Category\n1,x,p\n2,y,q\n",
			opt:     Options{Label: "Attempted Category"}, label: "Attempted Category", classes: []string{"p", "q"},
		},
		"missing default": {
			content: "a,b\n1,2\n", err: ErrNoLabel, errHas: `"a" "b"`,
		},
		"missing named": {
			content: "a,Label\n1,x\n", opt: Options{Label: "Kind"}, err: ErrNoLabel, errHas: `"Kind"`,
		},
		"empty label cell": {
			content: "a,Label\n1,x\n2, \n", err: ErrMissingLabel, errHas: ":3:2:",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "l.csv", tc.content, false)
			d, err := Read([]string{p}, tc.opt)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(fmt.Sprint(err), tc.errHas) {
					t.Fatalf("got %v, want %v containing %s", err, tc.err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkShape(t, d)
			if d.LabelName != tc.label || !slices.Equal(d.Classes, tc.classes) {
				t.Errorf("label %q classes %q", d.LabelName, d.Classes)
			}
			for _, f := range d.Schema.Features {
				if key(f.Name) == "label" || key(f.Name) == "attemptedcategory" {
					t.Errorf("label column %q read as a feature", f.Name)
				}
			}
		})
	}
}

func TestIdentifiersNeverFeatures(t *testing.T) {
	header := "Unnamed: 0,Flow ID,Source IP,Src IP,Src Port,Source Port,Dst IP,Destination IP,Timestamp,Dst Port,Destination Port,Protocol,Flow Duration,Label"
	row := "1,f,1.1.1.1,1.1.1.1,5,5,2.2.2.2,2.2.2.2,t,80,80,6,9,x"
	d := mustRead(t, []string{writeFile(t, "i.csv", header+"\n"+row+"\n", false)}, Options{})
	if got := featureNames(d); !slices.Equal(got, []string{"Dst Port", "Protocol", "Flow Duration"}) {
		t.Errorf("features %q", got)
	}
	reasons := map[string]string{}
	for _, dr := range d.Dropped {
		reasons[dr.Column] = dr.Reason
	}
	for _, n := range strings.Split(header, ",")[:9] {
		if reasons[n] == "" {
			t.Errorf("identifier %q not recorded in Dropped (%v)", n, d.Dropped)
		}
	}
	if !strings.HasPrefix(reasons["Destination Port"], ReasonDuplicate) {
		t.Errorf("Destination Port after Dst Port: reason %q, want a duplicate", reasons["Destination Port"])
	}
	// Asked for by name, an identifier is a feature.
	d = mustRead(t, []string{writeFile(t, "i.csv", header+"\n"+row+"\n", false)}, Options{Features: []string{"Src Port", "Flow Duration"}})
	if got := featureNames(d); !slices.Equal(got, []string{"Src Port", "Flow Duration"}) {
		t.Errorf("features %q", got)
	}
}

func TestAliasTable(t *testing.T) {
	canon := map[string]bool{}
	keys := map[string]string{}
	for _, n := range canonicalNames {
		canon[n] = true
		if o, ok := keys[key(n)]; ok {
			t.Errorf("canonical names %q and %q have the same key", o, n)
		}
		keys[key(n)] = n
	}
	for a, n := range cicAliases {
		if !canon[n] {
			t.Errorf("alias %q maps onto %q, not a canonical name", a, n)
		}
	}
	for _, file := range []string{"header-cicids2017-original.csv", "header-cse-cic-ids2018.csv", "header-cicids2017-reextracted.csv"} {
		b, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range strings.Split(strings.TrimSpace(strings.TrimPrefix(string(b), "\ufeff")), ",") {
			if c := Canonical(n); !canon[c] {
				t.Errorf("%s: %q canonicalises to %q, not a canonical name", file, n, c)
			}
		}
	}
}

func TestModelOfOneNamingReadsTheOthers(t *testing.T) {
	train := mustRead(t, []string{writeFile(t, "train.csv", cicReextracted, false)}, Options{})
	for name, content := range map[string]string{"original": cicOriginal, "2018": cic2018} {
		t.Run(name, func(t *testing.T) {
			d := mustRead(t, []string{writeFile(t, "test.csv", content, false)}, Options{Schema: &train.Schema})
			if !slices.Equal(featureNames(d), featureNames(train)) {
				t.Fatalf("features %q, want %q", featureNames(d), featureNames(train))
			}
			if got := col(t, d, "Flow Duration"); got[0] != 100 || got[1] != 200 {
				t.Errorf("Flow Duration %v", got)
			}
		})
	}
}

func TestLabelMaps(t *testing.T) {
	testOnly := []string{"mailbomb", "apache2", "processtable", "udpstorm", "mscan", "saint", "httptunnel", "ps",
		"sqlattack", "xterm", "named", "sendmail", "snmpgetattack", "snmpguess", "worm", "xlock", "xsnoop"}
	var rows strings.Builder
	for _, l := range testOnly {
		rows.WriteString(kddRow("0", "tcp", "http", l+".", false))
	}
	rows.WriteString(kddRow("0", "tcp", "http", "normal.", false))
	kdd := writeFile(t, "corrected", rows.String(), true)
	d := mustRead(t, []string{kdd}, Options{LabelMap: LabelMapKDD5})
	if !slices.Equal(d.Classes, []string{"dos", "normal", "probe", "r2l", "u2r"}) {
		t.Errorf("kdd5 classes %q", d.Classes)
	}
	got := labels(d)
	wantCat := map[string]string{"mailbomb": "dos", "mscan": "probe", "xterm": "u2r", "worm": "r2l", "httptunnel": "u2r"}
	for i, l := range testOnly {
		if w, ok := wantCat[l]; ok && got[i] != w {
			t.Errorf("%s -> %s, want %s", l, got[i], w)
		}
	}
	d = mustRead(t, []string{kdd}, Options{LabelMap: LabelMapBinary})
	if !slices.Equal(d.Classes, []string{"attack", "normal"}) {
		t.Errorf("binary kdd classes %q", d.Classes)
	}
	cic := mustRead(t, []string{writeFile(t, "c.csv", cicReextracted, false)}, Options{LabelMap: "binary"})
	if got := labels(cic); !slices.Equal(got, []string{"BENIGN", "attack"}) {
		t.Errorf("binary cic labels %q", got)
	}

	bad := writeFile(t, "bad.txt", kddRow("0", "tcp", "http", "normal", true)+kddRow("0", "tcp", "http", "frobnicate", true), false)
	_, err := Read([]string{bad}, Options{LabelMap: LabelMapKDD5})
	var pe *ParseError
	if !errors.Is(err, ErrUnknownLabel) || !errors.As(err, &pe) || pe.Line != 2 || pe.File != bad || !strings.Contains(err.Error(), `"frobnicate"`) {
		t.Errorf("got %v, want ErrUnknownLabel at %s:2 naming the label", err, bad)
	}
	if _, err := Read([]string{bad}, Options{LabelMap: "nope"}); !errors.Is(err, ErrOption) {
		t.Errorf("unknown map: got %v", err)
	}
}

func TestIsBenign(t *testing.T) {
	tests := map[string]bool{
		"normal": true, "normal.": true, "BENIGN": true, "Benign": true, " benign ": true,
		"attack": false, "DDoS": false, "": false, "benignish": false,
	}
	for l, want := range tests {
		if got := IsBenign(l); got != want {
			t.Errorf("IsBenign(%q) = %v", l, got)
		}
	}
}

func TestCSVColumnKinds(t *testing.T) {
	content := "port,service,mixed,Label\n" +
		"80,http,1,a\n" +
		"443,,2.0,b\n" +
		"8080,ftp,x,a\n" +
		",http,1,b\n"
	d := mustRead(t, []string{writeFile(t, "k.csv", content, false)}, Options{})
	kinds := map[string]model.Kind{"port": model.Numeric, "service": model.Categorical, "mixed": model.Categorical}
	for _, f := range d.Schema.Features {
		if f.Kind != kinds[f.Name] {
			t.Errorf("%s is %s", f.Name, f.Kind)
		}
		if f.Kind == model.Categorical && (!slices.IsSorted(f.Categories) || f.Unknown != model.UnknownMissing) {
			t.Errorf("%s: categories %q unknown %s", f.Name, f.Categories, f.Unknown)
		}
	}
	if got := []string{category(t, d, "mixed", 0), category(t, d, "mixed", 1), category(t, d, "mixed", 2), category(t, d, "mixed", 3)}; !slices.Equal(got, []string{"1", "2.0", "x", "1"}) {
		t.Errorf("mixed column read as %q, want the cells' text", got)
	}
	if got := category(t, d, "service", 1); got != "<NaN>" {
		t.Errorf("empty category = %s, want missing", got)
	}
	if !math.IsNaN(float64(col(t, d, "port")[3])) {
		t.Errorf("empty number not NaN")
	}
}

func TestFeaturesAndDropOptions(t *testing.T) {
	p := writeFile(t, "f.csv", "a,b,c,Label\n1,2,3,x\n", false)
	d := mustRead(t, []string{p}, Options{Features: []string{"c", "a"}})
	if got := featureNames(d); !slices.Equal(got, []string{"c", "a"}) {
		t.Errorf("features %q", got)
	}
	if _, err := Read([]string{p}, Options{Features: []string{"a", "zz"}}); !errors.Is(err, ErrMissingFeature) || !strings.Contains(err.Error(), `"zz"`) {
		t.Errorf("unknown feature: got %v", err)
	}
	if _, err := Read([]string{p}, Options{Drop: []string{"zz"}}); !errors.Is(err, ErrNoColumn) || !strings.Contains(err.Error(), `"zz"`) {
		t.Errorf("unknown drop: got %v", err)
	}
	d = mustRead(t, []string{p}, Options{Drop: []string{"b"}})
	if got := featureNames(d); !slices.Equal(got, []string{"a", "c"}) || d.Dropped[0] != (Dropped{"b", ReasonDropOption}) {
		t.Errorf("features %q dropped %v", got, d.Dropped)
	}
}

func TestSchemaMode(t *testing.T) {
	schema := &model.Schema{Features: []model.Feature{
		{Name: "Flow Duration", Kind: model.Numeric},
		{Name: "proto", Kind: model.Categorical, Categories: []string{"tcp", "udp"}},
		{Name: "Dst Port", Kind: model.Numeric},
	}}
	tests := map[string]struct {
		content   string
		opt       Options
		err       error
		errHas    string
		hasLabels bool
		rows      [][]float32
	}{
		"reordered columns, extra column, no label": {
			content: "Destination Port,extra,proto,Flow Duration\n80,z,udp,5\n443,z,icmp,6\n",
			rows:    [][]float32{{5, 1, 80}, {6, nan32, 443}},
		},
		"labels present": {
			content: "proto,Flow Duration,Dst Port,Label\ntcp,1,2,x\n", hasLabels: true,
			rows: [][]float32{{1, 0, 2}},
		},
		"missing feature": {
			content: "proto,Label\ntcp,x\n", err: ErrMissingFeature, errHas: `"Flow Duration" "Dst Port"`,
		},
		"missing feature allowed": {
			content: "proto,Flow Duration\ntcp,3\n", opt: Options{AllowMissing: true},
			rows: [][]float32{{3, 0, nan32}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			opt := tc.opt
			opt.Schema = schema
			p := writeFile(t, "s.csv", tc.content, false)
			d, err := Read([]string{p}, opt)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(fmt.Sprint(err), tc.errHas) {
					t.Fatalf("got %v, want %v with %s", err, tc.err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkShape(t, d)
			if !reflect.DeepEqual(d.Schema, *schema) || d.HasLabels != tc.hasLabels {
				t.Errorf("schema %+v hasLabels %v", d.Schema, d.HasLabels)
			}
			for i, w := range tc.rows {
				got := d.Row(i, nil)
				if !slices.EqualFunc(got, w, sameFloat) {
					t.Errorf("row %d = %v, want %v", i, got, w)
				}
			}
		})
	}
	strict := &model.Schema{Features: []model.Feature{{Name: "proto", Kind: model.Categorical, Categories: []string{"tcp"}, Unknown: model.UnknownError}}}
	p := writeFile(t, "s.csv", "proto\ntcp\nsctp\n", false)
	_, err := Read([]string{p}, Options{Schema: strict})
	var pe *ParseError
	if !errors.Is(err, model.ErrUnknownCategory) || !errors.As(err, &pe) || pe.Line != 3 {
		t.Errorf("unknown category under UnknownError: got %v", err)
	}
	d := mustRead(t, []string{p}, Options{Schema: strict, SkipBad: true})
	if d.Rows != 1 || d.Skipped != 1 {
		t.Errorf("rows %d skipped %d", d.Rows, d.Skipped)
	}
}

func TestSkipBad(t *testing.T) {
	var b strings.Builder
	b.WriteString("Flow Duration,Protocol,Label\n")
	bad := 0
	for i := 0; i < 100; i++ {
		switch {
		case i%10 == 3:
			b.WriteString("1,2\n")
			bad++
		case i%10 == 7:
			b.WriteString("abc,6,x\n")
			bad++
		default:
			fmt.Fprintf(&b, "%d,6,x\n", i)
		}
	}
	p := writeFile(t, "s.csv", b.String(), false)
	if _, err := Read([]string{p}, Options{}); !errors.Is(err, ErrFieldCount) {
		t.Fatalf("without SkipBad: %v", err)
	}
	d := mustRead(t, []string{p}, Options{SkipBad: true})
	if d.Skipped != bad || d.Rows != 100-bad || len(d.SkippedErrors) != MaxSkippedErrors {
		t.Errorf("skipped %d rows %d errors %d, want %d, %d, %d", d.Skipped, d.Rows, len(d.SkippedErrors), bad, 100-bad, MaxSkippedErrors)
	}
	var pe *ParseError
	if !errors.As(d.SkippedErrors[0], &pe) || pe.Line != 5 {
		t.Errorf("first skipped error %v, want line 5", d.SkippedErrors[0])
	}
	if got := col(t, d, "Flow Duration"); got[3] != 4 {
		t.Errorf("row 3 = %v, want the file's row 4", got[3])
	}
}

func TestSeveralFiles(t *testing.T) {
	a := writeFile(t, "a.csv", "x,Label\n1,p\n2,q\n", false)
	b := writeFile(t, "b.csv", "x,Label\n3,r\n", true)
	d := mustRead(t, []string{a, b}, Options{})
	if d.Rows != 3 || len(d.Files) != 2 || d.Files[1].Rows != 1 || !slices.Equal(d.Classes, []string{"p", "q", "r"}) {
		t.Errorf("rows %d files %+v classes %q", d.Rows, d.Files, d.Classes)
	}
	for _, f := range d.Files {
		raw, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(raw); f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: sha256 %s, want that of the bytes on disk %x", f.Path, f.SHA256, sum)
		}
	}
	c := writeFile(t, "c.csv", "y,Label\n1,p\n", false)
	if _, err := Read([]string{a, c}, Options{}); !errors.Is(err, ErrHeaderMismatch) || !strings.Contains(err.Error(), c) {
		t.Errorf("mismatch: got %v", err)
	}
	k := writeFile(t, "k.txt", kddRow("0", "tcp", "http", "normal", true), false)
	if _, err := Read([]string{a, k}, Options{}); !errors.Is(err, ErrHeaderMismatch) {
		t.Errorf("csv then kdd: got %v", err)
	}
}

func TestEmpty(t *testing.T) {
	tests := map[string]string{
		"empty file":       "",
		"header only":      "a,Label\n",
		"blank lines only": "\n\r\n,,\n",
		"header and blank": "a,Label\r\n,\r\n\r\n",
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Read([]string{writeFile(t, "e.csv", content, true)}, Options{})
			if !errors.Is(err, ErrEmpty) {
				t.Errorf("got %v, want ErrEmpty", err)
			}
		})
	}
	if _, err := Read(nil, Options{}); !errors.Is(err, ErrOption) {
		t.Errorf("no paths: %v", err)
	}
}

// TestParallelDeterministic reads a file of many chunks, whose categories
// first appear in late chunks, with one and with several workers.
func TestParallelDeterministic(t *testing.T) {
	var b strings.Builder
	b.WriteString("n,cat,mixed,Label\n")
	for i := 0; i < 150000; i++ {
		mixed := fmt.Sprint(i % 7)
		if i == 140000 {
			mixed = "text"
		}
		fmt.Fprintf(&b, "%d.25,c%d,%s,l%d\n", i, (i*31)%(1+i/1000), mixed, (150000-i)/7000)
	}
	if b.Len() < 3*blockSize {
		t.Fatalf("test file of %d bytes is one chunk", b.Len())
	}
	p := writeFile(t, "p.csv", b.String(), true)
	var got []*Dataset
	for _, procs := range []int{1, 2, 4} {
		old := runtime.GOMAXPROCS(procs)
		got = append(got, mustRead(t, []string{p}, Options{}))
		runtime.GOMAXPROCS(old)
	}
	for i := 1; i < len(got); i++ {
		a, c := *got[0], *got[i]
		a.Files, c.Files = nil, nil
		if !reflect.DeepEqual(a.Schema, c.Schema) || !reflect.DeepEqual(a.Y, c.Y) || !reflect.DeepEqual(a.Classes, c.Classes) {
			t.Fatalf("run %d differs in schema or labels", i)
		}
		for j := range a.Columns {
			if !slices.EqualFunc(a.Columns[j], c.Columns[j], sameFloat) {
				t.Fatalf("run %d differs in column %d", i, j)
			}
		}
	}
	d := got[0]
	if d.Rows != 150000 || category(t, d, "mixed", 140000) != "text" || category(t, d, "mixed", 8) != "1" {
		t.Errorf("rows %d mixed[140000]=%s mixed[8]=%s", d.Rows, category(t, d, "mixed", 140000), category(t, d, "mixed", 8))
	}
	if category(t, d, "cat", 149999) != fmt.Sprintf("c%d", (149999*31)%150) {
		t.Errorf("cat[149999] = %s", category(t, d, "cat", 149999))
	}
}

func TestRecordsAcrossChunks(t *testing.T) {
	content := "a,Label\n\"1\",\"x\ny\"\n2,\"q\"\"\"\r\n\n3,z"
	for size := 1; size <= len(content)+1; size++ {
		br := newBlockReader(strings.NewReader(content))
		br.size = size
		var recs []string
		var lines []int
		for {
			chunk, line, err := br.next()
			if err != nil {
				break
			}
			var it recIter
			it.reset(chunk, line)
			for {
				r, ln, ok := it.next()
				if !ok {
					break
				}
				recs = append(recs, strings.Join(r.strings(), "|"))
				lines = append(lines, ln)
			}
		}
		want := []string{"a|Label", "1|x\ny", "2|q\"", "3|z"}
		if !slices.Equal(recs, want) || !slices.Equal(lines, []int{1, 2, 4, 6}) {
			t.Fatalf("block size %d: records %q at lines %v", size, recs, lines)
		}
	}
}

// TestBareQuote pins the bare-quote rule that split.go documents, next to
// what encoding/csv's LazyQuotes reads from the same record.
func TestBareQuote(t *testing.T) {
	const rec = `3,zz"q,y`
	var it recIter
	it.reset([]byte(rec), 1)
	r, _, ok := it.next()
	if !ok {
		t.Fatal("no record")
	}
	if got, want := r.strings(), []string{"3", "zzq,y"}; !slices.Equal(got, want) {
		t.Errorf("flowdata reads %q as %q, want %q", rec, got, want)
	}
	cr := csv.NewReader(strings.NewReader(rec))
	cr.LazyQuotes = true
	lazy, err := cr.Read()
	if err != nil || len(lazy) != 3 {
		t.Errorf("encoding/csv LazyQuotes reads %q as %q (%v), the doc says three fields", rec, lazy, err)
	}
}

func TestLongRecord(t *testing.T) {
	br := newBlockReader(strings.NewReader("a,Label\n\"" + strings.Repeat("x", 5000)))
	br.size, br.limit = 64, 1000
	var err error
	for err == nil {
		_, _, err = br.next()
	}
	if !errors.Is(err, ErrLongRecord) {
		t.Errorf("got %v, want ErrLongRecord", err)
	}
}

func TestLog(t *testing.T) {
	var log bytes.Buffer
	p := writeFile(t, "l.csv", "a,Label\n1,x\n2,y\n", false)
	mustRead(t, []string{p}, Options{Log: &log})
	if s := log.String(); strings.Count(s, "\n") != 1 || !strings.Contains(s, p) || !strings.Contains(s, "2 rows") {
		t.Errorf("log %q", s)
	}
}

func TestRowOutOfRange(t *testing.T) {
	d := mustRead(t, []string{writeFile(t, "r.csv", "a,b,Label\n1,2,x\n", false)}, Options{})
	if got := d.Row(0, nil); !slices.Equal(got, []float32{1, 2}) {
		t.Errorf("Row(0) = %v", got)
	}
	if d.Row(1, nil) != nil || d.Row(-1, nil) != nil {
		t.Errorf("Row out of range not nil")
	}
}

// TestWideSparseInput: many columns and many blank lines must not make the
// reader allocate columns × lines.
func TestWideSparseInput(t *testing.T) {
	var header strings.Builder
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&header, "c%d,", i)
	}
	header.WriteString("Label\n")
	p := writeFile(t, "w.csv", header.String()+strings.Repeat("\n", 40000)+strings.Repeat("1,", 20000)+"x\n", false)
	d := mustRead(t, []string{p}, Options{})
	if d.Rows != 1 || len(d.Columns) != 20000 {
		t.Errorf("rows %d columns %d", d.Rows, len(d.Columns))
	}
}

func TestOpen(t *testing.T) {
	for name, zip := range map[string]bool{"gzip named .txt": true, "plain named .gz": false} {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, map[bool]string{true: "x.txt", false: "x.gz"}[zip], "hello\n", zip)
			r, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var b bytes.Buffer
			if _, err := b.ReadFrom(r); err != nil || b.String() != "hello\n" {
				t.Errorf("read %q, %v", b.String(), err)
			}
		})
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestKDDVariants(t *testing.T) {
	header := strings.Join(kddNames[:], ",") + ",label\n"
	d := mustRead(t, []string{writeFile(t, "h.csv", header+kddRow("3", "tcp", "http", "normal", false), false)}, Options{Format: FormatKDD})
	if d.Rows != 1 || col(t, d, "duration")[0] != 3 {
		t.Errorf("kdd with a header row: rows %d", d.Rows)
	}
	// 41 fields, no label: only against a schema.
	noLabel := strings.TrimSuffix(kddRow("4", "udp", "http", "x", false), ",x\n") + "\n"
	p := writeFile(t, "n.txt", noLabel, false)
	if _, err := Read([]string{p}, Options{Format: FormatKDD}); !errors.Is(err, ErrNoLabel) {
		t.Errorf("41 fields without schema: %v", err)
	}
	e := mustRead(t, []string{p}, Options{Schema: &d.Schema})
	if e.Format != FormatKDD {
		t.Errorf("41-field record sniffed as %s", e.Format)
	}
	if e.HasLabels || e.Rows != 1 || col(t, e, "duration")[0] != 4 || !math.IsNaN(float64(col(t, e, "protocol_type")[0])) {
		t.Errorf("41 fields against a schema: %+v", e)
	}
}

func TestLabelsIn(t *testing.T) {
	d := mustRead(t, []string{writeFile(t, "l.csv", "a,Label\n1,x\n2,y\n3,z\n4,x\n", false)}, Options{})
	if got := d.LabelsIn([]string{"z", "x"}); !slices.Equal(got, []int32{1, -1, 0, 1}) {
		t.Errorf("LabelsIn = %v", got)
	}
	e := mustRead(t, []string{writeFile(t, "n.csv", "a\n1\n", false)}, Options{Schema: &d.Schema})
	if e.LabelsIn(d.Classes) != nil {
		t.Errorf("LabelsIn without labels not nil")
	}
}
