//go:build browser

package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
	"github.com/flowsense/flowsense/internal/chromium"
	"github.com/flowsense/flowsense/model"
)

// The page's CSV reader must give the rows, labels and errors that the Go
// reader behind POST /predict and flowsense predict gives for the same text
// (flowdata.NewRowReader): a table of awkward cases and a fuzz target
// compare the two in Chromium.

// paritySchema has a numeric feature, a categorical one whose unknown
// categories are missing, and one whose unknown categories are errors.
var paritySchema = &model.Schema{Features: []model.Feature{
	{Name: "Flow Duration", Kind: model.Numeric},
	{Name: "service", Kind: model.Categorical, Categories: []string{"http", "ssh", "dns", "a,b", `q"t`, " sp "}},
	{Name: "proto", Kind: model.Categorical, Categories: []string{"tcp", "udp"}, Unknown: model.UnknownError},
}}

// parityPage is one page shared by the parity tests of a test process.
var parityPage struct {
	once    sync.Once
	ctx     context.Context
	err     error
	cleanup []func()
}

// TestMain closes the shared page's browser and removes its profile.
func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(parityPage.cleanup) - 1; i >= 0; i-- {
		parityPage.cleanup[i]()
	}
	os.Exit(code)
}

// openParityPage opens the page once per process; its browser lives until
// the process ends.
func openParityPage(t *testing.T) context.Context {
	t.Helper()
	chromium.Need(t)
	parityPage.once.Do(func() {
		wasmBytes, err := functionstest.ModelWasm()
		if err != nil {
			parityPage.err = err
			return
		}
		srv, err := functions.New(context.Background(), wasmBytes)
		if err != nil {
			parityPage.err = err
			return
		}
		hs := httptest.NewServer(srv)
		parityPage.cleanup = append(parityPage.cleanup, hs.Close)
		dir, err := os.MkdirTemp("", "flowsense-web-parity")
		if err != nil {
			parityPage.err = err
			return
		}
		parityPage.cleanup = append(parityPage.cleanup, func() { removeProfile(dir) })
		ctx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browserOptions(dir)...)
		ctx, cancel := chromedp.NewContext(ctx)
		parityPage.cleanup = append(parityPage.cleanup, cancelAlloc, cancel, func() { _ = chromedp.Cancel(ctx) })
		parityPage.ctx = ctx
		parityPage.err = chromedp.Run(ctx, chromedp.Navigate(hs.URL+"/"),
			chromedp.Poll(`window.flowsense !== undefined`, nil, chromedp.WithPollingTimeout(guard)))
	})
	if parityPage.err != nil {
		t.Fatalf("opening the page in %s: %v", chromium.Path, parityPage.err)
	}
	return parityPage.ctx
}

// compareReaders reads text in the page and in Go and reports differences.
func compareReaders(t *testing.T, ctx context.Context, text string, schema *model.Schema) {
	t.Helper()
	var js struct {
		Rows   [][]string `json:"rows"`
		Labels []*string  `json:"labels"`
		Error  string     `json:"error"`
	}
	schemaJSON, err := json.Marshal(schema)
	if err != nil {
		t.Fatal(err)
	}
	textJSON, err := json.Marshal(text)
	if err != nil {
		t.Fatal(err)
	}
	expr := fmt.Sprintf(`(async () => { const r = await window.flowsense.encode(%s, %s, 'upload');
		if (r.error) return {error: r.error};
		return {rows: r.rows.map(row => row.map(v => Object.is(v, -0) ? '-0' : String(v))), labels: r.labels}; })()`, textJSON, schemaJSON)
	run(t, ctx, "reading in the page", chromedp.Evaluate(expr, &js, func(p *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))

	goRows, goLabels, goErr := readGo(text, schema)
	if goErr != nil || js.Error != "" {
		if goErr == nil || js.Error == "" {
			t.Fatalf("Go: %v; page: %q", goErr, js.Error)
		}
		var pe *flowdata.ParseError
		if errors.As(goErr, &pe) && pe.Line > 0 && !errors.Is(goErr, flowdata.ErrMissingFeature) {
			if !strings.Contains(js.Error, fmt.Sprintf("line %d", pe.Line)) {
				t.Errorf("page error %q, Go says line %d: %v", js.Error, pe.Line, goErr)
			}
			if pe.Column > 0 && !strings.Contains(js.Error, fmt.Sprintf("column %d", pe.Column)) {
				t.Errorf("page error %q, Go says column %d: %v", js.Error, pe.Column, goErr)
			}
		}
		if errors.Is(goErr, flowdata.ErrMissingFeature) != strings.Contains(js.Error, "missing columns") {
			t.Errorf("page error %q, Go error %v: not the same kind", js.Error, goErr)
		}
		return
	}
	if len(js.Rows) != len(goRows) {
		t.Fatalf("page read %d rows %q, Go %d %v", len(js.Rows), js.Rows, len(goRows), goRows)
	}
	for i := range goRows {
		for j, want := range goRows[i] {
			got, err := strconv.ParseFloat(js.Rows[i][j], 64)
			if err != nil || !(math.IsNaN(float64(want)) && math.IsNaN(got) || math.Float32bits(float32(got)) == math.Float32bits(want)) {
				t.Errorf("row %d feature %d: page %s, Go %v", i+1, j, js.Rows[i][j], want)
			}
		}
		label := ""
		if js.Labels[i] != nil {
			label = *js.Labels[i]
		}
		if label != goLabels[i] {
			t.Errorf("row %d label: page %q, Go %q", i+1, label, goLabels[i])
		}
	}
}

// readGo reads text as POST /predict does.
func readGo(text string, schema *model.Schema) ([][]float32, []string, error) {
	rr, err := flowdata.NewRowReader(strings.NewReader(text), "upload", schema, flowdata.Options{})
	if err != nil {
		return nil, nil, err
	}
	var rows [][]float32
	var labels []string
	for {
		row := make([]float32, len(schema.Features))
		l, err := rr.Next(row)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		rows = append(rows, row)
		labels = append(labels, l)
	}
	if len(rows) == 0 {
		return nil, nil, errors.New("no data rows")
	}
	return rows, labels, nil
}

func csvQuote(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// parityNumbers are numeric cells, good and bad.
var parityNumbers = []string{"0", "-0", "+5", ".5", "5.", "1e3", "1E-3", " 4 ", "\t7", "0.1", "16777217", "3.4028236e38", "1e400", "-1e400",
	"1e-50", "inf", "-Infinity", "+INF", "infinity", "NaN", "nan", "-nan", "?", "", "0x1p-2", "0x1.8p1", "0X.8P+1", "123456789012345678901234567890",
	"1_000", "1_0.5", "_1", "1__0", "1_", "1_0e1_0", "0x1_0p0", "0x_1p0", "1._5", "1,5", "0x10", "0b101",
	"abc", "--1", "1e", "Infinity1", "1e+", ".", "+", "1.2.3", "\u00a05", "5\u00a0"}

// parityCases are whole files.
var parityCases = map[string]string{
	"plain":                  "Flow Duration,service,proto,Label\n1,http,tcp,A\n2,ssh,udp,B\n",
	"crlf, no final eol":     "Flow Duration,service,proto,Label\r\n1,http,tcp,A\r\n2,dns,udp,B",
	"quoted fields":          "\"Flow Duration\",\"service\",proto,Label\n\"1\",\"a,b\",tcp,\"x \"\"y\"\"\"\n2,\"q\"\"t\",\"udp\",B\n",
	"multi-line quoted":      "Flow Duration,service,proto,Label\n1,\"ht\ntp\",tcp,A\n2,ssh,udp,\"B\r\nC\"\n3,http,tcp,D\n",
	"lenient quotes":         "Flow Duration,service,proto,Label\n1,ht\"tp\",tcp,A\n2,\"ssh\"x,udp,B\n",
	"unclosed quote":         "Flow Duration,service,proto,Label\n1,\"http,tcp,A\n2,ssh,udp,B\n",
	"blank lines":            "\n\nFlow Duration,service,proto,Label\n\n1,http,tcp,A\n,,,\n  , ,,\r\n2,ssh,udp,B\n\n",
	"lone CR":                "Flow Duration,service,proto,Label\r1,http,tcp,A\r",
	"header spelling":        "\ufefflow_duration , SERVICE,Proto,label\n1,http,tcp,A\n",
	"columns in any order":   "Label,proto,extra,service,Flow Duration\nA,tcp,zz,dns,9\n",
	"no label column":        "Flow Duration,service,proto\n1,http,tcp\n",
	"class is the label":     "Flow Duration,service,proto,class\n1,http,tcp,A\n",
	"duplicate column":       "Flow Duration,service,proto,service,Label\n1,http,tcp,ssh,A\n",
	"label-like not feature": "Flow Duration,category,service,proto,Label\n1,x,http,tcp,A\n",
	"unknown category":       "Flow Duration,service,proto,Label\n1,gopher,tcp,A\n2, http ,udp,B\n3,,,C\n4,\" sp \",tcp,D\n",
	"unknown is an error":    "Flow Duration,service,proto,Label\n1,http,sctp,A\n",
	"missing column":         "Flow Duration,proto,Label\n1,tcp,A\n",
	"ragged short":           "Flow Duration,service,proto,Label\n1,http,tcp,A\n2,http,tcp\n",
	"ragged long":            "Flow Duration,service,proto,Label\n1,http,tcp,A,extra\n",
	"missing label":          "Flow Duration,service,proto,Label\n1,http,tcp, \n",
	"header only":            "Flow Duration,service,proto,Label\n",
	"empty":                  "",
}

func TestReaderParityInChromium(t *testing.T) {
	ctx := openParityPage(t)
	cases := map[string]string{}
	for k, v := range parityCases {
		cases[k] = v
	}
	for _, n := range parityNumbers {
		cases["number "+strconv.Quote(n)] = "Flow Duration,service,proto,Label\n" + csvQuote(n) + ",http,tcp,A\n"
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) { compareReaders(t, ctx, text, paritySchema) })
	}
}

// FuzzReaderParity compares the page's reader with Go's on any text. It
// needs Chromium, so it runs with the browser tag:
//
//	go test -tags browser -run '^$' -fuzz FuzzReaderParity ./functions/web/
func FuzzReaderParity(f *testing.F) {
	for _, text := range parityCases {
		f.Add(text)
	}
	for _, n := range parityNumbers {
		f.Add("Flow Duration,service,proto,Label\n" + csvQuote(n) + ",http,tcp,A\n")
	}
	f.Fuzz(func(t *testing.T, text string) {
		compareReaders(t, openParityPage(t), text, paritySchema)
	})
}
