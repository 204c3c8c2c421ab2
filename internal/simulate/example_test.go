package simulate_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
	"github.com/flowsense/flowsense/internal/simulate"
)

// A function serving the test model on loopback, sent 300 labelled
// synthetic flows once each as binary CloudEvents.
func ExampleRun() {
	ctx := context.Background()
	wasmBytes, err := functionstest.ModelWasm()
	if err != nil {
		log.Fatal(err)
	}
	srv, err := functions.New(ctx, wasmBytes)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close(ctx)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	dir, _ := os.MkdirTemp("", "simulate")
	defer os.RemoveAll(dir)
	var csv bytes.Buffer
	synth.Write(&csv, synth.Options{Rows: 300, Seed: 1})
	file := filepath.Join(dir, "flows.csv")
	os.WriteFile(file, csv.Bytes(), 0o644)

	md, err := simulate.FetchModel(ctx, nil, ts.URL) // GET /model: schema and classes
	if err != nil {
		log.Fatal(err)
	}
	ds, err := flowdata.Read([]string{file}, flowdata.Options{Schema: &md.Schema})
	if err != nil {
		log.Fatal(err)
	}
	s, err := simulate.Run(ctx, ds, md, simulate.Options{
		Target: ts.URL, Mode: simulate.ModeCloudEvents, Count: ds.Rows, Rate: 5000, Concurrency: 4,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("sent %d, ok %d, errors %d\n", s.Sent, s.OK, len(s.Errors))
	fmt.Printf("accuracy %.4f over %d flows; BENIGN: %+v\n", *s.Accuracy, s.Scored, s.Classes["BENIGN"])
	// Output:
	// sent 300, ok 300, errors 0
	// accuracy 0.9400 over 300 flows; BENIGN: {Truth:210 Predicted:192 Correct:192}
}
