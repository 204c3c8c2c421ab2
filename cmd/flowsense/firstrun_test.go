package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// TestInspectListsFeatures: inspect names every feature, one a line in
// column order, for a model directory and for the compiled module alike,
// with the model's name and version; its usage says it reads .wasm.
func TestInspectListsFeatures(t *testing.T) {
	dir, flows := trained(t)
	named := filepath.Join(t.TempDir(), "named")
	if code, _, e := flowsense(t, "train", "--data", flows, "--out", named, "--rounds", "3", "--quiet", "--no-run",
		"--name", "demo", "--model-version", "2.1"); code != 0 {
		t.Fatalf("train: %s", e)
	}
	m, err := model.ReadFile(filepath.Join(dir, "model", "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{named, filepath.Join(named, "model.wasm")} {
		code, out, e := flowsense(t, "inspect", path)
		if code != 0 {
			t.Fatalf("inspect %s: %s", path, e)
		}
		if !strings.Contains(out, "\nname:            demo 2.1\n") && !strings.HasPrefix(out, "name:            demo 2.1\n") {
			t.Errorf("inspect %s does not give the name and version:\n%s", path, out)
		}
		lines := strings.Split(out, "\n")
		at := -1
		for i, l := range lines {
			if strings.HasPrefix(l, "features:") {
				at = i
			}
		}
		if at < 0 || at+len(m.Schema.Features) >= len(lines) {
			t.Fatalf("inspect %s: no features block:\n%s", path, out)
		}
		for i, f := range m.Schema.Features {
			fs := strings.Fields(lines[at+1+i])
			if len(fs) < 3 || fs[0] != strconv.Itoa(i+1) || strings.Join(fs[1:len(fs)-1], " ") != f.Name || fs[len(fs)-1] != "numeric" {
				t.Errorf("inspect %s: feature %d line %q, want %d %s numeric", path, i+1, lines[at+1+i], i+1, f.Name)
			}
		}
	}
	code, out, _ := flowsense(t, "inspect", "--help")
	if code != 0 || !strings.Contains(out, "DIR|model.json|model.wasm") {
		t.Errorf("inspect --help does not mention model.wasm:\n%s", out)
	}
	code, _, e := flowsense(t, "inspect")
	if code != 2 || !strings.Contains(e, "model.wasm") {
		t.Errorf("inspect without a model: exit %d, %q", code, e)
	}
}

// TestEvalWithoutLabel: eval on unlabelled flows says what a label column
// is and to use predict, naming the file; not `no label column ""`.
func TestEvalWithoutLabel(t *testing.T) {
	dir, flows := trained(t)
	b, err := os.ReadFile(flows)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for i, l := range strings.SplitN(string(b), "\n", 20)[:19] {
		f := strings.Split(l, ",")
		if i == 0 && f[len(f)-1] != "Label" {
			t.Fatalf("the generated flows' last column is %q, not Label", f[len(f)-1])
		}
		out.WriteString(strings.Join(f[:len(f)-1], ",") + "\n")
	}
	unl := filepath.Join(t.TempDir(), "unlabelled.csv")
	os.WriteFile(unl, []byte(out.String()), 0o644)
	mdir := filepath.Join(dir, "model")
	for name, c := range map[string]struct {
		args []string
		want []string
	}{
		"default": {nil, []string{"unlabelled.csv: no label column: eval needs labelled data, a column named Label or class", "flowsense predict --model " + mdir + " --data " + unl}},
		"--label": {[]string{"--label", "Verdict"}, []string{`the column "Verdict" given by --label`}},
	} {
		code, _, e := flowsense(t, append([]string{"eval", "--model", mdir, "--data", unl}, c.args...)...)
		if code != 2 || strings.Contains(e, `""`) || strings.Count(e, "\n") != 1 {
			t.Errorf("%s: exit %d, %q", name, code, e)
		}
		for _, w := range c.want {
			if !strings.Contains(e, w) {
				t.Errorf("%s: %q lacks %q", name, e, w)
			}
		}
	}
}

// TestWrongFormatMessage: a CICFlowMeter file read with --format kdd, or
// a KDD file read against a CICFlowMeter model, is one short line naming
// a few columns and saying what to try, not every column of both.
func TestWrongFormatMessage(t *testing.T) {
	dir, flows := trained(t)
	mdir := filepath.Join(dir, "model")
	kdd := filepath.Join(t.TempDir(), "kdd.csv")
	row := "0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0,0,0,0,1,0,0,9,9,1,0,0.11,0,0,0,0,0,normal,21\n"
	os.WriteFile(kdd, []byte(row+row), 0o644)
	for name, c := range map[string]struct {
		args []string
		want []string
	}{
		"cic as kdd":      {[]string{"predict", "--data", flows, "--format", "kdd"}, []string{"kdd records have 41 to 43 fields, this one has 48 (the file looks like cicflowmeter): try without --format kdd"}},
		"kdd against cic": {[]string{"eval", "--data", kdd}, []string{"missing feature: 42 of 42 features", "… 36 more", "flowsense inspect " + mdir}},
		"kdd as cic":      {[]string{"predict", "--data", kdd, "--format", "cicflowmeter"}, []string{"try without --format cicflowmeter (the file sniffs as kdd)"}},
	} {
		code, _, e := flowsense(t, append(c.args, "--model", mdir)...)
		if code != 2 || strings.Count(e, "\n") != 1 || len(e) > 600 {
			t.Errorf("%s: exit %d, %d bytes: %q", name, code, len(e), e)
		}
		for _, w := range c.want {
			if !strings.Contains(e, w) {
				t.Errorf("%s: %q lacks %q", name, e, w)
			}
		}
	}
}
