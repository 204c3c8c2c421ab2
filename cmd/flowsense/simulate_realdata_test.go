//go:build realdata

package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/flowsense/flowsense/internal/realdata"
)

// TestSimulateMatchesEvalRealData: a model trained on the published
// training split, served by flowsense serve; flowsense simulate sends the
// whole test split once and reports exactly the accuracy flowsense eval
// computes. NSL-KDD carries categorical features (sent by name),
// CIC-IDS2017 Infinity, negative and empty cells.
func TestSimulateMatchesEvalRealData(t *testing.T) {
	for name, c := range map[string]struct {
		train, test string
		rows        int
		read        []string
		sim         []string
	}{
		"NSL-KDD kdd5": {"nsl-kdd/KDDTrain+.txt.gz", "nsl-kdd/KDDTest+.txt.gz", 22544,
			[]string{"--label-map", "kdd5"}, []string{"--mode", "cloudevents", "--batch", "16"}},
		"CIC-IDS2017": {"cicids2017/train.csv.gz", "cicids2017/test.csv.gz", 10854,
			nil, []string{"--mode", "json", "--batch", "4"}},
	} {
		t.Run(name, func(t *testing.T) {
			train, test := realdata.File(t, c.train), realdata.File(t, c.test)
			dir := filepath.Join(t.TempDir(), "model")
			args := append([]string{"train", "--data", train, "--out", dir, "--rounds", "30", "--quiet"}, c.read...)
			if code, _, e := flowsense(t, args...); code != 0 {
				t.Fatalf("train: %s", e)
			}
			code, out, e := flowsense(t, append([]string{"eval", "--model", dir, "--data", test}, c.read...)...)
			if code != 0 {
				t.Fatalf("eval: %s", e)
			}
			var met struct {
				Accuracy float64 `json:"accuracy"`
				NTest    int     `json:"n_test"`
			}
			if err := json.Unmarshal([]byte(out), &met); err != nil || met.NTest != c.rows {
				t.Fatalf("eval: %v, %d rows", err, met.NTest)
			}
			url := startServe(t, dir)
			args = append([]string{"simulate", "--target", url, "--data", test, "--count", strconv.Itoa(c.rows), "--rate", "1e6", "--quiet"}, c.read...)
			code, out, e = flowsense(t, append(args, c.sim...)...)
			if code != 0 {
				t.Fatalf("simulate: %s", e)
			}
			var s struct {
				Sent, OK int
				Errors   map[string]int
				Accuracy *float64
				Rate     float64
			}
			if err := json.Unmarshal([]byte(out), &s); err != nil {
				t.Fatal(err)
			}
			if s.Sent != c.rows || s.OK != c.rows || len(s.Errors) != 0 {
				t.Fatalf("sent %d ok %d errors %v", s.Sent, s.OK, s.Errors)
			}
			if s.Accuracy == nil || *s.Accuracy != met.Accuracy {
				t.Fatalf("simulate's accuracy %v, eval's %v", s.Accuracy, met.Accuracy)
			}
			t.Logf("%s: accuracy %v from both, %d flows at %.0f flows/s", name, met.Accuracy, s.Sent, s.Rate)
		})
	}
}
