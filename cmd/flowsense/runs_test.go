package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Two trainers at once record two runs; list, show (by prefix) and compare
// read them back, and the hashes in a run are those of the files written.
func TestRunsRecordListShowCompare(t *testing.T) {
	_, flows := trained(t)
	tmp := t.TempDir()
	rdir := filepath.Join(tmp, "runs")
	configs := [][]string{
		{"--rounds", "5", "--out", filepath.Join(tmp, "a")},
		{"--rounds", "8", "--learning-rate", "0.1", "--out", filepath.Join(tmp, "b")},
	}
	var wg sync.WaitGroup
	outs := make([]string, len(configs))
	for i, c := range configs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out, e := flowsense(t, append([]string{"train", "--data", flows, "--quiet", "--runs", rdir}, c...)...)
			if code != 0 {
				t.Errorf("train %v: %s", c, e)
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	idRe := regexp.MustCompile(`(?m)^run:\s+(\S+)$`)
	var ids []string
	for _, out := range outs {
		m := idRe.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("train printed no run id:\n%s", out)
		}
		ids = append(ids, m[1])
	}

	code, list, e := flowsense(t, "runs", "list", "--runs", rdir, "--sort", "accuracy")
	if code != 0 {
		t.Fatal(e)
	}
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("list:\n%s", list)
	}
	for _, id := range ids {
		if !strings.Contains(list, id) {
			t.Errorf("list lacks run %s:\n%s", id, list)
		}
	}

	// show by a unique prefix: the id up to its random part is unique
	// unless both started in the same millisecond.
	prefix := ids[0][:len(ids[0])-3]
	code, show, e := flowsense(t, "runs", "show", prefix, "--runs", rdir)
	if code != 0 {
		t.Fatal(e)
	}
	var run struct {
		ID      string             `json:"id"`
		Params  map[string]string  `json:"params"`
		Metrics map[string]float64 `json:"metrics"`
		Data    []struct{ SHA256 string }
		Model   []struct{ Path, SHA256 string }
		Command []string `json:"command"`
	}
	if err := json.Unmarshal([]byte(show), &run); err != nil {
		t.Fatalf("show is not JSON: %v\n%s", err, show)
	}
	if run.ID != ids[0] || run.Params["rounds"] != "5" || run.Command[1] != "train" {
		t.Errorf("show %s: %+v", prefix, run)
	}
	var met struct {
		Accuracy float64 `json:"accuracy"`
		MacroF1  float64 `json:"macro_f1"`
	}
	b, _ := os.ReadFile(filepath.Join(tmp, "a", "metrics.json"))
	json.Unmarshal(b, &met)
	if run.Metrics["accuracy"] != met.Accuracy || run.Metrics["macro_f1"] != met.MacroF1 {
		t.Errorf("run metrics %v, metrics.json %+v", run.Metrics, met)
	}
	if len(run.Model) != 2 {
		t.Fatalf("model files %+v", run.Model)
	}
	for _, f := range run.Model {
		if got := fileSHA(t, f.Path); got != f.SHA256 {
			t.Errorf("%s: recorded sha256 %s, file has %s", f.Path, f.SHA256, got)
		}
	}
	if len(run.Data) != 1 || run.Data[0].SHA256 != fileSHA(t, flows) {
		t.Errorf("data hashes %+v", run.Data)
	}

	code, cmp, e := flowsense(t, "runs", "compare", ids[0], ids[1], "--runs", rdir)
	if code != 0 {
		t.Fatal(e)
	}
	for _, re := range []string{`(?m)^rounds\s+5\s+8\s*$`, `(?m)^learning_rate\s+0\.15\s+0\.1\s*$`, `(?m)^accuracy\s+\S+\s+\S+\s+[-+]\S+$`} {
		if !regexp.MustCompile(re).MatchString(cmp) {
			t.Errorf("compare lacks %s:\n%s", re, cmp)
		}
	}
	if strings.Contains(cmp, "max_depth") {
		t.Errorf("compare lists an equal parameter:\n%s", cmp)
	}

	// --no-run records nothing.
	if code, _, e := flowsense(t, "train", "--data", flows, "--quiet", "--runs", rdir, "--rounds", "3", "--out", filepath.Join(tmp, "c"), "--no-run"); code != 0 {
		t.Fatal(e)
	}
	if ents, _ := os.ReadDir(rdir); len(ents) != 2 {
		t.Errorf("%d files in the runs directory after --no-run, want 2", len(ents))
	}
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestRunsBadInput(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "20261121T100000.000Z-abcdef.json")
	os.WriteFile(corrupt, []byte("{\n  \"format\": 1,\n  \"id\": oops\n}\n"), 0o644)
	empty := t.TempDir()
	cases := map[string]struct {
		args []string
		want string
	}{
		"corrupt file":   {[]string{"runs", "list", "--runs", dir}, corrupt + ":3:9: corrupt run file"},
		"corrupt show":   {[]string{"runs", "show", "2026", "--runs", dir}, corrupt + ":3:9"},
		"no such run":    {[]string{"runs", "show", "1999", "--runs", empty}, "no such run"},
		"compare one id": {[]string{"runs", "compare", "x", "--runs", empty}, "takes 2 run id(s)"},
		"no subcommand":  {[]string{"runs"}, "want list, show ID or compare ID ID"},
		"bad subcommand": {[]string{"runs", "delete"}, `unknown runs command "delete"`},
		// before any training: a file stands where the runs directory goes
		"runs dir is a file": {[]string{"train", "--data", corrupt, "--out", filepath.Join(empty, "m"), "--runs", filepath.Join(corrupt, "runs"), "--quiet"}, "runs directory"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, e := flowsense(t, tc.args...)
			if code != 2 || !strings.Contains(e, tc.want) || strings.Count(e, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and one line containing %q", code, e, tc.want)
			}
		})
	}
}
