//go:build browser

package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// The page's tests run on a small model trained here on synthetic flows
// with two categorical columns (service and proto) beside numeric ones.

// flowColumns maps the columns of the test files onto synth's columns;
// service and proto are derived from Dst Port and Protocol.
var flowColumns = [][2]string{
	{"service", "Dst Port"}, {"proto", "Protocol"},
	{"duration", "Flow Duration"}, {"fwd_packets", "Total Fwd Packet"}, {"bwd_packets", "Total Bwd packets"},
	{"fwd_bytes", "Total Length of Fwd Packet"}, {"bwd_bytes", "Total Length of Bwd Packet"},
	{"packets_per_s", "Flow Packets/s"}, {"syn_flags", "SYN Flag Count"}, {"rst_flags", "RST Flag Count"},
	{"psh_flags", "PSH Flag Count"}, {"ack_flags", "ACK Flag Count"},
	{"fwd_win", "FWD Init Win Bytes"}, {"bwd_win", "Bwd Init Win Bytes"},
	{"Label", "Label"},
}

var services = map[string]string{"80": "http", "443": "https", "22": "ssh", "53": "dns", "21": "ftp"}
var protos = map[string]string{"6": "tcp", "17": "udp"}

// flowFile is a CSV of synthetic flows and the true label of each row.
type flowFile struct {
	text   string
	labels []string
}

// makeFlows writes rows synthetic flows in the test files' columns. With
// awkward set it adds what a real upload has: CRLF line ends, quoted
// fields, blank lines, unknown categories, missing and "?" cells, spaces
// around values, and a label that is HTML.
func makeFlows(t testing.TB, rows int, seed uint64, awkward bool) flowFile {
	t.Helper()
	var raw bytes.Buffer
	if err := synth.Write(&raw, synth.Options{Rows: rows, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&raw).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]int{}
	for i, h := range recs[0] {
		at[h] = i
	}
	eol := "\n"
	if awkward {
		eol = "\r\n"
	}
	var b strings.Builder
	var labels []string
	for i, c := range flowColumns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c[0])
	}
	b.WriteString(eol)
	for r, rec := range recs[1:] {
		cells := make([]string, len(flowColumns))
		for i, c := range flowColumns {
			v := rec[at[c[1]]]
			switch c[0] {
			case "service":
				if s, ok := services[v]; ok {
					v = s
				} else {
					v = "other"
				}
			case "proto":
				if s, ok := protos[v]; ok {
					v = s
				} else {
					v = "other"
				}
			}
			cells[i] = v
		}
		label := cells[len(cells)-1]
		if awkward {
			switch {
			case r%37 == 5:
				cells[0] = "gopher" // not in the vocabulary: missing
			case r%41 == 7:
				cells[2] = "" // missing number
			case r%43 == 9:
				cells[3] = "?"
			case r%29 == 3:
				cells[1] = " " + cells[1] + " "
			case r == 11:
				label = `<img src=x onerror="document.body.dataset.pwned=1">`
				cells[len(cells)-1] = label
			}
			if r%31 == 2 || r == 11 {
				for i, c := range cells {
					cells[i] = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
				}
			}
			if r%97 == 50 {
				b.WriteString(eol)                                     // an empty line
				b.WriteString(strings.Repeat(",", len(cells)-1) + eol) // a record of empty fields
			}
		}
		b.WriteString(strings.Join(cells, ","))
		b.WriteString(eol)
		labels = append(labels, label)
	}
	return flowFile{text: b.String(), labels: labels}
}

// trainModel trains a small model on synthetic flows and compiles it
// (with the explain export: compiler.Compile adds it by default).
func trainModel(t testing.TB, dir string, opts ...compiler.CompileOption) []byte {
	t.Helper()
	return trainModelOn(t, dir, makeFlows(t, 3000, 1, false).text, opts...)
}

// trainModelOn trains the test model on the flows of text.
func trainModelOn(t testing.TB, dir, text string, opts ...compiler.CompileOption) []byte {
	t.Helper()
	path := filepath.Join(dir, "train.csv")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := trainer.DefaultConfig()
	cfg.Data = []string{path}
	cfg.Read.Format = flowdata.FormatCSV
	cfg.Boost.Rounds = 15
	cfg.Name = "web-test"
	res, err := trainer.Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, f := range res.Model.Schema.Features {
		kinds[f.Name] = f.Kind.String()
	}
	if kinds["service"] != "categorical" || kinds["proto"] != "categorical" || kinds["duration"] != "numeric" {
		t.Fatalf("the test model's schema is not what the test needs: %v", kinds)
	}
	b, err := compiler.Compile(res.Model, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// prediction is one row as `flowsense predict` writes it.
type prediction struct {
	label, verdict string
	prob, score    float64
}

// predictFile classifies the file the way `flowsense predict --model
// model.wasm --data FILE` does (cmd/flowsense: readAgainst with the default
// reading options, then the wasm engine).
func predictFile(t testing.TB, wasmBytes []byte, path string) []prediction {
	t.Helper()
	ctx := context.Background()
	mod, err := host.Load(ctx, wasmBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close(ctx)
	md := mod.Metadata()
	ds, err := flowdata.Read([]string{path}, flowdata.Options{Format: flowdata.FormatAuto, Schema: &md.Schema})
	if err != nil {
		t.Fatalf("reading %s as flowsense predict does: %v", path, err)
	}
	nf := len(ds.Columns)
	rows := make([]float32, ds.Rows*nf)
	for i := 0; i < ds.Rows; i++ {
		ds.Row(i, rows[i*nf:(i+1)*nf])
	}
	res := make([]model.Result, ds.Rows)
	if err := mod.Classify(ctx, rows, res); err != nil {
		t.Fatal(err)
	}
	out := make([]prediction, ds.Rows)
	for i, r := range res {
		out[i] = prediction{label: md.Classes[r.Class], verdict: r.Verdict.String(), prob: r.Probability(), score: r.OutlierScore}
	}
	return out
}

func (p prediction) String() string {
	return fmt.Sprintf("%s %.6g %.6g %s", p.label, p.prob, p.score, p.verdict)
}
