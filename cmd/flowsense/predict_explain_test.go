package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
)

// explainedLine is one line of predict --out-format jsonl --explain N.
type explainedLine struct {
	Row          int     `json:"row"`
	Label        string  `json:"label"`
	Probability  float64 `json:"probability"`
	OutlierScore float64 `json:"outlier_score"`
	Verdict      string  `json:"verdict"`
	Explanation  *struct {
		Class    string  `json:"class"`
		Margin   float64 `json:"margin"`
		Bias     float64 `json:"bias"`
		Features []struct {
			Name         string  `json:"name"`
			Value        any     `json:"value"`
			Contribution float64 `json:"contribution"`
		} `json:"features"`
		Outlier []struct {
			Name         string  `json:"name"`
			Value        any     `json:"value"`
			Mean         float64 `json:"mean"`
			Z            float64 `json:"z"`
			Contribution float64 `json:"contribution"`
		} `json:"outlier"`
	} `json:"explanation"`
}

func readExplained(t *testing.T, out string) []explainedLine {
	t.Helper()
	var lines []explainedLine
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l explainedLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", len(lines)+1, err, sc.Text())
		}
		if l.Explanation == nil {
			t.Fatalf("line %d has no explanation: %s", len(lines)+1, sc.Text())
		}
		lines = append(lines, l)
	}
	return lines
}

func close9(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// predict --explain N: per row, the top N contributions to the predicted
// class's raw score and to the outlier score. With every feature asked
// for, bias plus the contributions is the margin; the margins of every
// class (from the native explainer) give the probability written; and
// both engines write what model.Explainer computes.
func TestPredictExplain(t *testing.T) {
	dir, flows := trained(t)
	mdir := filepath.Join(dir, "model")
	m, _, err := artifact.ReadModel(mdir)
	if err != nil {
		t.Fatal(err)
	}
	F := len(m.Schema.Features)
	x, err := model.NewExplainer(m)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := flowdata.Read([]string{flows}, flowdata.Options{Schema: &m.Schema})
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	withExplain := filepath.Join(tmp, "explain.wasm")
	if code, _, e := flowsense(t, "compile", "--model", mdir, "--explain", "--out", withExplain); code != 0 {
		t.Fatal(e)
	}

	for name, args := range map[string][]string{
		"native":                  {"--model", mdir, "--engine", "native"},
		"wasm, model directory":   {"--model", mdir}, // model.wasm has no explain export: model.json compiled with it
		"wasm, compile --explain": {"--model", withExplain},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, e := flowsense(t, append([]string{"predict", "--data", flows, "--explain", strconv.Itoa(F), "--out-format", "jsonl"}, args...)...)
			if code != 0 {
				t.Fatal(e)
			}
			if name == "wasm, model directory" && !strings.Contains(e, "no explain export") {
				t.Errorf("stderr does not say the module was compiled again with the explain export: %q", e)
			}
			lines := readExplained(t, out)
			if len(lines) != ds.Rows {
				t.Fatalf("%d lines for %d rows", len(lines), ds.Rows)
			}
			row := make([]float32, F)
			phi := make([]float64, m.Ensemble.Outputs*x.Stride())
			var ref model.Explanation
			bad := 0
			for i, l := range lines {
				row = ds.Row(i, row)
				if err := x.Explain(row, F, &ref); err != nil {
					t.Fatal(err)
				}
				ex := l.Explanation
				// additivity
				sum := ex.Bias
				for _, f := range ex.Features {
					sum += f.Contribution
				}
				if !close9(sum, ex.Margin) {
					t.Errorf("row %d: bias %v + contributions = %v, margin %v", i+1, ex.Bias, sum, ex.Margin)
				}
				// the margins of every class give the probability written
				if err := x.Contributions(row, phi); err != nil {
					t.Fatal(err)
				}
				margins := make([]float64, m.Ensemble.Outputs)
				for j := range margins {
					for _, v := range phi[j*x.Stride() : (j+1)*x.Stride()] {
						margins[j] += v
					}
				}
				c := ref.Class
				var p float64
				if m.Ensemble.Objective == model.Logistic {
					p = 1 / (1 + math.Exp(-m.Margin(margins, c)))
				} else {
					var z float64
					for _, v := range margins {
						z += math.Exp(v - margins[c])
					}
					p = 1 / z
				}
				if !close9(p, l.Probability) || !close9(m.Margin(margins, c), ex.Margin) {
					t.Errorf("row %d: probability %v and margin %v, the class margins give %v and %v", i+1, l.Probability, ex.Margin, p, m.Margin(margins, c))
				}
				// the native explainer's values, in its order
				ok := l.Label == m.Classes[c] && ex.Class == l.Label && close9(ex.Bias, ref.Bias) && len(ex.Features) == len(ref.Features) && len(ex.Outlier) == len(ref.Outlier)
				for k := 0; ok && k < len(ref.Features); k++ {
					f := ref.Features[k]
					ok = ex.Features[k].Name == m.Schema.Features[f.Feature].Name && close9(ex.Features[k].Contribution, f.Contribution)
				}
				for k := 0; ok && k < len(ref.Outlier); k++ {
					o := ref.Outlier[k]
					ok = ex.Outlier[k].Name == m.Schema.Features[o.Feature].Name && close9(ex.Outlier[k].Contribution, o.Contribution) &&
						close9(ex.Outlier[k].Mean, o.Mean) && close9(ex.Outlier[k].Z, o.Z)
				}
				if !ok {
					if bad++; bad <= 3 {
						t.Errorf("row %d: %+v, native explainer %+v", i+1, *ex, ref)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d rows differ from model.Explainer", bad, len(lines))
			}
		})
	}

	// CSV: the same figures in columns, the top 3, full precision.
	code, out, e := flowsense(t, "predict", "--model", withExplain, "--data", flows, "--explain", "3")
	if code != 0 {
		t.Fatal(e)
	}
	_, jout, _ := flowsense(t, "predict", "--model", withExplain, "--data", flows, "--explain", "3", "--out-format", "jsonl")
	lines := readExplained(t, jout)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Join(recs[0], ",")
	wantHead := "row,label,probability,outlier_score,verdict,margin,bias,feature_1,value_1,contribution_1,feature_2,value_2,contribution_2,feature_3,value_3,contribution_3," +
		"outlier_feature_1,outlier_value_1,outlier_mean_1,outlier_z_1,outlier_contribution_1,outlier_feature_2,outlier_value_2,outlier_mean_2,outlier_z_2,outlier_contribution_2," +
		"outlier_feature_3,outlier_value_3,outlier_mean_3,outlier_z_3,outlier_contribution_3"
	if head != wantHead || len(recs) != len(lines)+1 {
		t.Fatalf("CSV header %q and %d rows, want %q and %d", head, len(recs)-1, wantHead, len(lines))
	}
	for i, r := range recs[1:] {
		l := lines[i]
		ex := l.Explanation
		num := func(s string) float64 {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("row %d: %q: %v", i+1, s, err)
			}
			return v
		}
		ok := r[0] == strconv.Itoa(i+1) && r[1] == l.Label && num(r[5]) == ex.Margin && num(r[6]) == ex.Bias && len(ex.Features) == 3 && len(ex.Outlier) == 3
		for k := 0; ok && k < 3; k++ {
			f := ex.Features[k]
			ok = r[7+3*k] == f.Name && num(r[9+3*k]) == f.Contribution
			o := ex.Outlier[k]
			c := r[16+5*k:]
			ok = ok && c[0] == o.Name && num(c[2]) == o.Mean && num(c[3]) == o.Z && num(c[4]) == o.Contribution
		}
		if !ok {
			t.Fatalf("CSV row %d: %q, JSON %+v", i+1, r, *ex)
		}
	}

	// Without --explain the output is as before: five columns.
	if _, out, _ := flowsense(t, "predict", "--model", withExplain, "--data", flows); !strings.HasPrefix(out, "row,label,probability,outlier_score,verdict\n1,") {
		t.Errorf("predict without --explain: %.80q", out)
	}
}

// A lone module without the explain export cannot explain: the error
// says how to get one. Bad --explain and --out-format values are usage
// errors.
func TestPredictExplainErrors(t *testing.T) {
	dir, flows := trained(t)
	lone := filepath.Join(t.TempDir(), "lone.wasm")
	b, err := os.ReadFile(filepath.Join(dir, "model", "model.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lone, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		args []string
		want []string
	}{
		"no export":    {[]string{"--model", lone, "--explain", "3"}, []string{"lone.wasm", "no explain export", "flowsense compile --explain"}},
		"negative":     {[]string{"--model", lone, "--explain", "-1"}, []string{"--explain", "whole number"}},
		"not a number": {[]string{"--model", lone, "--explain", "all"}, []string{"--explain", `"all"`}},
		"format":       {[]string{"--model", lone, "--out-format", "xml"}, []string{"--out-format", "csv or jsonl"}},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, e := flowsense(t, append([]string{"predict", "--data", flows}, c.args...)...)
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %.60q, want 2 and nothing", code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(e, w) {
					t.Errorf("stderr %q does not say %q", e, w)
				}
			}
		})
	}
	if code, out, _ := flowsense(t, "predict", "--help"); code != 0 || !bytes.Contains([]byte(out), []byte("outlier_contribution_k")) {
		t.Errorf("predict --help does not document the explain columns: %s", out)
	}
}
