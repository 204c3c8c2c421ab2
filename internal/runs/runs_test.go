package runs

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var sha = strings.Repeat("ab", 32)

func sample(t time.Time, acc float64) *Run {
	return &Run{
		ID:              NewID(t),
		Time:            t.UTC(),
		Kind:            "train",
		Command:         []string{"flowsense", "train", "--data", "flows.csv"},
		Params:          map[string]string{"rounds": "50", "learning_rate": "0.3"},
		Metrics:         map[string]float64{"accuracy": acc, "macro_f1": acc - 0.01},
		Data:            []File{{Path: "flows.csv", SHA256: sha, Bytes: 10}},
		Out:             "model",
		Model:           []File{{Path: "model/model.json", SHA256: sha, Bytes: 5}},
		DurationSeconds: 1.5,
		TrainerVersion:  "0.1.0",
		Host:            "h",
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := sample(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), 0.9)
	r.Metrics["roc_auc"] = math.NaN() // left out, not an error
	path, err := Write(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != r.ID+".json" {
		t.Errorf("path %s, want %s.json", path, r.ID)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Metrics["roc_auc"]; ok {
		t.Error("NaN metric was recorded")
	}
	if got.Metrics["accuracy"] != 0.9 || got.Params["rounds"] != "50" || !got.Time.Equal(r.Time) || got.Data[0].SHA256 != sha {
		t.Errorf("read back %+v", got)
	}
	if _, err := Write(dir, r); err == nil {
		t.Error("a second write of the same id overwrote the run")
	}
}

func TestIDsSortByTime(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	prev := ""
	for i := range 50 {
		id := NewID(t0.Add(time.Duration(i) * 7 * time.Millisecond))
		if !ValidID(id) {
			t.Fatalf("invalid id %q", id)
		}
		if id <= prev {
			t.Fatalf("id %q sorts before the earlier %q", id, prev)
		}
		prev = id
	}
}

// Many trainers recording into one directory at the same millisecond:
// every run lands in a file of its own, complete.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := sample(now, float64(i)/n)
			if _, err := Write(dir, r); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n {
		t.Fatalf("%d runs listed, want %d", len(all), n)
	}
	seen := map[float64]bool{}
	for _, r := range all {
		seen[r.Metrics["accuracy"]] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct runs, want %d", len(seen), n)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestCorruptFiles(t *testing.T) {
	good, err := Encode(sample(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), 0.5))
	if err != nil {
		t.Fatal(err)
	}
	id := sample(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), 0).ID
	cases := map[string]struct {
		body     string
		name     string // file name; default the id of the body
		wantLine int    // 0: no position expected
		want     string
	}{
		"truncated":     {body: string(good[:len(good)/2]), wantLine: 0, want: "unexpected EOF"},
		"syntax":        {body: strings.Replace(string(good), `"kind": "train",`, `"kind": "train",,`, 1), wantLine: 5, want: "invalid character"},
		"wrong type":    {body: strings.Replace(string(good), `"duration_seconds": 1.5`, `"duration_seconds": "slow"`, 1), wantLine: 0, want: "duration_seconds"},
		"unknown field": {body: strings.Replace(string(good), `"kind"`, `"kindd"`, 1), want: "unknown field"},
		"format":        {body: strings.Replace(string(good), `"format": 1`, `"format": 9`, 1), want: "format 9"},
		"bad sha":       {body: strings.Replace(string(good), sha, "xyz", 1), want: "sha256"},
		"trailing":      {body: string(good) + "{}", want: "data after"},
		"name mismatch": {body: string(good), name: id + ".json", want: "does not match the file name"},
		"empty":         {body: "", want: "EOF"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			fname := tc.name
			if fname == "" {
				r, err := Decode(good)
				if err != nil {
					t.Fatal(err)
				}
				fname = r.ID + ".json"
			}
			path := filepath.Join(dir, fname)
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := List(dir)
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("List: %v, want a *FileError wrapping ErrCorrupt", err)
			}
			if fe.Path != path || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to name %s and say %q", err, path, tc.want)
			}
			if tc.wantLine > 0 && fe.Line != tc.wantLine {
				t.Errorf("line %d, want %d (%v)", fe.Line, tc.wantLine, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	a, b, c := sample(t0, 0.1), sample(t0.Add(time.Hour), 0.2), sample(t0.Add(2*time.Hour), 0.3)
	b.ID = b.ID[:len(b.ID)-6] + "aaaaaa"
	c.ID = b.ID[:len(b.ID)-6] + "aaaabb" // same time as b, shares a long prefix
	c.Time = b.Time
	for _, r := range []*Run{a, b, c} {
		if _, err := Write(dir, r); err != nil {
			t.Fatal(err)
		}
	}
	cases := map[string]struct {
		prefix string
		want   string // id, or "" for an error
		err    error
	}{
		"full id":         {prefix: a.ID, want: a.ID},
		"unique prefix":   {prefix: a.ID[:11], want: a.ID},
		"id is a prefix":  {prefix: b.ID, want: b.ID},
		"ambiguous":       {prefix: b.ID[:len(b.ID)-2], err: ErrAmbiguous},
		"ambiguous day":   {prefix: "20261121", err: ErrAmbiguous},
		"none":            {prefix: "1999", err: ErrNotFound},
		"empty":           {prefix: "", err: ErrNotFound},
		"longer than ids": {prefix: a.ID + "x", err: ErrNotFound},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := Find(dir, tc.prefix)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Find(%q) = %v, want %v", tc.prefix, err, tc.err)
				}
				return
			}
			if err != nil || r.ID != tc.want {
				t.Fatalf("Find(%q) = %v, %v; want %s", tc.prefix, r, err, tc.want)
			}
		})
	}
}

// Other JSON files kept beside the runs (a metrics.json, a tune slice)
// are not runs: List reads around them.
func TestListSkipsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	r := sample(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), 0.9)
	if _, err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "metrics.json"), []byte(`{"accuracy": 1}`), 0o644)
	os.WriteFile(filepath.Join(dir, "tune-000-of-002.json"), []byte(`{}`), 0o644)
	all, err := List(dir)
	if err != nil || len(all) != 1 || all[0].ID != r.ID {
		t.Fatalf("List = %v, %v; want the one run %s", all, err, r.ID)
	}
}

func TestListMissingDirIsEmpty(t *testing.T) {
	all, err := List(filepath.Join(t.TempDir(), "nope"))
	if err != nil || len(all) != 0 {
		t.Fatalf("List = %v, %v", all, err)
	}
}

func TestCompare(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	a, b := sample(t0, 0.9), sample(t0, 0.95)
	b.Params["learning_rate"] = "0.1"
	b.Params["max_features"] = "10"
	delete(b.Metrics, "macro_f1")
	c := Compare(a, b)
	want := map[string][2]string{"learning_rate": {"0.3", "0.1"}, "max_features": {"", "10"}}
	if len(c.Params) != len(want) {
		t.Fatalf("params %+v, want %v", c.Params, want)
	}
	for _, d := range c.Params {
		if w := want[d.Name]; w != [2]string{d.A, d.B} {
			t.Errorf("%s: %q %q, want %q", d.Name, d.A, d.B, w)
		}
	}
	got := map[string]MetricDiff{}
	for _, m := range c.Metrics {
		got[m.Name] = m
	}
	if d := got["accuracy"]; math.Abs(d.Delta-0.05) > 1e-12 || d.A != 0.9 || d.B != 0.95 {
		t.Errorf("accuracy %+v", d)
	}
	if d := got["macro_f1"]; !math.IsNaN(d.B) || !math.IsNaN(d.Delta) {
		t.Errorf("macro_f1 missing from b: %+v", d)
	}
}

func TestFlattenMetrics(t *testing.T) {
	m, err := FlattenMetrics([]byte(`{"accuracy":0.5,"classes":["a","b"],"confusion":[[1,2],[3,4]],
		"per_class":{"a":{"f1":0.25,"support":4}},"outlier":{"roc_auc":0.75},"n_test":8}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"accuracy": 0.5, "per_class.a.f1": 0.25, "per_class.a.support": 4, "outlier.roc_auc": 0.75, "n_test": 8}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", m, want)
	}
	if _, err := FlattenMetrics([]byte(`[1]`)); err == nil {
		t.Error("an array was taken for metrics")
	}
}

func TestDir(t *testing.T) {
	t.Setenv(DirEnv, "/env/runs")
	if d := Dir("flag"); d != "flag" {
		t.Errorf("Dir(flag) = %s", d)
	}
	if d := Dir(""); d != "/env/runs" {
		t.Errorf("Dir(\"\") = %s with %s set", d, DirEnv)
	}
	t.Setenv(DirEnv, "")
	if d := Dir(""); d != DefaultDir {
		t.Errorf("Dir(\"\") = %s", d)
	}
}
