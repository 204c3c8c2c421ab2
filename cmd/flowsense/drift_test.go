package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// genFlows writes synthetic flows with a class mix (flowsense gen has no
// mix option, so the shifted file is written from benign and attack rows
// of a generated one).
func driftFiles(t *testing.T) (ref, same, shifted string) {
	t.Helper()
	dir := t.TempDir()
	all := filepath.Join(dir, "all.csv")
	if code, _, e := flowsense(t, "gen", "--rows", "12000", "--seed", "3", "--out", all); code != 0 {
		t.Fatalf("gen: %s", e)
	}
	raw, err := os.ReadFile(all)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	header := lines[0]
	var benign, attacks []string
	for _, l := range lines[1:] {
		if strings.HasSuffix(l, ",BENIGN") {
			benign = append(benign, l)
		} else {
			attacks = append(attacks, l)
		}
	}
	if len(benign) < 3000 || len(attacks) < 1000 {
		t.Fatalf("generated %d benign and %d attack rows", len(benign), len(attacks))
	}
	write := func(name string, rows []string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(header+"\n"+strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	half := len(benign) / 2
	return write("ref.csv", benign[:half]), write("same.csv", benign[half:]), write("shifted.csv", attacks)
}

// withoutLabel copies a CSV file without its last column (the label).
func withoutLabel(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
		b.WriteString(l[:strings.LastIndexByte(l, ',')])
		b.WriteByte('\n')
	}
	p := filepath.Join(t.TempDir(), "unlabelled.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type driftJSON struct {
	DatasetDrift   bool    `json:"dataset_drift"`
	DriftShare     float64 `json:"drift_share"`
	DriftedColumns int     `json:"drifted_columns"`
	NumColumns     int     `json:"number_of_columns"`
	ThresholdShare float64 `json:"threshold_share"`
	Columns        []struct {
		Column    string   `json:"column"`
		Kind      string   `json:"kind"`
		Test      string   `json:"test"`
		Statistic *float64 `json:"statistic"`
		PValue    *float64 `json:"p_value"`
		Threshold float64  `json:"threshold"`
		Drifted   bool     `json:"drifted"`
	} `json:"columns"`
}

func TestDriftCommand(t *testing.T) {
	ref, same, shifted := driftFiles(t)
	unlabelledSame, unlabelledShifted := withoutLabel(t, same), withoutLabel(t, shifted)
	report := filepath.Join(t.TempDir(), "drift.html")
	tests := map[string]struct {
		args  []string
		code  int
		drift bool
	}{
		"same traffic":                        {[]string{"--reference", ref, "--current", same}, 0, false},
		"shifted traffic exits 0":             {[]string{"--reference", ref, "--current", shifted, "--out", report}, 0, true},
		"fail-on-drift without drift":         {[]string{"--reference", ref, "--current", same, "--fail-on-drift"}, 0, false},
		"fail-on-drift with drift":            {[]string{"--reference", ref, "--current", shifted, "--fail-on-drift"}, 1, true},
		"unlabelled current, same traffic":    {[]string{"--reference", ref, "--current", unlabelledSame}, 0, false},
		"unlabelled current, shifted traffic": {[]string{"--reference", ref, "--current", unlabelledShifted}, 0, true},
		"label column named and dropped":      {[]string{"--reference", ref, "--current", shifted, "--label", "Label", "--drop", "Destination Port"}, 0, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, out, e := flowsense(t, append([]string{"drift", "--quiet"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.code, e)
			}
			var r driftJSON
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("stdout is not the JSON summary: %v\n%s", err, out)
			}
			if r.DatasetDrift != tc.drift {
				t.Errorf("dataset_drift %v (share %.3f), want %v", r.DatasetDrift, r.DriftShare, tc.drift)
			}
			if r.NumColumns != len(r.Columns) || r.ThresholdShare != 0.5 || r.NumColumns == 0 {
				t.Errorf("summary: %d columns listed, number_of_columns %d, threshold %v", len(r.Columns), r.NumColumns, r.ThresholdShare)
			}
			n := 0
			for _, c := range r.Columns {
				if strings.EqualFold(c.Column, "label") || c.Column == "Destination Port" && strings.Contains(strings.Join(tc.args, " "), "--drop") {
					t.Errorf("column %q must not be tested", c.Column)
				}
				if c.Drifted {
					n++
				}
				if c.Test == "" || c.Threshold == 0 {
					t.Errorf("column %q lacks its test or threshold", c.Column)
				}
				if (c.PValue != nil) != (c.Test == "ks" || c.Test == "chisquare" || c.Test == "z") {
					t.Errorf("column %q: p_value presence wrong for %s", c.Column, c.Test)
				}
			}
			if n != r.DriftedColumns || float64(n)/float64(r.NumColumns) != r.DriftShare {
				t.Errorf("drifted_columns %d, share %v; the columns say %d", r.DriftedColumns, r.DriftShare, n)
			}
			if tc.code == 1 && !strings.Contains(e, "dataset drift detected") {
				t.Errorf("stderr %q lacks the verdict", e)
			}
		})
	}
	page, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(page), "<figure "); n == 0 || !strings.Contains(string(page), "Dataset drift detected") {
		t.Errorf("report has %d figures and no verdict", n)
	}
}

func TestDriftBadInput(t *testing.T) {
	ref, _, _ := driftFiles(t)
	tmp := t.TempDir()
	raw, _ := os.ReadFile(ref)
	lines := strings.SplitN(string(raw), "\n", 5)
	ragged := filepath.Join(tmp, "ragged.csv")
	os.WriteFile(ragged, []byte(strings.Join(lines[:3], "\n")+"\n1,2,3\n"), 0o644)
	fewer := filepath.Join(tmp, "fewer.csv")
	os.WriteFile(fewer, []byte("Flow Duration,Total Fwd Packets,Label\n1,2,BENIGN\n3,4,BENIGN\n"), 0o644)
	out := filepath.Join(tmp, "r.html")
	tests := map[string]struct {
		args []string
		want []string
	}{
		"missing file":   {[]string{"--reference", filepath.Join(tmp, "none.csv"), "--current", ref}, []string{"none.csv"}},
		"ragged row":     {[]string{"--reference", ref, "--current", ragged, "--out", out}, []string{"ragged.csv:4:"}},
		"columns differ": {[]string{"--reference", ref, "--current", fewer, "--out", out}, []string{"columns differ", "only in the reference", "Flow IAT Mean"}},
		"no current":     {[]string{"--reference", ref}, []string{"--current"}},
		"bad format":     {[]string{"--reference", ref, "--current", ref, "--format", "xml"}, []string{"xml"}},
		"stray argument": {[]string{"--reference", ref, "--current", ref, "extra"}, []string{"extra"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, stdout, e := flowsense(t, append([]string{"drift", "--quiet"}, tc.args...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", code, e)
			}
			if stdout != "" {
				t.Errorf("partial output on stdout: %q", stdout)
			}
			msg := strings.TrimRight(e, "\n")
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was left behind", out)
			}
		})
	}
}

func TestDriftHelp(t *testing.T) {
	code, out, _ := flowsense(t, "drift", "--help")
	if code != 0 || !strings.Contains(out, "--reference") || !strings.Contains(out, "--fail-on-drift") || !strings.Contains(out, "--label-map") {
		t.Errorf("help: exit %d\n%s", code, out)
	}
}
